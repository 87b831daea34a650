//! `atlasview db copy --to postgres://…` (issue 18, "Moving up"): a SQLite
//! install copied into an empty PostgreSQL database serves the same data
//! and takes new writes; a target with rows or relations of its own, a
//! source of other migrations and an unknown trigger are refused with
//! nothing written; a copy that differs from its source is rolled back.
//! Skipped without `ATLASVIEW_TEST_POSTGRES` (a failure under `CI=true`).
//! The source is a SQLite install on either run of the suite: that is what
//! the command copies.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use atlasview::domain::auth::Role;
use atlasview::store::Store;
use atlasview::store::copy::{CopyError, CopyOptions, sqlite_to_postgres};

use crate::support::{
    self, PostgresDatabase, TestApp, cli, file, fresh_postgres_database, postgres_fingerprint,
    shared_atlas, text, token_client, user_with_token,
};

/// A fresh PostgreSQL database (`None`: no server, the test is skipped).
async fn target() -> Option<Arc<PostgresDatabase>> {
    fresh_postgres_database().await.map(Arc::new)
}

/// A fresh database with atlasview's migrations run and nothing else: what
/// a refused target must still look like.
async fn migrated() -> Option<(Arc<PostgresDatabase>, String)> {
    let db = target().await?;
    let store = Store::connect(&db.url).await.expect("migrate");
    store.close().await;
    let print = postgres_fingerprint(&db.url).await;
    Some((db, print))
}

async fn execute(url: &str, sql: &str) {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::query(sql).execute(&mut conn).await.expect(sql);
    conn.close().await.expect("close");
}

/// The audit log as stored, oldest first.
async fn audit_rows_sqlite(app: &TestApp) -> Vec<(String, String, String, String, String)> {
    let db = app.other_connection().await;
    let rows = db
        .fetch_all(
            "SELECT id, at, actor, action, target FROM audit_log ORDER BY at, id",
            &[],
        )
        .await
        .expect("audit rows");
    db.close().await;
    rows
}

async fn audit_rows_postgres(url: &str) -> Vec<(String, String, String, String, String)> {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    let rows = sqlx::query_as(
        "SELECT id, at, actor, action, target FROM audit_log ORDER BY at, id COLLATE \"C\"",
    )
    .fetch_all(&mut conn)
    .await
    .expect("audit rows");
    conn.close().await.expect("close");
    rows
}

/// A page with its per-response nonces taken out.
fn without_nonces(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("nonce=\"") {
        out.push_str(&rest[..at]);
        let value = &rest[at + 7..];
        rest = value.find('"').map_or("", |end| &value[end + 1..]);
    }
    out.push_str(rest);
    out
}

