//! `/metrics`: Prometheus text for admins only (and, unauthenticated, on the
//! separate `--metrics-addr` listener); requests by route template and
//! status, latency, ingestion outcomes, caches, pool, build and release.

use atlasview::domain::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::support::TestApp;

/// The value of the first sample of `name` whose labels include every
/// `key="value"` given.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name).then_some((rest, value))
        })
        .find(|(rest, _)| {
            labels
                .iter()
                .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|(_, v)| v.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    res.text().await.unwrap()
}

fn requests(text: &str, route: &str, status: &str) -> f64 {
    sample(
        text,
        "atlasview_http_requests_total",
        &[("method", "GET"), ("route", route), ("status", status)],
    )
    .unwrap_or(0.0)
}

#[tokio::test]
async fn a_scrape_after_requests_sees_the_counters_move() {
    let app = TestApp::spawn().await;
    let before = scrape(&app).await;
    assert_eq!(requests(&before, "/api/v1/incidents", "200"), 0.0);
    for _ in 0..3 {
        assert_eq!(app.get_json("/api/v1/incidents").await.0, StatusCode::OK);
    }
    assert_eq!(
        app.get_json("/api/v1/incidents/INC-NOPE-1").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/no/such/page").await.0, 404);
    // The same matrix twice: the second is the response cache's.
    let hits_before = sample(
        &before,
        "atlasview_cache_hits_total",
        &[("cache", "responses")],
    )
    .unwrap();
    assert_eq!(app.get("/matrix").await.0, 200);
    assert_eq!(app.get("/matrix").await.0, 200);

    let after = scrape(&app).await;
    assert_eq!(requests(&after, "/api/v1/incidents", "200"), 3.0, "{after}");
    assert_eq!(requests(&after, "/api/v1/incidents/{id}", "404"), 1.0);
    assert_eq!(requests(&after, "unmatched", "404"), 1.0);
    assert_eq!(requests(&after, "/metrics", "200"), 1.0, "the first scrape");
    assert!(!after.contains("INC-NOPE-1"), "raw paths are never labels");
    assert_eq!(
        sample(
            &after,
            "atlasview_http_request_duration_seconds_count",
            &[("method", "GET"), ("route", "/api/v1/incidents")],
        ),
        Some(3.0)
    );
    assert!(after.contains("atlasview_http_request_duration_seconds_bucket{"));
    let hits_after = sample(
        &after,
        "atlasview_cache_hits_total",
        &[("cache", "responses")],
    )
    .unwrap();
    assert!(hits_after > hits_before, "{hits_before} → {hits_after}");
    for cache in [
        "responses",
        "matrix_aggregates",
        "report_data",
        "report_facts",
        "incident_pages",
    ] {
        assert!(
            sample(&after, "atlasview_cache_misses_total", &[("cache", cache)]).is_some(),
            "{cache}"
        );
    }
    let pool: f64 = ["in_use", "idle"]
        .iter()
        .map(|s| sample(&after, "atlasview_db_pool_connections", &[("state", *s)]).unwrap())
        .sum();
    assert!(pool >= 1.0, "{after}");
    assert_eq!(
        sample(
            &after,
            "atlasview_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    let release = app.state.atlas.get().version().to_string();
    assert_eq!(
        sample(
            &after,
            "atlasview_atlas_release_info",
            &[("version", release.as_str())]
        ),
        Some(1.0),
        "{after}"
    );
}

#[tokio::test]
async fn anonymous_and_non_admin_visitors_are_refused() {
    let app = TestApp::spawn().await;
    let res = app
        .anonymous()
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::OK);
    assert!(
        !res.text()
            .await
            .unwrap()
            .contains("atlasview_http_requests")
    );
    for role in [Role::Viewer, Role::Analyst, Role::Ingest] {
        let client = app.client_as(role).await;
        let res = client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role}");
    }
    assert_eq!(
        app.client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

fn ingested(text: &str, outcome: &str) -> f64 {
    sample(
        text,
        "atlasview_alerts_ingested_total",
        &[("outcome", outcome)],
    )
    .unwrap_or_else(|| panic!("no {outcome} counter: {text}"))
}

fn count(report: &Value, key: &str) -> f64 {
    match &report[key] {
        Value::Array(a) => a.len() as f64,
        v => v.as_f64().unwrap(),
    }
}

#[tokio::test]
async fn an_alert_ingestion_moves_the_ingestion_counters() {
    let app = TestApp::spawn().await;
    let before = scrape(&app).await;
    for outcome in ["accepted", "folded", "duplicates", "unmapped", "refused"] {
        assert_eq!(ingested(&before, outcome), 0.0, "{outcome}");
    }
    let body = [
        json!({"id": "m-1", "technique": "AML.T0051"}),
        json!({"id": "m-2", "technique": " aml.t0051 "}),
        json!({"id": "m-3", "technique": "T51"}),
        json!({"id": "m-4", "technique": "AML.T0999"}),
    ]
    .iter()
    .map(|a| format!("{a}\n"))
    .collect::<String>();
    let (status, first) = app
        .post_alerts("/api/v1/alerts", "application/x-ndjson", body)
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, second) = app
        .post_alerts(
            "/api/v1/alerts",
            "application/json",
            json!({"id": "m-1", "technique": "AML.T0051"}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let after = scrape(&app).await;
    for (outcome, key) in [
        ("accepted", "accepted"),
        ("folded", "folded"),
        ("duplicates", "duplicates"),
        ("unmapped", "unmapped"),
        ("refused", "refused"),
    ] {
        let reported = count(&first, key) + count(&second, key);
        assert!(reported >= 1.0, "{outcome}: {first} {second}");
        assert_eq!(ingested(&after, outcome), reported, "{outcome}");
    }
}

#[tokio::test]
async fn the_metrics_listener_serves_only_metrics_without_sign_in() {
    let app = TestApp::spawn().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(atlasview::app::serve_metrics(listener, app.state.clone()));
    app.get_json("/api/v1/incidents").await;
    let anon = reqwest::Client::new();
    let res = anon.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert_eq!(requests(&text, "/api/v1/incidents", "200"), 1.0, "{text}");
    for path in ["/incidents", "/api/v1/incidents", "/"] {
        let res = anon.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

/// A free loopback port (bound, then let go for the server to take).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The real binary: `serve --metrics-addr` opens the second listener.
#[tokio::test]
async fn serve_with_metrics_addr_answers_a_scraper_without_sign_in() {
    let db = crate::support::TestDatabase::fresh().await;
    let (addr, metrics_addr) = (
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_atlasview"))
        .arg("--database-url")
        .arg(&db)
        .args(["serve", "--addr", &addr, "--metrics-addr", &metrics_addr])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start server");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut scraped = None;
    for _ in 0..100 {
        if let Ok(res) = client
            .get(format!("http://{metrics_addr}/metrics"))
            .send()
            .await
        {
            scraped = Some((res.status(), res.text().await.unwrap()));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let main = client.get(format!("http://{addr}/metrics")).send().await;
    let _ = child.kill();
    let _ = child.wait();
    let (status, text) = scraped.expect("the metrics listener answered");
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("atlasview_build_info{"), "{text}");
    let main = main.expect("the main listener answered");
    assert_ne!(
        main.status(),
        StatusCode::OK,
        "the main address still wants an admin"
    );
}
