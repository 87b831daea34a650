//! `atlasview db copy --to postgres://…`: the command-line side of
//! [`atlasview::store::copy`]: a line on standard error per table copied
//! and checked, and a summary at the end.

use atlasview::store::copy::{self, CopyOptions, CopyProgress};

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The URL as it may be printed: without its password.
fn shown(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// `db copy --to URL`: the SQLite database at `db` into the empty
/// PostgreSQL database at `to`.
pub(crate) async fn copy(db: &str, to: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !is_postgres(db),
        "`db copy` copies a SQLite database (--database-url) into PostgreSQL; {} is PostgreSQL already",
        shown(db)
    );
    anyhow::ensure!(
        db.starts_with("sqlite:") || std::path::Path::new(db).exists(),
        "there is no database at {db} (give it with --database-url or DATABASE_URL)"
    );
    anyhow::ensure!(
        is_postgres(to),
        "--to must be a PostgreSQL URL (postgres://user@host:port/database), not {}",
        shown(to)
    );
    let target = shown(to);
    eprintln!("copying {db} to {target}");
    let progress = Box::new(|step: CopyProgress<'_>| match step {
        CopyProgress::Copied {
            table,
            rows,
            index,
            of,
        } => eprintln!("  [{index}/{of}] copied {table}: {rows} rows"),
        CopyProgress::Reindexed { documents } => {
            eprintln!("  rebuilt the search index: {documents} documents")
        }
        CopyProgress::Checked { table, index, of } => {
            eprintln!("  [{index}/{of}] checked {table}: count and SHA-256 match")
        }
    });
    let started = std::time::Instant::now();
    let outcome = copy::sqlite_to_postgres(
        db,
        to,
        CopyOptions {
            progress: Some(progress),
            before_check: None,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("copying {db} to {target}: {e}; nothing was copied"))?;
    println!(
        "copied {db} to {target}: {} tables, {} rows, counts and SHA-256 checksums match, search index rebuilt ({} documents), in {:.1} s",
        outcome.tables.len(),
        outcome.rows(),
        outcome.search_documents,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