/// An install with one of everything: incidents with steps, tags and odd
/// text, a comment, a task, an attachment, alerts, users with tokens and a
/// session, an imported release, and the audit records all that wrote.
async fn busy_sqlite_install() -> (TestApp, String, String) {
    let app = TestApp::spawn_sqlite().await;
    app.import(&shared_atlas("ATLAS-4.8.0.yaml")).await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let (status, created) = app
        .post_json(
            "/api/v1/incidents",
            &json!({
                "title": "Prompt injection through the support inbox",
                "summary": "Line one\nline two\twith a tab, a backslash \\ and \\N, ünïcödé ✓",
                "severity": "high",
                "occurred_at": "2025-03-14",
                "tags": ["LLM", "rag"],
                "steps": [
                    {"tactic": "AML.TA0004", "technique": "AML.T0093", "description": "Poisoned email", "outcome": "missed"},
                    {"tactic": "AML.TA0005", "technique": "AML.T0051.001", "outcome": "detected"}
                ]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    for n in 0..3 {
        app.two_step_incident(&format!("Two steps {n}")).await;
    }
    let (status, body) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/comments"),
            &json!({"body": "Seen on *two* hosts"}),
        )
        .await;
    assert!(status.is_success(), "comment: {body}");
    let (status, body) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/tasks"),
            &json!({"title": "Rotate the API keys", "owner": "admin", "due_on": "2030-01-31"}),
        )
        .await;
    assert!(status.is_success(), "task: {body}");
    app.attach(
        &id,
        None,
        file(
            "capture.bin",
            "application/octet-stream",
            &[0, 1, 2, 0xff, b'\\', b'\n', b'\t'],
        ),
    )
    .await;
    let alert = json!({"id": "p-1", "time": "2026-03-01T10:00:00Z", "technique": "t0051",
                       "severity": "High", "title": "Prompt injection", "source": "guard",
                       "host": {"name": "h1"}});
    let (status, report) = app
        .post_alerts("/api/v1/alerts", "application/json", alert.to_string())
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let carol = user_with_token(&app.store, "carol", Role::Analyst).await;
    let (_, signed_in) = app.sign_in("carol", support::PASSWORD).await;
    assert!(signed_in.is_redirection(), "sign-in: {signed_in}");
    (app, id, carol)
}

#[tokio::test]
async fn a_sqlite_install_copied_to_postgres_serves_the_same_data_and_takes_new_writes() {
    let Some(db) = target().await else {
        return;
    };
    let (src, id, carol) = busy_sqlite_install().await;
    let audit_before = audit_rows_sqlite(&src).await;
    assert!(audit_before.len() > 5, "{audit_before:?}");

    let (_, list) = src.get_json("/api/v1/incidents?per_page=1").await;
    let incidents = list["total"].as_i64().expect("total");
    assert!(incidents >= 4, "{list}");
    let out = cli(src.db_file(), &["db", "copy", "--to", &db.url]);
    let (said, progress) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{said}\n{progress}");
    assert!(
        said.contains(" tables, ") && said.contains(" rows, ") && said.contains(" s"),
        "{said}"
    );
    assert!(
        progress.contains(&format!("copied incidents: {incidents} rows"))
            && progress.contains("copied audit_log: ")
            && progress.contains("checked attachment_blobs: count and SHA-256 match")
            && progress.contains(&format!("rebuilt the search index: {incidents} documents")),
        "{progress}"
    );
    // The audit log, every record as it was.
    assert_eq!(audit_rows_postgres(&db.url).await, audit_before);

    let mut pg = TestApp::spawn_on_postgres_database(db.clone()).await;
    assert_eq!(pg.store.backend(), atlasview::store::BackendKind::Postgres);
    // The admin's token from SQLite works on the copy.
    pg.client = src.client.clone();
    let (matrix_sqlite, _) = src.page("/matrix").await;
    let (matrix_postgres, _) = pg.page("/matrix").await;
    assert_eq!(
        without_nonces(&matrix_postgres),
        without_nonces(&matrix_sqlite)
    );
    assert_eq!(pg.snapshot().await, src.snapshot().await);
    let (_, attachments) = src
        .get_json(&format!("/api/v1/incidents/{id}/attachments"))
        .await;
    let attachment = attachments[0]["id"]
        .as_str()
        .expect("attachment")
        .to_string();
    for list in [
        "/api/v1/incidents?per_page=200".to_string(),
        "/api/v1/matrix".to_string(),
        "/api/v1/alerts/unmapped".to_string(),
        "/api/v1/tags".to_string(),
        "/api/v1/atlas/tactics".to_string(),
        "/api/v1/incidents?q=backslash".to_string(),
        "/api/v1/incidents?q=inbox".to_string(),
        "/api/v1/incidents?tag=rag".to_string(),
        format!("/api/v1/incidents/{id}/comments"),
        format!("/api/v1/incidents/{id}/tasks"),
        format!("/api/v1/incidents/{id}/activity"),
        format!("/api/v1/incidents/{id}/attachments"),
    ] {
        let list = list.as_str();
        let (status, on_pg) = pg.get_json(list).await;
        assert_eq!(status, StatusCode::OK, "{list}: {on_pg}");
        assert_eq!(on_pg, src.get_json(list).await.1, "{list}");
    }
    let download = format!("/api/v1/incidents/{id}/attachments/{attachment}/download");
    let bytes = |app: &TestApp| {
        let request = app.client.get(app.url(&download));
        async move {
            let res = request.send().await.expect("download");
            assert_eq!(res.status(), StatusCode::OK);
            res.bytes().await.expect("bytes").to_vec()
        }
    };
    assert_eq!(bytes(&pg).await, vec![0, 1, 2, 0xff, b'\\', b'\n', b'\t']);
    assert_eq!(bytes(&pg).await, bytes(&src).await);
    let (_, found) = pg.get_json("/api/v1/incidents?q=inbox").await;
    assert_eq!(found["total"], 1, "the rebuilt search index: {found}");
    let (status, audit_page) = pg.get("/admin/audit").await;
    assert_eq!(status, 200);
    assert!(audit_page.contains("carol"), "{audit_page}");

    // Carol's token and password work on the copy.
    let (status, _) = pg
        .get_with(&token_client(&carol), "/api/v1/incidents")
        .await;
    assert_eq!(status, 200);
    let (session, status) = pg.sign_in("carol", support::PASSWORD).await;
    assert!(status.is_redirection(), "sign-in on the copy: {status}");
    let page = session
        .get(pg.url("/incidents"))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), StatusCode::OK);

    // New writes: an incident with a copied tag (the tag count and the
    // search index are kept by the re-enabled triggers), and the audit log
    // goes on from the copied records.
    let (status, created) = pg
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "Written after the move", "severity": "low", "tags": ["rag"],
                    "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, found) = pg.get_json("/api/v1/incidents?q=after%20the%20move").await;
    assert_eq!(found["total"], 1, "{found}");
    let (_, tags) = pg.get_json("/api/v1/tags").await;
    let rag = tags["items"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["tag"] == "rag"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(rag["incidents"], 2, "{tags}");
    let (_, list) = pg.get_json("/api/v1/incidents?per_page=1").await;
    assert_eq!(list["total"], incidents + 1, "{list}");
    let audit_after = audit_rows_postgres(&db.url).await;
    assert!(audit_after.len() > audit_before.len());
    assert!(audit_before.iter().all(|r| audit_after.contains(r)));
    // And the copy refuses to run again onto what is now a used database.
    let out = cli(src.db_file(), &["db", "copy", "--to", &db.url]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("is not empty"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn the_copy_refuses_a_used_target_a_foreign_relation_or_another_build_s_source() {
    let Some((used, _)) = migrated().await else {
        return;
    };
    let src = TestApp::spawn_sqlite().await;
    src.two_step_incident("To be moved").await;

    // A target with a user of its own.
    let store = Store::connect(&used.url).await.expect("open");
    user_with_token(&store, "someone", Role::Admin).await;
    store.close().await;
    let before = postgres_fingerprint(&used.url).await;
    let out = cli(src.db_file(), &["db", "copy", "--to", &used.url]);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("not empty: table users holds 1 row"),
        "{said}"
    );
    assert_eq!(postgres_fingerprint(&used.url).await, before);

    // A table another application keeps there (the migrations run first).
    let (reference_db, fresh) = migrated().await.expect("database");
    drop(reference_db);
    let foreign = target().await.expect("database");
    execute(&foreign.url, "CREATE TABLE other_app (id INT)").await;
    execute(&foreign.url, "INSERT INTO other_app VALUES (7)").await;
    let out = cli(src.db_file(), &["db", "copy", "--to", &foreign.url]);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(said.contains("table public.other_app"), "{said}");
    let print = postgres_fingerprint(&foreign.url).await;
    assert!(print.contains("## other_app\n(7)\n"), "{print}");
    assert_eq!(
        print.replace("## other_app\n(7)\n", ""),
        fresh,
        "nothing but the migrations written"
    );

    // A source behind this build, then one ahead of it.
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("other-build.db");
    let out = cli(
        src.db_file(),
        &["db", "backup", copy.to_str().expect("utf-8")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let latest = atlasview::store::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .expect("migrations");
    let other = sqlx::SqlitePool::connect(&format!("sqlite://{}", copy.display()))
        .await
        .expect("open the copy");
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(latest)
        .execute(&other)
        .await
        .expect("forget the latest migration");
    let untouched = target().await.expect("database");
    let out = cli(&copy, &["db", "copy", "--to", &untouched.url]);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("behind this build") && said.contains(&format!("{latest:04}")),
        "{said}"
    );
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         SELECT $1, 'latest', TRUE, X'00', 0 UNION ALL SELECT 9999, 'from a newer build', TRUE, X'00', 0",
    )
    .bind(latest)
    .execute(&other)
    .await
    .expect("a newer build's migration");
    other.close().await;
    let out = cli(&copy, &["db", "copy", "--to", &untouched.url]);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("ahead of this build") && said.contains("9999"),
        "{said}"
    );
    assert_eq!(
        postgres_fingerprint(&untouched.url).await,
        "",
        "the source is refused before the target is touched"
    );
}

#[tokio::test]
async fn a_trigger_the_copy_does_not_know_stops_it_before_anything_is_written() {
    let Some((db, fresh)) = migrated().await else {
        return;
    };
    let src = TestApp::spawn_sqlite().await;
    src.two_step_incident("To be moved").await;
    execute(
        &db.url,
        "CREATE TRIGGER local_counter AFTER INSERT ON incidents \
         FOR EACH ROW EXECUTE FUNCTION data_version_bump()",
    )
    .await;
    let refused = sqlite_to_postgres(
        src.db_file().to_str().expect("utf-8"),
        &db.url,
        CopyOptions::default(),
    )
    .await;
    match refused {
        Err(CopyError::UnknownTrigger { table, trigger }) => {
            assert_eq!(
                (table.as_str(), trigger.as_str()),
                ("incidents", "local_counter")
            );
        }
        other => panic!("not refused for the trigger: {other:?}"),
    }
    assert_eq!(postgres_fingerprint(&db.url).await, fresh);
}

/// Changes a copied incident's title inside the copy's transaction.
fn corrupt_a_title(conn: &mut sqlx::PgConnection) -> BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move {
        sqlx::query(
            "UPDATE incidents SET title = title || ' (changed)' \
             WHERE id = (SELECT MIN(id) FROM incidents)",
        )
        .execute(conn)
        .await
        .map(|_| ())
    })
}

