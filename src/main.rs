//! The `atlasview` command: the server and its administration commands.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tokio::net::TcpListener;

use atlasview::app;
use atlasview::atlas::{catalog, fetch};
use atlasview::service::{accounts, admin, releases};

mod cli;
mod db_backup;
mod db_copy;
mod healthcheck;

use cli::*;

/// The outcome of an import, and its warnings on standard error.
fn print_import(done: &releases::ReleaseImport) {
    for w in &done.warnings {
        eprintln!("warning: {w}");
    }
    println!("{}", done.outcome);
}

/// Large blocks (Argon2's 19 MiB working area above all) get their own
/// memory mapping, returned to the system when freed. glibc otherwise raises
/// this threshold after the first such block and keeps later ones in its
/// heaps: a burst of sign-ins then left the process hundreds of MiB larger
/// for good.
///
/// And two heaps (arenas) at most: glibc gives each thread that allocates
/// at once its own, up to 8 per core, and each keeps what it freed. The
/// server has a thread per database connection besides the runtime's, so
/// after a load test at 15,000 incidents it held 69 MB, against 57 MB with
/// two (bench/server.sh), with requests per second within the noise.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    const THRESHOLD: libc::c_int = 4 * 1024 * 1024;
    const ARENAS: libc::c_int = 2;
    // SAFETY: mallopt only sets an allocator tuning value; it is called
    // before any other thread exists.
    let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD) };
    if ok == 0 {
        eprintln!("warning: could not set the allocator's mmap threshold");
    }
    // SAFETY: as above.
    let ok = unsafe { libc::mallopt(libc::M_ARENA_MAX, ARENAS) };
    if ok == 0 {
        eprintln!("warning: could not set the allocator's arena limit");
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
        Command::Serve {
            addr,
            metrics_addr,
            web,
        } => {
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
            let state = app::state(store.clone(), active, config);
            app::spawn_background(&state)
                .map_err(anyhow::Error::msg)
                .context("the SMTP relay or webhook settings")?;
            if let Some(metrics_addr) = metrics_addr {
                let metrics_listener = TcpListener::bind(&metrics_addr)
                    .await
                    .with_context(|| format!("binding {metrics_addr}"))?;
                tracing::info!(addr = %metrics_listener.local_addr()?, "metrics listening (/metrics only, no sign-in)");
                tokio::spawn(app::serve_metrics(metrics_listener, state.clone()));
            }
            app::serve(listener, state, app::shutdown_signal()).await?;
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
                    admin::audit(
                        &store,
                        &cli_actor(),
                        "user.create",
                        user.username.clone(),
                        format!("role {role}"),
                    )
                    .await?;
                    println!("added {} ({})", user.username, user.role);
                }
                UserCommand::List => {
                    for u in admin::list_users(&store).await? {
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
                    let u =
                        admin::update_user(&store, &name, Some(role), None, &cli_actor()).await?;
                    println!("{} is now {}", u.username, u.role);
                }
                UserCommand::Disable { name } => {
                    let u =
                        admin::update_user(&store, &name, None, Some(true), &cli_actor()).await?;
                    println!("{} is disabled", u.username);
                }
                UserCommand::Enable { name } => {
                    let u =
                        admin::update_user(&store, &name, None, Some(false), &cli_actor()).await?;
                    println!("{} is enabled", u.username);
                }
                UserCommand::Password { name } => {
                    let password = read_password()?;
                    let ended = accounts::reset_password(&store, &name, &password).await?;
                    admin::audit(
                        &store,
                        &cli_actor(),
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
                    let token =
                        admin::create_token_for(&store, &user, role, &name, expires, &cli_actor())
                            .await?;
                    println!("{token}");
                }
                TokenCommand::List { user } => {
                    for (t, state) in admin::list_tokens(&store, user.as_deref()).await? {
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
                    admin::audit(
                        &store,
                        &cli_actor(),
                        "rule.save",
                        name.clone(),
                        keys.join(","),
                    )
                    .await?;
                    println!("{} rule {name}", if created { "added" } else { "replaced" });
                }
                RulesCommand::List => {
                    for r in ingest::list_rules(&store).await? {
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
                    admin::delete_rule(&store, &name, &cli_actor()).await?;
                    println!("deleted rule {name}");
                }
                RulesCommand::Load { file } => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    let n = ingest::load_rules_file(&store, &text).await?;
                    admin::audit(
                        &store,
                        &cli_actor(),
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
            let summary = format!(
                "{} records: {} created, {} updated, {} unchanged, {} refused, {} steps with a tactic to confirm, in {:.1} s",
                report.records,
                report.created,
                report.updated,
                report.unchanged,
                report.failed.len(),
                report.tactics_to_confirm,
                started.elapsed().as_secs_f64()
            );
            finish_import(
                &store,
                &file,
                dry_run,
                &summary,
                report.created,
                report.updated,
            )
            .await?;
            Ok(())
        }
        Command::Import(ImportCommand::Stix {
            file,
            source,
            dry_run,
        }) => {
            use atlasview::service::bulk_import::BulkOptions;
            use atlasview::service::stix;
            let (store, active) = app::open(db).await?;
            let size = std::fs::metadata(&file)
                .with_context(|| format!("reading {}", file.display()))?
                .len();
            anyhow::ensure!(
                size <= stix::MAX_BUNDLE_BYTES as u64,
                "{} is {size} bytes; a bundle may have at most {}",
                file.display(),
                stix::MAX_BUNDLE_BYTES
            );
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let options = BulkOptions {
                source: source.trim().to_string(),
                dry_run,
            };
            anyhow::ensure!(!options.source.is_empty(), "--source must not be blank");
            let report = stix::import_bundle(&store, &active, &bytes, &options)
                .await
                .map_err(|e| match e {
                    atlasview::service::ServiceError::Invalid(v) => {
                        anyhow::anyhow!("{}: {}: {}", file.display(), v.field, v.message)
                    }
                    other => other.into(),
                })?;
            for bad in &report.failed {
                for p in &bad.problems {
                    eprintln!("{}: {}: {}", bad.object, p.field, p.message);
                }
            }
            for w in &report.warnings {
                eprintln!("{}: note: {}", w.object, w.message);
            }
            let summary = format!(
                "{} incidents: {} created, {} updated, {} unchanged, {} refused, {} objects left out or noted",
                report.records,
                report.created,
                report.updated,
                report.unchanged,
                report.failed.len(),
                report.warnings.len(),
            );
            finish_import(
                &store,
                &file,
                dry_run,
                &summary,
                report.created,
                report.updated,
            )
            .await?;
            anyhow::ensure!(
                report.records == 0 || report.failed.len() < report.records,
                "no incident of the bundle could be imported"
            );
            Ok(())
        }
        Command::Atlas(AtlasCommand::List) => {
            let store = app::open(db).await?.0;
            for r in releases::list(&store).await? {
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
            let (_, mapped) = releases::activate(&store, &version, &cli_actor(), "").await?;
            println!("release {version} is now active");
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
            let d = admin::diff_releases(&store, &from, &to)
                .await
                .map_err(service_error)?;
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
        Command::Db(DbCommand::Backup { path }) => db_backup::backup(db, &path).await,
        Command::Db(DbCommand::Copy { to }) => db_copy::copy(db, &to).await,
        Command::Healthcheck { url } => {
            let url = url.unwrap_or_else(|| {
                healthcheck::default_url(std::env::var("ATLASVIEW_ADDR").ok().as_deref())
            });
            println!("{}", healthcheck::check(&url).await?);
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

/// The end of an incident import on the CLI: its summary (saying so when
/// nothing was written) and, when it wrote, its audit record.
async fn finish_import(
    store: &atlasview::store::Store,
    file: &std::path::Path,
    dry_run: bool,
    summary: &str,
    created: usize,
    updated: usize,
) -> anyhow::Result<()> {
    if dry_run {
        println!("dry run (nothing written): {summary}");
        return Ok(());
    }
    println!("{summary}");
    admin::audit(
        store,
        &cli_actor(),
        "incident.import",
        file.display().to_string(),
        format!("{created} created, {updated} updated"),
    )
    .await?;
    Ok(())
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
