//! The `atlasview` command: the server and its administration commands.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;

use atlasview::app;
use atlasview::atlas::{catalog, fetch};
use atlasview::domain::auth::Role;
use atlasview::service::{accounts, releases};

/// The outcome of an import, and its warnings on standard error.
fn print_import(done: &releases::ReleaseImport) {
    for w in &done.warnings {
        eprintln!("warning: {w}");
    }
    println!("{}", done.outcome);
}

#[derive(Parser)]
#[command(
    name = "atlasview",
    version,
    about = "AI incidents on the MITRE ATLAS matrix"
)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    /// Log lines as text for people, or as one JSON object each for log shippers.
    #[arg(long, env = "ATLASVIEW_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Args)]
struct DbArgs {
    /// SQLite database: a file path or a `sqlite://` URL. Created on first use.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "atlasview.db",
        global = true
    )]
    database_url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "ATLASVIEW_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
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
}

#[derive(Subcommand)]
enum RulesCommand {
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
enum DemoCommand {
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
struct WebArgs {
    /// Let anonymous visitors read (for wall dashboards); writing still needs an account.
    #[arg(long, env = "ATLASVIEW_PUBLIC_READ")]
    public_read: bool,
    /// Served over HTTPS (directly or behind a TLS proxy): Secure cookies and HSTS.
    #[arg(long, env = "ATLASVIEW_HTTPS")]
    https: bool,
    /// Minutes without a request after which a session ends.
    #[arg(long, env = "ATLASVIEW_SESSION_IDLE_MINUTES", default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..=43_200))]
    session_idle_minutes: u32,
    /// Hours after which a session ends whatever its activity.
    #[arg(long, env = "ATLASVIEW_SESSION_MAX_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=8_760))]
    session_max_hours: u32,
    /// Sign-in attempts allowed per client address per minute (0: no limit).
    #[arg(long, env = "ATLASVIEW_LOGIN_RATE_LIMIT", default_value_t = 10)]
    login_rate_limit: u32,
    /// On an empty database: the one-time token that lets a browser on another
    /// machine create the first admin at /setup (default: a random one, printed
    /// at start). Clients on this machine need none.
    #[arg(long, env = "ATLASVIEW_SETUP_TOKEN")]
    setup_token: Option<String>,
}

impl WebArgs {
    fn config(&self) -> atlasview::web::WebConfig {
        atlasview::web::WebConfig {
            public_read: self.public_read,
            https: self.https,
            session_idle: chrono::Duration::minutes(i64::from(self.session_idle_minutes)),
            session_max: chrono::Duration::hours(i64::from(self.session_max_hours)),
            login_attempts_per_minute: self.login_rate_limit,
            setup_token: None,
        }
    }
}

#[derive(Subcommand)]
enum UserCommand {
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
enum TokenCommand {
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

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| format!("`{s}` is not a role: use ingest, viewer, analyst or admin"))
}

/// A password from the terminal (asked twice) or one line of standard input.
fn read_password() -> anyhow::Result<String> {
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
fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

async fn cli_audit(
    store: &atlasview::store::Store,
    action: &'static str,
    target: String,
    detail: String,
) -> anyhow::Result<()> {
    store
        .audit(atlasview::store::AuditEvent {
            actor: cli_actor(),
            action,
            target,
            detail,
            ip: String::new(),
        })
        .await?;
    Ok(())
}

#[derive(Subcommand)]
enum ImportCommand {
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
}

#[derive(Subcommand)]
enum AtlasCommand {
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
enum SuccessorCommand {
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

/// Large blocks (Argon2's 19 MiB working area above all) get their own
/// memory mapping, returned to the system when freed. glibc otherwise raises
/// this threshold after the first such block and keeps later ones in its
/// heaps: a burst of sign-ins then left the process hundreds of MiB larger
/// for good.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    const THRESHOLD: libc::c_int = 4 * 1024 * 1024;
    // SAFETY: mallopt only sets an allocator tuning value; it is called
    // before any other thread exists.
    let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD) };
    if ok == 0 {
        eprintln!("warning: could not set the allocator's mmap threshold");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}

fn main() -> ExitCode {
    return_large_blocks_to_the_system();
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard error at `info` (`RUST_LOG` overrides), one request a
/// line (see `web::middleware::request_log`); JSON lines with `--log-format json`.
fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn"));
    use std::io::IsTerminal;
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => fmt.init(),
        LogFormat::Json => fmt.json().flatten_event(true).init(),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = &cli.db.database_url;
    match cli.command {
        Command::Serve { addr, web } => {
            let (store, active) = app::open(db).await.context("opening the database")?;
            let mut config = web.config();
            let listener = TcpListener::bind(&addr)
                .await
                .with_context(|| format!("binding {addr}"))?;
            let local = listener.local_addr()?;
            if store.count_users().await? == 0 {
                let token = match &web.setup_token {
                    Some(t) if !t.trim().is_empty() => t.trim().to_string(),
                    _ => accounts::new_setup_token()?,
                };
                println!(
                    "No account yet. Create the first admin at http://{local}/setup (from this machine),\n\
                     or with `atlasview user add --role admin NAME`. From another machine the setup\n\
                     page asks for this one-time setup token: {token}"
                );
                config.setup_token = Some(token);
            }
            tracing::info!(addr = %local, database = %db, release = %active.version(), "atlasview listening");
            app::serve(
                listener,
                app::state(store.clone(), active, config),
                app::shutdown_signal(),
            )
            .await?;
            store.close().await;
            Ok(())
        }
        Command::Atlas(AtlasCommand::Import { source, release }) => {
            let store = app::open(db).await?.0;
            let mut fetched = fetch::read_source(&source).await?;
            fetched.release = release;
            let done = releases::import_fetched(&store, &fetched).await?;
            print_import(&done);
            Ok(())
        }
        Command::Atlas(AtlasCommand::Sync { url, release }) => {
            let store = app::open(db).await?.0;
            let (done, how) = releases::sync(&store, &url, release.as_deref()).await?;
            println!("fetched {} ({how})", done.source);
            print_import(&done);
            Ok(())
        }
        Command::Atlas(AtlasCommand::Remote { url }) => {
            let store = app::open(db).await?.0;
            let Some(list) = releases::remote(&store, &url).await? else {
                anyhow::bail!(
                    "{url} has no manifest.yaml: `atlas sync` would follow ATLAS-latest.yaml there; the releases cannot be listed"
                );
            };
            for r in list {
                let formats: Vec<String> = r
                    .release
                    .files
                    .iter()
                    .map(|f| format!("{} {}", f.format_version, f.path))
                    .collect();
                println!(
                    "{} {:<10} {:<10} {}",
                    if r.stored { "stored" } else { "      " },
                    r.release.release,
                    r.release.release_date.as_deref().unwrap_or(""),
                    formats.join(", ")
                );
            }
            Ok(())
        }
        Command::User(cmd) => {
            let store = app::open(db).await?.0;
            match cmd {
                UserCommand::Add { role, name } => {
                    let password = read_password()?;
                    let user = accounts::create_user(&store, &name, &password, role).await?;
                    cli_audit(
                        &store,
                        "user.create",
                        user.username.clone(),
                        format!("role {role}"),
                    )
                    .await?;
                    println!("added {} ({})", user.username, user.role);
                }
                UserCommand::List => {
                    for u in store.list_users().await? {
                        let state = if u.disabled { "disabled" } else { "active" };
                        println!(
                            "{:<24} {:<8} {:<9} last sign-in {}",
                            u.username,
                            u.role,
                            state,
                            u.last_login_at.as_deref().unwrap_or("never")
                        );
                    }
                }
                UserCommand::SetRole { name, role } => {
                    let u = store.update_user(&name, Some(role), None).await?;
                    cli_audit(
                        &store,
                        "user.update",
                        u.username.clone(),
                        format!("role {role}"),
                    )
                    .await?;
                    println!("{} is now {}", u.username, u.role);
                }
                UserCommand::Disable { name } => {
                    let u = store.update_user(&name, None, Some(true)).await?;
                    cli_audit(&store, "user.update", u.username.clone(), "disabled".into()).await?;
                    println!("{} is disabled", u.username);
                }
                UserCommand::Enable { name } => {
                    let u = store.update_user(&name, None, Some(false)).await?;
                    cli_audit(&store, "user.update", u.username.clone(), "enabled".into()).await?;
                    println!("{} is enabled", u.username);
                }
                UserCommand::Password { name } => {
                    let password = read_password()?;
                    let ended = accounts::reset_password(&store, &name, &password).await?;
                    cli_audit(
                        &store,
                        "user.password",
                        name.clone(),
                        format!("reset; {ended} sessions ended"),
                    )
                    .await?;
                    println!("password of {name} changed; {ended} sessions signed out");
                }
            }
            Ok(())
        }
        Command::Token(cmd) => {
            let store = app::open(db).await?.0;
            match cmd {
                TokenCommand::Create {
                    user,
                    role,
                    expires,
                    name,
                } => {
                    let u = store
                        .user_by_name(&user)
                        .await?
                        .with_context(|| format!("no user named {user}"))?;
                    let (token, prefix) =
                        accounts::create_token(&store, &u, role, &name, expires).await?;
                    cli_audit(
                        &store,
                        "token.create",
                        format!("atv_{prefix}"),
                        format!("for {user} as {role}"),
                    )
                    .await?;
                    println!("{token}");
                }
                TokenCommand::List { user } => {
                    let now = atlasview::store::now_rfc3339();
                    for t in store.list_tokens(user.as_deref()).await? {
                        let state = if t.revoked_at.is_some() {
                            "revoked"
                        } else if t.is_active(&now) {
                            "active"
                        } else {
                            "expired"
                        };
                        println!(
                            "atv_{} {:<16} {:<8} {:<8} expires {}  {}",
                            t.prefix,
                            t.username,
                            t.role,
                            state,
                            t.expires_at.as_deref().unwrap_or("never"),
                            t.name
                        );
                    }
                }
                TokenCommand::Revoke { prefix } => {
                    let t = accounts::revoke_token(&store, &prefix, None, &cli_actor(), "").await?;
                    println!("revoked atv_{}", t.prefix);
                }
            }
            Ok(())
        }
        Command::Demo(DemoCommand::Seed {
            incidents,
            steps,
            seed,
        }) => {
            use atlasview::service::demo;
            let (store, active) = app::open(db).await?;
            let options = demo::DemoOptions {
                incidents: incidents as usize,
                steps: steps as usize,
                seed,
            };
            let started = std::time::Instant::now();
            let summary = demo::seed(&store, &active, options, |n| {
                eprintln!("  {n} incidents stored");
            })
            .await?;
            println!(
                "added {} demo incidents with {} steps (ATLAS {}) in {:.1} s; they are tagged `{}`",
                summary.incidents,
                summary.steps,
                active.version(),
                started.elapsed().as_secs_f64(),
                demo::DEMO_TAG
            );
            Ok(())
        }
        Command::Import(ImportCommand::CaseStudies) => {
            let (store, active) = app::open(db).await?;
            let summary =
                atlasview::service::case_studies::import_release_case_studies(&store, &active)
                    .await?;
            println!("release {}: {summary}", active.version());
            Ok(())
        }
        Command::Ingest {
            file,
            source,
            batch,
        } => {
            use atlasview::service::ingest;
            let (store, active) = app::open(db).await?;
            let (reader, size): (Box<dyn std::io::BufRead>, Option<u64>) = if file == "-" {
                (Box::new(std::io::BufReader::new(std::io::stdin())), None)
            } else {
                let f = std::fs::File::open(&file).with_context(|| format!("opening {file}"))?;
                let size = f.metadata().ok().map(|m| m.len());
                (Box::new(std::io::BufReader::new(f)), size)
            };
            let bar = match size {
                Some(n) => indicatif::ProgressBar::new(n),
                None => indicatif::ProgressBar::new_spinner(),
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let options = ingest::IngestOptions {
                default_source: source,
                received_by: cli_actor(),
            };
            let started = std::time::Instant::now();
            let report = ingest::ingest_ndjson(
                &store,
                &active,
                reader,
                &options,
                batch as usize,
                |bytes, r| {
                    bar.set_position(bytes);
                    bar.set_message(format!(
                        "{} accepted, {} refused",
                        r.accepted,
                        r.refused.len()
                    ));
                },
            )
            .await?;
            bar.finish_and_clear();
            for r in &report.refused {
                eprintln!("line {}: {}", r.index, r.reasons.join("; "));
            }
            println!(
                "{} accepted ({} folded into existing steps, {} unmapped), {} duplicates, {} refused, {} incidents touched, {} tactics to confirm, in {:.1} s",
                report.accepted,
                report.folded,
                report.unmapped,
                report.duplicates,
                report.refused.len(),
                report.incidents.len(),
                report.tactics_to_confirm,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Rules(cmd) => {
            use atlasview::service::ingest;
            let store = app::open(db).await?.0;
            match cmd {
                RulesCommand::Add { name, keys, window } => {
                    let created = ingest::save_rule(&store, &name, &keys, &window).await?;
                    cli_audit(&store, "rule.save", name.clone(), keys.join(",")).await?;
                    println!("{} rule {name}", if created { "added" } else { "replaced" });
                }
                RulesCommand::List => {
                    for r in store.list_rules().await? {
                        println!(
                            "{:<3} {:<30} key {:<40} window {}",
                            r.position,
                            r.name,
                            r.key_fields,
                            atlasview::domain::alert::format_window(r.idle_seconds)
                        );
                    }
                    println!("(then the built-in rule: one incident per source, window 24h)");
                }
                RulesCommand::Delete { name } => {
                    anyhow::ensure!(store.delete_rule(&name).await?, "no rule named {name}");
                    cli_audit(&store, "rule.delete", name.clone(), String::new()).await?;
                    println!("deleted rule {name}");
                }
                RulesCommand::Load { file } => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    let n = ingest::load_rules_file(&store, &text).await?;
                    cli_audit(
                        &store,
                        "rule.load",
                        file.display().to_string(),
                        format!("{n} rules"),
                    )
                    .await?;
                    println!("loaded {n} rules from {}", file.display());
                }
            }
            Ok(())
        }
        Command::Import(ImportCommand::Incidents {
            file,
            source,
            dry_run,
        }) => {
            use atlasview::service::bulk_import::{self, BulkOptions, Format};
            let (store, active) = app::open(db).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let is_csv = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            let format = if is_csv {
                Format::Csv
            } else {
                Format::sniff(&text)
            };
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "[{elapsed_precise}] {bar:30} {pos}/{len} records",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let started = std::time::Instant::now();
            let options = BulkOptions { source, dry_run };
            let report = bulk_import::import_text(
                &store,
                &active,
                &text,
                format,
                &options,
                |done, total| {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                },
            )
            .await?;
            bar.finish_and_clear();
            for bad in &report.failed {
                for p in &bad.problems {
                    eprintln!(
                        "line {}{}: {}: {}",
                        bad.line,
                        bad.external_id
                            .as_deref()
                            .map(|id| format!(" ({id})"))
                            .unwrap_or_default(),
                        p.field,
                        p.message
                    );
                }
            }
            for w in &report.warnings {
                eprintln!("line {}: note: {}", w.line, w.message);
            }
            println!(
                "{}{} records: {} created, {} updated, {} unchanged, {} refused, {} steps with a tactic to confirm, in {:.1} s",
                if dry_run {
                    "dry run (nothing written): "
                } else {
                    ""
                },
                report.records,
                report.created,
                report.updated,
                report.unchanged,
                report.failed.len(),
                report.tactics_to_confirm,
                started.elapsed().as_secs_f64()
            );
            if !dry_run {
                cli_audit(
                    &store,
                    "incident.import",
                    file.display().to_string(),
                    format!("{} created, {} updated", report.created, report.updated),
                )
                .await?;
            }
            Ok(())
        }
        Command::Atlas(AtlasCommand::List) => {
            let store = app::open(db).await?.0;
            for r in store.list_releases().await? {
                println!(
                    "{} {:<10} {:<8} {:>2} tactics {:>3} techniques {:>2} mitigations {:>2} case studies  {}",
                    if r.is_active { "*" } else { " " },
                    r.version,
                    r.format,
                    r.tactic_count,
                    r.technique_count,
                    r.mitigation_count,
                    r.case_study_count,
                    r.source
                );
            }
            Ok(())
        }
        Command::Atlas(AtlasCommand::Activate { version }) => {
            let store = app::open(db).await?.0;
            store.activate_release(&version).await?;
            println!("release {version} is now active");
            let mapped = app::remap_alerts(&store).await?;
            if mapped > 0 {
                println!("{mapped} queued alerts mapped");
            }
            Ok(())
        }
        Command::Atlas(AtlasCommand::UpgradeIncidents { to, dry_run }) => {
            use atlasview::service::upgrade;
            let store = app::open(db).await?.0;
            let plan = upgrade::preview(&store, &to, progress("planned"))
                .await
                .map_err(service_error)?;
            print!("{}", plan.report_text());
            if plan.incidents.is_empty() {
                println!("no incident is mapped to a release older than {to}: nothing to upgrade");
                return Ok(());
            }
            println!(
                "{}: {}",
                if dry_run {
                    "dry run, nothing written"
                } else {
                    "summary"
                },
                plan.summary
            );
            if !dry_run {
                let who = upgrade::Who {
                    actor: cli_actor(),
                    ip: String::new(),
                };
                let id = upgrade::apply(&store, &plan, &who, progress("written"))
                    .await
                    .map_err(service_error)?;
                if let Some(id) = id {
                    println!(
                        "upgraded {} incidents to {to} (upgrade {id}, recorded in the audit log)",
                        plan.summary.incidents
                    );
                }
            }
            Ok(())
        }
        Command::Atlas(AtlasCommand::Diff { from, to }) => {
            let store = app::open(db).await?.0;
            let load = |v: String| {
                let store = store.clone();
                async move {
                    store
                        .load_release(&v)
                        .await?
                        .with_context(|| format!("release {v} is not stored"))
                }
            };
            let (a, b) = (load(from).await?, load(to).await?);
            let table = atlasview::service::upgrade::successor_table(&store)
                .await
                .map_err(service_error)?;
            let d = atlasview::atlas::diff::diff(&a, &b, &table);
            println!("{}", serde_json::to_string_pretty(&d)?);
            Ok(())
        }
        Command::Atlas(AtlasCommand::Successors(cmd)) => {
            use atlasview::service::upgrade;
            let store = app::open(db).await?.0;
            let who = upgrade::Who {
                actor: cli_actor(),
                ip: String::new(),
            };
            match cmd {
                SuccessorCommand::List => {
                    let table = upgrade::successor_table(&store)
                        .await
                        .map_err(service_error)?;
                    for e in table.entries() {
                        println!(
                            "{:<14} → {:<14} {:<8} {}{}",
                            e.technique,
                            e.successor.as_deref().unwrap_or("(none)"),
                            e.release,
                            e.origin.label(),
                            if e.note.is_empty() {
                                String::new()
                            } else {
                                format!(" · {}", e.note)
                            }
                        );
                    }
                }
                SuccessorCommand::Set {
                    technique,
                    successor,
                    none,
                    release,
                    note,
                } => {
                    anyhow::ensure!(
                        none || successor.is_some(),
                        "name the successor, or pass --none"
                    );
                    let input = upgrade::SuccessorInput {
                        technique,
                        successor: successor.unwrap_or_default(),
                        release,
                        note,
                    };
                    let e = upgrade::set_successor(&store, &input, &who)
                        .await
                        .map_err(service_error)?;
                    println!(
                        "{} → {}",
                        e.technique,
                        e.successor.as_deref().unwrap_or("(no successor)")
                    );
                }
                SuccessorCommand::Clear { technique } => {
                    upgrade::clear_successor(&store, &technique, &who)
                        .await
                        .map_err(service_error)?;
                    println!("removed the override of {technique}");
                }
            }
            Ok(())
        }
        Command::Atlas(AtlasCommand::ExportCatalog { source, out }) => {
            let fetched = fetch::read_source(&source).await?;
            let release = atlasview::atlas::parse_release(&fetched.bytes)?;
            let text = catalog::to_json(&catalog::export(&release));
            match out {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!(
                        "wrote the catalog of release {} to {}",
                        release.version,
                        path.display()
                    );
                }
                None => print!("{text}"),
            }
            Ok(())
        }
    }
}

/// A service error for the terminal: validation problems name their field.
fn service_error(e: atlasview::service::ServiceError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Progress on standard error every 500 incidents (long runs).
fn progress(what: &'static str) -> impl FnMut(usize) {
    move |n| {
        if n % 500 == 0 {
            eprintln!("  {n} incidents {what}");
        }
    }
}