#[tokio::test]
async fn a_copy_that_differs_from_its_source_is_rolled_back_naming_the_table() {
    let Some((db, fresh)) = migrated().await else {
        return;
    };
    let src = TestApp::spawn_sqlite().await;
    for n in 0..2 {
        src.two_step_incident(&format!("To be moved {n}")).await;
    }
    let source = src.db_file().to_str().expect("utf-8").to_string();
    let failed = sqlite_to_postgres(
        &source,
        &db.url,
        CopyOptions {
            before_check: Some(Box::new(corrupt_a_title)),
            ..CopyOptions::default()
        },
    )
    .await;
    match failed {
        Err(e @ CopyError::Mismatch { .. }) => {
            let said = e.to_string();
            assert!(said.contains("table incidents differs"), "{said}");
            let CopyError::Mismatch {
                source_rows,
                target_rows,
                source_sha256,
                target_sha256,
                ..
            } = e
            else {
                unreachable!("matched above")
            };
            assert_eq!((source_rows, target_rows), (2, 2));
            assert_ne!(source_sha256, target_sha256);
        }
        other => panic!("the changed row was not caught: {other:?}"),
    }
    assert_eq!(
        postgres_fingerprint(&db.url).await,
        fresh,
        "rolled back: nothing written"
    );
    // Nothing was left behind (rows, disabled triggers): the same copy
    // without the change goes through, and its triggers are on.
    let copied = sqlite_to_postgres(&source, &db.url, CopyOptions::default())
        .await
        .expect("copy");
    assert_eq!(
        copied
            .tables
            .iter()
            .find(|t| t.table == "incidents")
            .map(|t| t.rows),
        Some(2)
    );
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let (disabled,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM pg_trigger WHERE tgenabled = 'D'")
            .fetch_one(&mut conn)
            .await
            .expect("triggers");
    assert_eq!(disabled, 0);
    conn.close().await.expect("close");
}

#[tokio::test]
async fn an_identity_column_of_the_target_continues_after_the_copied_values() {
    let Some((db, _)) = migrated().await else {
        return;
    };
    let src = TestApp::spawn_sqlite().await;
    // No table of ours has a sequence today; one a later migration adds
    // must not hand out a copied value again.
    execute(
        &db.url,
        "ALTER TABLE search_control ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY",
    )
    .await;
    let copied = sqlite_to_postgres(
        src.db_file().to_str().expect("utf-8"),
        &db.url,
        CopyOptions::default(),
    )
    .await
    .expect("copy");
    assert_eq!(copied.sequences, vec!["search_control.id".to_string()]);
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let (next,): (i64,) =
        sqlx::query_as("SELECT nextval(pg_get_serial_sequence('search_control', 'id'))")
            .fetch_one(&mut conn)
            .await
            .expect("nextval");
    assert_eq!(next, 2, "the copied id 1 is not handed out again");
    conn.close().await.expect("close");
}
