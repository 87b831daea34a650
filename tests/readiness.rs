//! `/readyz`: ready only with the database answering, every migration
//! applied and a release active; otherwise 503 naming the failed check.

use atlasview::web::WebConfig;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

async fn readyz(app: &TestApp) -> (StatusCode, Value) {
    let res = app
        .anonymous()
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("request");
    let status = res.status();
    (status, res.json().await.expect("JSON body"))
}

fn check<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {body}"))
}

#[tokio::test]
async fn a_seeded_app_is_ready_to_anyone() {
    let app = TestApp::spawn().await;
    let (status, body) = readyz(&app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ready"], true);
    assert_eq!(body["failed"], serde_json::json!([]));
    for name in ["database", "migrations", "release"] {
        assert_eq!(check(&body, name)["ok"], true, "{name}: {body}");
    }
    assert!(
        check(&body, "release")["detail"]
            .as_str()
            .unwrap()
            .contains(app.state.atlas.get().version()),
        "{body}"
    );
}

#[tokio::test]
async fn no_active_release_is_not_ready_and_says_so() {
    let app = TestApp::spawn_empty(WebConfig::default()).await;
    assert_eq!(readyz(&app).await.0, StatusCode::OK);
    let other = app.other_connection().await;
    other
        .execute("UPDATE atlas_releases SET is_active = FALSE", &[])
        .await
        .unwrap();
    let (status, body) = readyz(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["ready"], false);
    assert_eq!(body["failed"], serde_json::json!(["release"]));
    assert_eq!(check(&body, "release")["ok"], false);
    assert_eq!(check(&body, "migrations")["ok"], true);
    // /healthz only asks whether the database answers.
    assert_eq!(app.get("/healthz").await.0, 200);
}

#[tokio::test]
async fn a_migration_missing_from_the_database_is_not_ready() {
    let app = TestApp::spawn().await;
    let other = app.other_connection().await;
    let last = other
        .count("SELECT MAX(version) FROM _sqlx_migrations", &[])
        .await;
    other
        .execute(
            "DELETE FROM _sqlx_migrations WHERE version = $1",
            &[last.into()],
        )
        .await
        .unwrap();
    let (status, body) = readyz(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["failed"], serde_json::json!(["migrations"]));
    let detail = check(&body, "migrations")["detail"].as_str().unwrap();
    assert!(detail.contains(&last.to_string()), "{detail}");
}
