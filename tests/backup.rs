//! `atlasview db backup PATH`: a consistent copy of the SQLite database,
//! taken while the server runs and writes. On SQLite whatever the run's
//! backend: the command copies a SQLite file (PostgreSQL has pg_dump, and
//! the command says so: the last test).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::support::{BIN, TestApp, cli, db_fingerprint, text};

/// `PRAGMA integrity_check` and the number of incidents of a database file,
/// opened read-only on its own (no `-wal` beside it).
async fn inspect(path: &Path) -> (String, i64) {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .expect("open the copy");
    let (integrity,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("integrity_check");
    let (incidents,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM incidents")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    conn.close().await.expect("close");
    (integrity, incidents)
}

async fn incident_count(app: &TestApp) -> i64 {
    let (_, list) = app.get_json("/api/v1/incidents?per_page=1").await;
    list["total"].as_i64().expect("total")
}

#[tokio::test]
async fn a_backup_of_the_live_database_is_a_complete_intact_copy_and_never_overwrites() {
    let app = TestApp::spawn_sqlite().await;
    for n in 0..3 {
        app.two_step_incident(&format!("Backed up {n}")).await;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("atlasview-backup.db");
    let copy_arg = copy.to_str().expect("utf-8");

    // While the server runs (idle): every row of every table, in one file.
    let out = cli(app.db_file(), &["db", "backup", copy_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("3 incidents") && said.contains("integrity ok"),
        "{said}"
    );
    assert!(
        !copy.with_extension("db-wal").exists(),
        "the copy stands alone"
    );
    assert_eq!(inspect(&copy).await, ("ok".to_string(), 3));
    assert_eq!(
        db_fingerprint(&copy).await,
        db_fingerprint(app.db_file()).await,
        "the copy holds exactly what the database holds"
    );

    // An existing file is never overwritten.
    let before = std::fs::read(&copy).expect("read the copy");
    let out = cli(app.db_file(), &["db", "backup", copy_arg]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("exists"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&copy).expect("read the copy"), before);

    // While the server writes: the copy is one consistent moment of it.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let writing = writing.clone();
        let client = app.client.clone();
        let url = app.url("/api/v1/incidents");
        tokio::spawn(async move {
            let mut written = 0;
            while writing.load(Ordering::Relaxed) {
                let res = client
                    .post(&url)
                    .json(&serde_json::json!({
                        "title": format!("Written during the backup {written}"),
                        "severity": "low",
                        "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051"}],
                    }))
                    .send()
                    .await
                    .expect("write");
                assert_eq!(res.status(), 201);
                written += 1;
            }
            written
        })
    };
    // Let some writes land first.
    while incident_count(&app).await < 8 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before = incident_count(&app).await;
    let online = dir.path().join("online.db");
    let db = app.db_file().to_path_buf();
    let online_arg = online.to_str().expect("utf-8").to_string();
    let out = tokio::task::spawn_blocking(move || cli(&db, &["db", "backup", &online_arg]))
        .await
        .expect("backup");
    let after = incident_count(&app).await;
    writing.store(false, Ordering::Relaxed);
    let written = writer.await.expect("writer");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (integrity, copied) = inspect(&online).await;
    assert_eq!(integrity, "ok");
    assert!(
        (before..=after).contains(&copied),
        "the copy has {copied} incidents; the database had {before} before and {after} after ({written} written)"
    );
    assert!(
        text(&out.stdout).contains(&format!("{copied} incidents")),
        "{}",
        text(&out.stdout)
    );
    // The server went on serving.
    assert_eq!(app.get("/healthz").await.0, 200);
}

#[tokio::test]
async fn a_backup_names_what_it_cannot_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("copy.db");
    let target = target.to_str().expect("utf-8");
    let run = |url: &str| {
        std::process::Command::new(BIN)
            .args(["--database-url", url, "db", "backup", target])
            .env("RUST_LOG", "warn")
            .output()
            .expect("run atlasview")
    };
    let out = run("postgres://atlasview@db.internal/atlasview");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("pg_dump"),
        "{}",
        text(&out.stderr)
    );
    // A database that does not exist is not created by its backup.
    let missing = dir.path().join("missing.db");
    let out = run(missing.to_str().expect("utf-8"));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no database"),
        "{}",
        text(&out.stderr)
    );
    assert!(!missing.exists() && !Path::new(target).exists());
}
