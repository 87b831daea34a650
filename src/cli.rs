//! The command line: every subcommand and option (clap), and the few
//! helpers that read from the terminal. `main.rs` runs them through the
//! service layer.

use clap::{Args, Parser, Subcommand};

use atlasview::atlas::fetch;
use atlasview::domain::auth::Role;

#[derive(Parser)]
#[command(
    name = "atlasview",
    version,
    about = "AI incidents on the MITRE ATLAS matrix"
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// Log lines as text for people, or as one JSON object each for log shippers.
    #[arg(long, env = "ATLASVIEW_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub(crate) log_format: LogFormat,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Args)]
pub(crate) struct DbArgs {
    /// The database: a SQLite file path or `sqlite://` URL (created on first
    /// use), or a `postgres://` URL for PostgreSQL (several nodes).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "atlasview.db",
        global = true
    )]
    pub(crate) database_url: String,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run the web server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "ATLASVIEW_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        /// A second address that serves only `/metrics`, without sign-in, for a
        /// Prometheus scraper: bind it to a private interface (on the main
        /// address `/metrics` needs an admin).
        #[arg(long, env = "ATLASVIEW_METRICS_ADDR")]
        metrics_addr: Option<String>,
        #[command(flatten)]
        web: WebArgs,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the ATLAS knowledge base.
    #[command(subcommand)]
    Atlas(AtlasCommand),
    /// Import incidents.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Demo data: synthetic incidents for trying atlasview out and for benchmarks.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Ingest alerts from an NDJSON file (`-` for standard input), as
    /// `POST /api/v1/alerts` would: correlated into incidents, idempotent.
    Ingest {
        /// NDJSON file, one alert a line; `-` reads standard input.
        file: String,
        /// Source name of alerts that do not name one.
        #[arg(long)]
        source: Option<String>,
        /// Alerts per transaction.
        #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        batch: u32,
    },
    /// Correlation rules: which alert fields make the key of an incident.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// The database itself: backups.
    #[command(subcommand)]
    Db(DbCommand),
    /// Ask a running server whether it is ready (`GET /readyz`), for container
    /// health checks: exit status 0 on a 2xx answer within 5 s, 1 otherwise.
    Healthcheck {
        /// The URL to ask [default: /readyz on ATLASVIEW_ADDR, an unspecified
        /// address such as 0.0.0.0 as loopback; else http://127.0.0.1:8080/readyz].
        #[arg(long, env = "ATLASVIEW_HEALTHCHECK_URL")]
        url: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum DbCommand {
    /// Write a consistent copy of the SQLite database to PATH, also while the
    /// server runs (SQLite's VACUUM INTO), and check it. Refuses a PATH that
    /// exists. On PostgreSQL use pg_dump.
    Backup { path: std::path::PathBuf },
    /// Copy the SQLite database (--database-url) into a new, empty
    /// PostgreSQL database, in one transaction: every table, the audit log
    /// intact, row counts and SHA-256 checksums compared before it commits.
    /// Refuses a target that holds rows or relations of its own, and a
    /// source migrated behind or ahead of this build. Stop the server first.
    Copy {
        /// The target, `postgres://user@host:port/database`.
        #[arg(long, value_name = "POSTGRES_URL")]
        to: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum RulesCommand {
    /// Add a rule, or replace the one of the same name.
    Add {
        name: String,
        /// A key field (dotted, e.g. `host.name`); repeat for several.
        #[arg(long = "key", required = true)]
        keys: Vec<String>,
        /// How long an incident stays open to new alerts after its last one.
        #[arg(long, default_value = "24h")]
        window: String,
    },
    /// List the rules in the order they are tried.
    List,
    /// Delete a rule by name.
    Delete { name: String },
    /// Add or replace the rules of a YAML file: `rules: [{name, key: [...], idle_window: 24h}]`.
    Load { file: std::path::PathBuf },
}

#[derive(Subcommand)]
pub(crate) enum DemoCommand {
    /// Add synthetic incidents (tagged `demo`, titled "[Demo] …") with plausible
    /// attack paths across the matrix, dates over the last two years, every
    /// kind, severity and status.
    Seed {
        /// How many incidents.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        incidents: u32,
        /// How many steps in all, spread over the incidents.
        #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(0..=10_000_000))]
        steps: u32,
        /// Seed of the generator (the same seed and release give the same data).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Args)]
pub(crate) struct WebArgs {
    /// Let anonymous visitors read (for wall dashboards); writing still needs an account.
    #[arg(long, env = "ATLASVIEW_PUBLIC_READ")]
    pub(crate) public_read: bool,
    /// Served over HTTPS (directly or behind a TLS proxy): Secure cookies and HSTS.
    #[arg(long, env = "ATLASVIEW_HTTPS")]
    pub(crate) https: bool,
    /// A reverse proxy (address or CIDR network) whose X-Forwarded-For names
    /// the client: the rightmost address there that is not a trusted proxy.
    /// Repeat for several; from other peers the header is ignored.
    #[arg(
        long = "trusted-proxy",
        value_name = "IP or CIDR",
        env = "ATLASVIEW_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = atlasview::web::client_addr::parse_trusted_proxy
    )]
    pub(crate) trusted_proxies: Vec<ipnet::IpNet>,
    /// Minutes without a request after which a session ends.
    #[arg(long, env = "ATLASVIEW_SESSION_IDLE_MINUTES", default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..=43_200))]
    pub(crate) session_idle_minutes: u32,
    /// Hours after which a session ends whatever its activity.
    #[arg(long, env = "ATLASVIEW_SESSION_MAX_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=8_760))]
    pub(crate) session_max_hours: u32,
    /// Sign-in attempts allowed per client address per minute (0: no limit).
    #[arg(long, env = "ATLASVIEW_LOGIN_RATE_LIMIT", default_value_t = 10)]
    pub(crate) login_rate_limit: u32,
    /// On an empty database: the one-time token that lets a browser on another
    /// machine create the first admin at /setup (default: a random one, printed
    /// at start). Clients on this machine need none.
    #[arg(long, env = "ATLASVIEW_SETUP_TOKEN")]
    pub(crate) setup_token: Option<String>,
    /// The largest file that may be attached to an incident, in MiB.
    #[arg(long, env = "ATLASVIEW_ATTACHMENT_MAX_MIB", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub(crate) attachment_max_mib: u32,
    /// The SMTP relay notification e-mails go through (none: in-app only).
    #[arg(long, env = "ATLASVIEW_SMTP_HOST")]
    pub(crate) smtp_host: Option<String>,
    /// The relay's port (587 for STARTTLS, 465 for TLS).
    #[arg(long, env = "ATLASVIEW_SMTP_PORT", default_value_t = 587)]
    pub(crate) smtp_port: u16,
    /// The sender of the e-mails, e.g. `atlasview <atlasview@example.org>`.
    #[arg(
        long,
        env = "ATLASVIEW_SMTP_FROM",
        default_value = "atlasview <atlasview@localhost>"
    )]
    pub(crate) smtp_from: String,
    /// How the connection to the relay is protected: starttls, tls or none
    /// (none only for a relay on this machine).
    #[arg(long, env = "ATLASVIEW_SMTP_SECURITY", default_value = "starttls", value_parser = ["starttls", "tls", "none"])]
    pub(crate) smtp_security: String,
    /// The relay's user name, when it wants one (the password from ATLASVIEW_SMTP_PASSWORD).
    #[arg(long, env = "ATLASVIEW_SMTP_USERNAME")]
    pub(crate) smtp_username: Option<String>,
    /// The relay's password (set it in the environment rather than on the command line).
    #[arg(long, env = "ATLASVIEW_SMTP_PASSWORD", hide_env_values = true)]
    pub(crate) smtp_password: Option<String>,
    /// Where users reach this server (`https://atlas.example.org`), for the links of e-mails.
    #[arg(long, env = "ATLASVIEW_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// Let webhook deliveries go to loopback, private and link-local
    /// addresses (refused by default: a hook must not reach inside).
    #[arg(long, env = "ATLASVIEW_WEBHOOKS_ALLOW_PRIVATE")]
    pub(crate) webhooks_allow_private: bool,
    /// Seconds a webhook receiver may take to answer one delivery attempt.
    #[arg(long, env = "ATLASVIEW_WEBHOOK_TIMEOUT_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub(crate) webhook_timeout_secs: u64,
}

impl WebArgs {
    pub(crate) fn config(&self) -> atlasview::web::WebConfig {
        atlasview::web::WebConfig {
            public_read: self.public_read,
            https: self.https,
            session_idle: chrono::Duration::minutes(i64::from(self.session_idle_minutes)),
            session_max: chrono::Duration::hours(i64::from(self.session_max_hours)),
            login_attempts_per_minute: self.login_rate_limit,
            setup_token: None,
            attachment_max_bytes: self.attachment_max_mib as usize * 1024 * 1024,
            smtp: self.smtp(),
            webhooks: atlasview::service::webhooks::WebhookSettings {
                allow_private: self.webhooks_allow_private,
                timeout: std::time::Duration::from_secs(self.webhook_timeout_secs),
                ..Default::default()
            },
            trusted_proxies: atlasview::web::client_addr::TrustedProxies::new(
                self.trusted_proxies.clone(),
            ),
        }
    }

    fn smtp(&self) -> Option<atlasview::service::mail::SmtpSettings> {
        use atlasview::service::mail::{SmtpSecurity, SmtpSettings};
        let host = self
            .smtp_host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())?;
        Some(SmtpSettings {
            host: host.to_string(),
            port: self.smtp_port,
            from: self.smtp_from.clone(),
            security: SmtpSecurity::parse(&self.smtp_security).unwrap_or(SmtpSecurity::StartTls),
            credentials: self
                .smtp_username
                .clone()
                .map(|u| (u, self.smtp_password.clone().unwrap_or_default())),
            public_url: self.public_url.clone(),
        })
    }
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Add a user. The password is prompted for, or read from standard input
    /// when that is not a terminal (never from a flag).
    Add {
        #[arg(long, value_parser = parse_role, default_value = "viewer")]
        role: Role,
        name: String,
    },
    /// List users.
    List,
    /// Change a user's role.
    SetRole {
        name: String,
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Disable a user (ends their sessions; their tokens stop working).
    Disable { name: String },
    /// Enable a disabled user.
    Enable { name: String },
    /// Set a new password (prompted, or from standard input).
    Password { name: String },
}

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Create an API token; prints only the token.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Days until it expires; never when absent.
        #[arg(long)]
        expires: Option<u32>,
        /// A label shown in token lists.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List tokens (prefixes, never secrets).
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a token by its prefix (the 8 characters after `atv_`).
    Revoke { prefix: String },
}

