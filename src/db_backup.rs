//! `atlasview db backup`: the command-line side of [`atlasview::store::backup`].

use anyhow::Context;

/// `db backup PATH`: a consistent copy of the SQLite database at `db`, also
/// while the server runs, checked, with a spinner while SQLite writes it
/// (one statement: there is no finer progress to show) and a summary.
pub(crate) async fn backup(db: &str, path: &std::path::Path) -> anyhow::Result<()> {
    use atlasview::store::backup;
    anyhow::ensure!(
        !db.starts_with("postgres://") && !db.starts_with("postgresql://"),
        "`db backup` copies a SQLite database; on PostgreSQL use pg_dump (see docs/DEPLOY.md, \"Backups\")"
    );
    anyhow::ensure!(
        db.starts_with("sqlite:") || std::path::Path::new(db).exists(),
        "there is no database at {db} (give it with --database-url or DATABASE_URL)"
    );
    anyhow::ensure!(
        std::fs::symlink_metadata(path).is_err(),
        "{} exists: a backup never overwrites a file; choose a new name",
        path.display()
    );
    let target = path
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", path.display()))?;
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar.set_message(format!("copying {db} to {}", path.display()));
    let started = std::time::Instant::now();
    backup::vacuum_into(db, target)
        .await
        .with_context(|| format!("copying {db} to {}", path.display()))?;
    bar.set_message(format!("checking {}", path.display()));
    let check = backup::check_copy(target)
        .await
        .with_context(|| format!("checking the copy {}", path.display()))?;
    bar.finish_and_clear();
    anyhow::ensure!(
        check.is_intact(),
        "the copy {} failed its integrity check: {}",
        path.display(),
        check.integrity
    );
    let bytes = std::fs::metadata(path)?.len();
    println!(
        "backed up {db} to {}: {:.1} MiB, {} incidents, {} audit records, integrity ok, in {:.1} s",
        path.display(),
        bytes as f64 / (1024.0 * 1024.0),
        check.incidents,
        check.audit_records,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
