//! The store on PostgreSQL (issue 18): the same behaviour as on SQLite for
//! the main paths, and two nodes on one database acting as one service.
//! Skipped without `ATLASVIEW_TEST_POSTGRES` (a failure under `CI=true`).

use reqwest::StatusCode;
use serde_json::json;

use atlasview::domain::auth::Role;

use crate::support::{self, TestApp};

fn incident() -> serde_json::Value {
    json!({
        "title": "Prompt injection through the support inbox",
        "summary": "An attacker planted instructions in an email the assistant followed.",
        "kind": "incident",
        "severity": "high",
        "status": "open",
        "occurred_at": "2025-03-14",
        "tags": ["LLM", "rag"],
        "steps": [
            {"tactic": "AML.TA0004", "technique": "AML.T0093", "description": "Poisoned email", "outcome": "missed"},
            {"tactic": "AML.TA0005", "technique": "AML.T0051.001", "outcome": "detected"}
        ]
    })
}

#[tokio::test]
async fn incidents_matrix_search_versions_and_audit_work_on_postgres() {
    let Some(app) = TestApp::spawn_on_postgres().await else {
        return;
    };
    assert_eq!(app.store.backend(), atlasview::store::BackendKind::Postgres);
    let (status, created) = app.post_json("/api/v1/incidents", &incident()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["tags"], json!(["llm", "rag"]));
    assert_eq!(created["steps"].as_array().map(Vec::len), Some(2));

    // The matrix highlights the step's technique.
    let (status, matrix) = app.get("/matrix").await;
    assert_eq!(status, 200);
    assert!(matrix.contains("1 incident, 1 step"), "no highlighted cell");

    // Search through pg_trgm: a word inside the summary, and no match.
    let (_, found) = app.get_json("/api/v1/incidents?q=planted").await;
    assert_eq!(found["total"], 1, "{found}");
    let (_, none) = app.get_json("/api/v1/incidents?q=nonexistentword").await;
    assert_eq!(none["total"], 0, "{none}");
    let (_, by_tag) = app.get_json("/api/v1/incidents?tag=rag").await;
    assert_eq!(by_tag["total"], 1, "{by_tag}");

    // Optimistic versions: a stale version is a 409.
    let mut edit = incident();
    edit.as_object_mut().expect("object").remove("steps");
    edit["title"] = json!("Renamed");
    edit["version"] = json!(1);
    let (status, body) = app
        .put_json(&format!("/api/v1/incidents/{id}"), &edit)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .put_json(&format!("/api/v1/incidents/{id}"), &edit)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // The audit log refuses UPDATE and DELETE (a PostgreSQL trigger).
    let pool = sqlx::PgPool::connect(app.postgres_url().expect("postgres"))
        .await
        .expect("pool");
    for sql in ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"] {
        let refused = sqlx::query(sql).execute(&pool).await;
        assert!(refused.is_err(), "{sql} was allowed");
    }
    pool.close().await;

    let (status, ready) = app.get_json("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{ready}");
}

#[tokio::test]
async fn two_nodes_on_one_postgres_database_act_as_one_service() {
    let Some(a) = TestApp::spawn_on_postgres().await else {
        return;
    };
    let b = a.second_node().await;
    // Warm node B's matrix cache before A writes.
    let (status, before) = b.get("/matrix").await;
    assert_eq!(status, 200);
    assert!(!before.contains("1 incident, 1 step"));

    let (status, created) = a.post_json("/api/v1/incidents", &incident()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id");

    // B's next matrix and API answers show A's write.
    let (_, after) = b.get("/matrix").await;
    assert!(
        after.contains("1 incident, 1 step"),
        "node B's matrix is stale"
    );
    let (status, seen) = b.get_json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["title"], created["title"]);

    // A session signed in on A works on B.
    support::user_with_token(&a.store, "carol", Role::Analyst).await;
    let (session, status) = a.sign_in("carol", support::PASSWORD).await;
    assert!(
        status.is_success() || status.is_redirection(),
        "sign-in: {status}"
    );
    let on_b = session
        .get(b.url(&format!("/incidents/{id}")))
        .send()
        .await
        .expect("request");
    assert_eq!(on_b.status(), StatusCode::OK, "A's session refused on B");

    // The active release switched on A is the one B answers with next.
    a.import(&support::shared_atlas("ATLAS-4.8.0.yaml")).await;
    atlasview::service::releases::activate(&a.store, "4.8.0", "admin", "")
        .await
        .expect("activate");
    a.reload().await;
    let (_, tactics) = b.get_json("/api/v1/atlas/tactics").await;
    assert_eq!(tactics["release"], "4.8.0", "node B kept its release");

    // A goes away; B keeps serving every acknowledged write.
    drop(a);
    let (status, seen) = b.get_json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
}

/// Alerts on PostgreSQL: a second batch folds into the incidents the first
/// opened, in the group statements (`UPDATE … FROM (VALUES …)` for the
/// incidents touched, one multi-row insert for their timeline events).
#[tokio::test]
async fn alerts_fold_into_their_incidents_on_postgres() {
    let Some(app) = TestApp::spawn_on_postgres().await else {
        return;
    };
    atlasview::service::ingest::save_rule(&app.store, "per host", &["host.name".into()], "24h")
        .await
        .expect("rule");
    let batch = |from: usize, severity: &str| {
        (from..from + 6)
            .map(|i| {
                json!({"id": format!("a-{i}"), "time": format!("2026-03-01T10:{i:02}:00Z"),
                       "technique": "AML.T0051", "severity": severity,
                       "host": {"name": format!("gpu-{}", i % 2)}})
                .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (status, first) = app
        .post_alerts(
            "/api/v1/alerts?source=siem",
            "application/x-ndjson",
            batch(0, "low"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        first["incidents"].as_array().map(Vec::len),
        Some(2),
        "{first}"
    );
    let (status, second) = app
        .post_alerts(
            "/api/v1/alerts?source=siem",
            "application/x-ndjson",
            batch(6, "high"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["accepted"], 6, "{second}");
    assert_eq!(second["folded"], 6, "{second}");
    assert_eq!(second["incidents"], first["incidents"]);
    for id in first["incidents"].as_array().expect("ids") {
        let id = id.as_str().expect("id");
        let incident = app.incident(id).await;
        assert_eq!(incident["severity"], "high", "raised by the second batch");
        assert_eq!(incident["version"], 2, "bumped once by the second batch");
        let evidence = incident["steps"][0]["evidence"]
            .as_str()
            .unwrap_or_default();
        assert!(evidence.starts_with("6 alerts from"), "{incident}");
        let events: Vec<String> = app
            .store
            .events(id)
            .await
            .expect("events")
            .into_iter()
            .filter(|e| e.kind.as_str() == "alerts")
            .map(|e| format!("{} {}", e.seq, e.new_value))
            .collect();
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(
            events.iter().all(|e| e.ends_with(" 3 alerts")),
            "{events:?}"
        );
        let seqs: Vec<&str> = events.iter().filter_map(|e| e.split(' ').next()).collect();
        assert_ne!(seqs[0], seqs[1], "numbered in turn: {events:?}");
    }
}