pub(crate) fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| format!("`{s}` is not a role: use ingest, viewer, analyst or admin"))
}

/// A password from the terminal (asked twice) or one line of standard input.
pub(crate) fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        anyhow::ensure!(first == second, "the passwords differ");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

/// The audit name of whoever runs the CLI.
pub(crate) fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

#[derive(Subcommand)]
pub(crate) enum ImportCommand {
    /// Turn every case study of the active ATLAS release into an incident of
    /// kind "case study" (idempotent: re-running updates, never duplicates).
    CaseStudies,
    /// Import incidents from a JSONL file, a JSON array or CSV with a header,
    /// upserted by source and external ID (a re-run changes nothing). Every
    /// problem of every bad record is listed by line; good records are imported.
    Incidents {
        file: std::path::PathBuf,
        /// Source of records that name none.
        #[arg(long, default_value = "import")]
        source: String,
        /// Check every record and say what would change, without writing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import a STIX 2.1 bundle: each Attack Flow (in a report or alone)
    /// becomes an incident with its steps in flow order, each report without
    /// one an incident with its ATLAS techniques (order unknown). Upserted by
    /// source and STIX ID (a re-run changes nothing); objects left out are
    /// listed by their STIX ID.
    Stix {
        file: std::path::PathBuf,
        /// Source of the incidents (with the STIX ID, what makes them the same on a re-run).
        #[arg(long, default_value = atlasview::service::stix::DEFAULT_SOURCE)]
        source: String,
        /// Check the bundle and say what would change, without writing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum AtlasCommand {
    /// Import a release from a file or an http(s) URL: a legacy `ATLAS.yaml`
    /// (4.x-5.6), a format 6.0.0 file, or a STIX 2.1 bundle (`stix-atlas.json`).
    Import {
        /// Path or URL of the release file.
        source: String,
        /// The content release the file must hold; required for a STIX bundle
        /// unless its file name says it (`stix-atlas-5.6.0.json`).
        #[arg(long)]
        release: Option<String>,
    },
    /// Fetch and import a release from MITRE's atlas-data repository (or a
    /// mirror): the newest 6.0.0 file its `manifest.yaml` lists, else the
    /// `ATLAS-latest.yaml` pointer, else the legacy `ATLAS.yaml`.
    Sync {
        /// The atlas-data `dist/` folder.
        #[arg(long, env = "ATLASVIEW_SYNC_URL", default_value = fetch::DEFAULT_SYNC_URL)]
        url: String,
        /// Take this release (e.g. 2026.07) instead of the newest.
        #[arg(long)]
        release: Option<String>,
    },
    /// List the releases the mirror's manifest offers, marking those stored here.
    Remote {
        /// The atlas-data `dist/` folder.
        #[arg(long, env = "ATLASVIEW_SYNC_URL", default_value = fetch::DEFAULT_SYNC_URL)]
        url: String,
    },
    /// List the stored releases.
    List,
    /// Make a stored release the active one.
    Activate { version: String },
    /// Move incidents mapped against an older release to a newer one, with a
    /// report per incident and step (one transaction, audited).
    UpgradeIncidents {
        /// The stored release to move to (e.g. `2026.09`).
        #[arg(long)]
        to: String,
        /// Print the report and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Compare two stored releases: what was added, removed, renamed, re-tacticed.
    Diff { from: String, to: String },
    /// The successor table (shipped with atlasview, overridable by the admin).
    #[command(subcommand)]
    Successors(SuccessorCommand),
    /// Write the compact catalog (facts only, no descriptions) of a release file,
    /// as embedded in the binary at `catalog/atlas-catalog.json`.
    ExportCatalog {
        /// Path or URL of an ATLAS release YAML file.
        source: String,
        /// Output file; standard output when absent.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
pub(crate) enum SuccessorCommand {
    /// List the effective table: shipped entries and overrides.
    List,
    /// Override the successor of a retired technique (or say it has none).
    Set {
        /// The retired technique.
        technique: String,
        /// Its successor; omit with `--none`.
        successor: Option<String>,
        /// The technique has no successor (hides a shipped entry).
        #[arg(long, conflicts_with = "successor")]
        none: bool,
        /// The first release without the old ID.
        #[arg(long, default_value = "")]
        release: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Remove an override: the shipped entry, if any, applies again.
    Clear { technique: String },
}
