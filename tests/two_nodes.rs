//! Two `atlasview serve` processes on one PostgreSQL database act as one
//! service (issue 18, item 5): a write through node A shows in node B's next
//! `/matrix` and API answers, a session signed in on A works on B, and after
//! A is killed with SIGKILL in the middle of writes, B serves every write A
//! acknowledged and goes on taking writes. Real processes, not two routers
//! in one test process: nothing is shared but the database.

use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use atlasview::domain::auth::Role;
use atlasview::store::Store;

use crate::support::process::ServerProcess;
use crate::support::{self, migrated_postgres_database, postgres_url};

/// Writers posting to A while it is killed, and how many incidents A must
/// have acknowledged before the kill.
const WRITERS: usize = 3;
const KILL_AFTER: usize = 30;

fn incident(title: &str) -> Value {
    json!({
        "title": title,
        "kind": "incident",
        "severity": "high",
        "status": "open",
        "occurred_at": "2026-03-14",
        "steps": [
            {"tactic": "AML.TA0005", "technique": "AML.T0051.001", "outcome": "detected"}
        ]
    })
}

/// Creates an incident through `node`'s API; its answer, a 201.
async fn create_incident(api: &reqwest::Client, node: &ServerProcess, title: &str) -> Value {
    let res = api
        .post(node.url("/api/v1/incidents"))
        .json(&incident(title))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.expect("json")
}

fn with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_postgres_act_as_one_service_and_survive_a_kill() {
    if postgres_url().is_none() {
        return;
    }
    let database = migrated_postgres_database().await;
    let token = {
        let store = Store::connect(&database.url).await.expect("connect");
        atlasview::service::releases::load_or_seed(&store)
            .await
            .expect("seed the release");
        let token = support::user_with_token(&store, "admin", Role::Admin).await;
        store.close().await;
        token
    };
    let mut a = ServerProcess::start(&database.url).await;
    let b = ServerProcess::start(&database.url).await;
    let api = with_token(&token);

    // B's matrix is drawn (and cached) before A writes.
    let before = api.get(b.url("/matrix")).send().await.expect("B");
    assert_eq!(before.status(), StatusCode::OK);
    assert!(
        !before
            .text()
            .await
            .expect("body")
            .contains("1 incident, 1 step")
    );

    let created = create_incident(&api, &a, "Written through A").await;
    let id = created["id"].as_str().expect("id").to_string();

    // B's next matrix and API answers show it.
    let matrix = api.get(b.url("/matrix")).send().await.expect("B");
    assert!(
        matrix
            .text()
            .await
            .expect("body")
            .contains("1 incident, 1 step"),
        "node B's matrix does not show A's write"
    );
    let seen: Value = api
        .get(b.url(&format!("/api/v1/incidents/{id}")))
        .send()
        .await
        .expect("B")
        .json()
        .await
        .expect("json");
    assert_eq!(seen["title"], "Written through A");

    // A session signed in on A is a session on B.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = browser
        .post(a.url("/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!(
            "username=admin&password={}&next=%2Fincidents",
            support::PASSWORD
        ))
        .send()
        .await
        .expect("sign in on A");
    assert!(
        login.status().is_redirection(),
        "sign-in: {}",
        login.status()
    );
    // The cookie is the host's (127.0.0.1), so the jar sends it to B's port too.
    let on_b = browser
        .get(b.url(&format!("/incidents/{id}")))
        .send()
        .await
        .expect("B");
    assert_eq!(on_b.status(), StatusCode::OK, "A's session refused on B");

    // Writers keep A busy; A is killed once it acknowledged KILL_AFTER.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (api, url, acked) = (api.clone(), a.url("/api/v1/incidents"), acked.clone());
        writers.push(tokio::spawn(async move {
            for n in 0.. {
                let res = api
                    .post(&url)
                    .json(&incident(&format!("writer {w} incident {n}")))
                    .send()
                    .await;
                let Ok(res) = res else { return };
                if res.status() != StatusCode::CREATED {
                    return;
                }
                // Acknowledged once the whole answer, with its ID, arrived.
                let Ok(body) = res.json::<Value>().await else {
                    return;
                };
                if let Some(id) = body["id"].as_str() {
                    acked.lock().expect("lock").push(id.to_string());
                }
            }
        }));
    }
    while acked.lock().expect("lock").len() < KILL_AFTER {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    a.kill_9();
    for w in writers {
        w.await.expect("writer");
    }
    let acked = acked.lock().expect("lock").clone();

    // B serves every write A acknowledged.
    let mut missing = Vec::new();
    for id in acked.iter().chain([&id]) {
        let res = api
            .get(b.url(&format!("/api/v1/incidents/{id}")))
            .send()
            .await
            .expect("B");
        if res.status() != StatusCode::OK {
            missing.push(id.clone());
        }
    }
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");
    let listed: Value = api
        .get(b.url("/api/v1/incidents?per_page=1"))
        .send()
        .await
        .expect("B")
        .json()
        .await
        .expect("json");
    let total = listed["total"].as_u64().expect("total") as usize;
    assert!(
        total > acked.len(),
        "{total} incidents for {} acknowledged",
        acked.len()
    );

    // And B goes on taking writes.
    create_incident(&api, &b, "Written through B after A died").await;
    let ready = api.get(b.url("/readyz")).send().await.expect("B");
    assert_eq!(ready.status(), StatusCode::OK);
    eprintln!(
        "two nodes: {} incidents acknowledged by A before SIGKILL, 0 lost; {total} stored; B kept serving",
        acked.len()
    );
}
