//! Acknowledged means committed: the real server binary is killed with
//! SIGKILL while 10,000 alerts are being posted; every alert of a request that
//! got a 2xx is in the database afterwards, and SQLite's integrity check passes.
//! On SQLite whatever the run's backend: what it proves is that SQLite's file
//! (journal, fsync) survives the kill; PostgreSQL's durability is the server's.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use atlasview::domain::auth::Role;
use atlasview::store::Store;
use serde_json::{Value, json};

use crate::support::process::ServerProcess;
use crate::support::user_with_token;

const ALERTS: usize = 10_000;
const PER_REQUEST: usize = 50;
const SENDERS: usize = 4;
/// Kill once this many alerts are acknowledged (the rest are in flight or unsent).
const KILL_AFTER: usize = 3_000;

fn batch(n: usize) -> String {
    let techniques = ["AML.T0051", "AML.T0015", "AML.T0043", "AML.T0199"];
    (0..PER_REQUEST)
        .map(|i| {
            let k = n * PER_REQUEST + i;
            json!({
                "id": format!("k-{k}"),
                "time": format!("2026-03-01T{:02}:{:02}:{:02}Z", (k / 3600) % 24, (k / 60) % 60, k % 60),
                "technique": techniques[k % techniques.len()],
                "source": format!("sender-{}", n % SENDERS),
                "host": {"name": format!("h{}", k % 7)},
            })
            .to_string()
                + "\n"
        })
        .collect()
}

#[tokio::test]
async fn kill_9_during_ingestion_loses_no_acknowledged_alert() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("durable.db");
    let db_arg = db.to_str().unwrap().to_string();
    let token = {
        let store = Store::connect(&db_arg).await.unwrap();
        atlasview::service::releases::load_or_seed(&store)
            .await
            .unwrap();
        let token = user_with_token(&store, "connector", Role::Ingest).await;
        store.close().await;
        token
    };
    let mut server = ServerProcess::start(&db_arg).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();

    let acked: Arc<Mutex<Vec<usize>>> = Arc::default();
    let acked_alerts = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for _ in 0..SENDERS {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        let (acked, acked_alerts, next) = (acked.clone(), acked_alerts.clone(), next.clone());
        senders.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= ALERTS / PER_REQUEST {
                    return;
                }
                let res = client
                    .post(format!("{base}/api/v1/alerts"))
                    .bearer_auth(&token)
                    .header("content-type", "application/x-ndjson")
                    .body(batch(n))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let report: Value = r.json().await.unwrap_or(Value::Null);
                        // Acknowledged only once the whole answer arrived.
                        if report["accepted"].as_u64() == Some(PER_REQUEST as u64) {
                            acked.lock().unwrap().push(n);
                            acked_alerts.fetch_add(PER_REQUEST, Ordering::SeqCst);
                        }
                    }
                    // The server is gone: stop sending.
                    _ => return,
                }
            }
        }));
    }
    while acked_alerts.load(Ordering::SeqCst) < KILL_AFTER {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill_9();
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let sent = next.load(Ordering::SeqCst).min(ALERTS / PER_REQUEST);
    assert!(
        acked.len() < ALERTS / PER_REQUEST,
        "the kill came after every request was answered; nothing was tested"
    );

    let store = Store::connect(&db_arg).await.unwrap();
    let stored = store.alert_count().await.unwrap() as usize;
    let mut missing = Vec::new();
    for n in &acked {
        for i in 0..PER_REQUEST {
            let k = n * PER_REQUEST + i;
            if !store
                .alert_exists(&format!("sender-{}", n % SENDERS), &format!("k-{k}"))
                .await
                .unwrap()
            {
                missing.push(k);
            }
        }
    }
    assert!(missing.is_empty(), "acknowledged alerts lost: {missing:?}");
    // Whole requests or nothing: no half-written request survives.
    assert_eq!(stored % PER_REQUEST, 0, "{stored} alerts stored");
    assert!(stored >= acked.len() * PER_REQUEST && stored <= sent * PER_REQUEST);
    store.close().await;

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db_arg}"))
        .await
        .unwrap();
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let broken: Vec<(String, Option<i64>, String, i64)> =
        sqlx::query_as("PRAGMA foreign_key_check")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let set: HashSet<usize> = acked.iter().copied().collect();
    eprintln!(
        "durability: {} of {} requests acknowledged ({} alerts) before SIGKILL, {} alerts stored, 0 lost, integrity ok",
        set.len(),
        ALERTS / PER_REQUEST,
        set.len() * PER_REQUEST,
        stored
    );
}
