//! Concurrent writes against one database (of the run's backend): never a 500, conflicts are
//! 409s, and what was acknowledged is what is stored.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;

async fn new_incident(app: &TestApp) -> String {
    let (status, created) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "Busy incident", "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_string()
}

/// Sends `n` requests at once and counts the answers by status.
async fn all_at_once<F, Fut>(n: usize, request: F) -> BTreeMap<u16, usize>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
{
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = Vec::new();
    for i in 0..n {
        let fut = request(i);
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            fut.await.expect("request").status().as_u16()
        }));
    }
    let mut counts = BTreeMap::new();
    for t in tasks {
        *counts.entry(t.await.expect("task")).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_step_inserts_all_succeed_or_conflict_and_stay_contiguous() {
    let app = TestApp::spawn().await;
    let id = new_incident(&app).await;
    let url = app.url(&format!("/api/v1/incidents/{id}/steps"));
    let counts = all_at_once(50, |i| {
        app.client
            .post(&url)
            .json(&json!({"tactic": "AML.TA0002", "technique": "AML.T0000", "description": format!("step {i}")}))
            .send()
    })
    .await;
    let created = counts.get(&201).copied().unwrap_or(0);
    let conflicts = counts.get(&409).copied().unwrap_or(0);
    assert_eq!(created + conflicts, 50, "only 201 or 409: {counts:?}");
    let (_, detail) = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    let positions: Vec<i64> = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions.len(), 1 + created, "every 201 is stored");
    assert_eq!(
        positions,
        (1..=positions.len() as i64).collect::<Vec<_>>(),
        "positions are contiguous"
    );
    assert_eq!(detail["version"].as_i64(), Some(1 + created as i64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_updates_of_one_version_give_one_success_and_409s() {
    let app = TestApp::spawn().await;
    let id = new_incident(&app).await;
    let url = app.url(&format!("/api/v1/incidents/{id}"));
    let counts = all_at_once(40, |i| {
        app.client
            .put(&url)
            .json(&json!({"title": format!("Renamed {i}"), "version": 1}))
            .send()
    })
    .await;
    assert_eq!(
        (counts.get(&200).copied(), counts.get(&409).copied()),
        (Some(1), Some(39)),
        "{counts:?}"
    );
    let (_, detail): (_, Value) = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(detail["version"], 2);
}
