//! The `atlasview` command: the server and its administration commands.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;

use atlasview::app;
use atlasview::atlas::{catalog, fetch};

#[derive(Parser)]
#[command(
    name = "atlasview",
    version,
    about = "AI incidents on the MITRE ATLAS matrix"
)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
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
    },
    /// Manage the ATLAS knowledge base.
    #[command(subcommand)]
    Atlas(AtlasCommand),
    /// Import incidents.
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Turn every case study of the active ATLAS release into an incident of
    /// kind "case study" (idempotent: re-running updates, never duplicates).
    CaseStudies,
}

#[derive(Subcommand)]
enum AtlasCommand {
    /// Import a release from a file or an http(s) URL (legacy or format 6.0.0).
    Import {
        /// Path or URL of an ATLAS release YAML file.
        source: String,
    },
    /// Fetch and import the newest official release from MITRE's atlas-data repository.
    Sync {
        /// The atlas-data `dist/` folder to read `ATLAS-latest.yaml` (or `ATLAS.yaml`) from.
        #[arg(long, env = "ATLASVIEW_SYNC_URL", default_value = fetch::DEFAULT_SYNC_URL)]
        url: String,
    },
    /// List the stored releases.
    List,
    /// Make a stored release the active one.
    Activate { version: String },
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

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
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

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = &cli.db.database_url;
    match cli.command {
        Command::Serve { addr } => {
            let (store, active) = app::open(db).await.context("opening the database")?;
            let listener = TcpListener::bind(&addr)
                .await
                .with_context(|| format!("binding {addr}"))?;
            tracing::info!(addr = %listener.local_addr()?, database = %db, release = %active.version(), "atlasview listening");
            app::serve(
                listener,
                app::state(store.clone(), active),
                app::shutdown_signal(),
            )
            .await?;
            store.close().await;
            Ok(())
        }
        Command::Atlas(AtlasCommand::Import { source }) => {
            let store = app::open(db).await?.0;
            let fetched = fetch::read_source(&source).await?;
            let outcome = app::import_release(&store, &fetched).await?;
            println!("{outcome}");
            Ok(())
        }
        Command::Atlas(AtlasCommand::Sync { url }) => {
            let store = app::open(db).await?.0;
            let fetched = fetch::sync(&url).await?;
            println!("fetched {}", fetched.source);
            let outcome = app::import_release(&store, &fetched).await?;
            println!("{outcome}");
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
