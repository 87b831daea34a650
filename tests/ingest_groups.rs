//! Group commit of alert ingestion (issue 15): requests that arrive while
//! the writer waits for the database are written in one transaction (as one,
//! or each in its own savepoint when that fails), and each answered with its
//! own report after the commit.
//! The tests pause the app's writer so that requests pile up behind it.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::support::{TestApp, post_alerts_with};

/// Waits (without a deadline of its own: the test harness has one) until
/// `n` requests are in the app's ingestion queue.
async fn until_waiting(app: &TestApp, n: usize) {
    while app.state.ingest.waiting() < n {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Three alerts of one host: two of one technique (one step) and one of another.
fn alerts_of(source: &str, host: &str) -> String {
    [
        json!({"id": format!("{host}-1"), "time": "2026-03-01T10:00:00Z", "technique": "AML.T0051", "host": {"name": host}}),
        json!({"id": format!("{host}-2"), "time": "2026-03-01T10:01:00Z", "technique": "AML.T0051", "host": {"name": host}}),
        json!({"id": format!("{host}-3"), "time": "2026-03-01T10:02:00Z", "technique": "AML.T0043", "host": {"name": host}}),
    ]
    .iter()
    .map(|a| format!("{a}\n"))
    .collect::<String>()
        + &format!("{{\"id\": \"{source}-bad\"}}\n")
}

/// Posts each body at once (as its own request) and returns the answers in order.
async fn post_all(
    app: &TestApp,
    bodies: Vec<(String, String)>,
) -> Vec<JoinHandle<(StatusCode, Value)>> {
    let mut sent = Vec::new();
    for (source, body) in bodies {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/alerts?source={source}"));
        sent.push(tokio::spawn(async move {
            post_alerts_with(&client, &url, "application/x-ndjson", body).await
        }));
    }
    sent
}

#[tokio::test]
async fn concurrent_requests_commit_in_one_group_each_with_its_own_report() {
    let app = TestApp::spawn().await;
    let pause = app.state.ingest.pause().await;
    let hosts = ["gpu-1", "gpu-2", "gpu-3", "gpu-4"];
    let bodies = hosts
        .iter()
        .map(|h| (format!("siem-{h}"), alerts_of(&format!("siem-{h}"), h)))
        .collect();
    let sent = post_all(&app, bodies).await;
    until_waiting(&app, hosts.len()).await;
    assert_eq!(
        app.store.alert_count().await.unwrap(),
        0,
        "nothing before the commit"
    );
    drop(pause);
    let mut incidents = Vec::new();
    for (host, answer) in hosts.iter().zip(sent) {
        let (status, report) = answer.await.expect("request");
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["accepted"], 3, "{host}: {report}");
        assert_eq!(
            report["folded"], 1,
            "{host}: the second T0051 folds: {report}"
        );
        assert_eq!(report["duplicates"], 0, "{host}: {report}");
        assert_eq!(report["refused"][0]["index"], 3, "{host}: {report}");
        let ids = report["incidents"].as_array().expect("incidents");
        assert_eq!(ids.len(), 1, "{host}: its own incident only: {report}");
        let incident = app.incident(ids[0].as_str().unwrap()).await;
        assert_eq!(incident["steps"].as_array().unwrap().len(), 2, "{incident}");
        incidents.push(ids[0].clone());
    }
    incidents.sort_by_key(|v| v.to_string());
    incidents.dedup();
    assert_eq!(incidents.len(), hosts.len(), "one incident per request");
    let stats = app.state.ingest.stats();
    assert_eq!((stats.groups, stats.requests), (1, hosts.len() as u64));
    assert_eq!(app.store.alert_count().await.unwrap(), 12);

    // Sending them all again, grouped again: nothing changes.
    let before = app.snapshot().await;
    let pause = app.state.ingest.pause().await;
    let bodies = hosts
        .iter()
        .map(|h| (format!("siem-{h}"), alerts_of(&format!("siem-{h}"), h)))
        .collect();
    let sent = post_all(&app, bodies).await;
    until_waiting(&app, hosts.len()).await;
    drop(pause);
    for answer in sent {
        let (status, report) = answer.await.expect("request");
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(
            (report["accepted"].as_u64(), report["duplicates"].as_u64()),
            (Some(0), Some(3))
        );
    }
    assert_eq!(app.snapshot().await, before);
    assert_eq!(app.state.ingest.stats().groups, 2);
}

#[tokio::test]
async fn a_request_repeating_another_of_its_group_counts_duplicates() {
    let app = TestApp::spawn().await;
    let pause = app.state.ingest.pause().await;
    let body = alerts_of("dup", "db-1");
    let sent = post_all(
        &app,
        vec![("dup".into(), body.clone()), ("dup".into(), body)],
    )
    .await;
    until_waiting(&app, 2).await;
    drop(pause);
    let mut accepted = Vec::new();
    for answer in sent {
        let (status, report) = answer.await.expect("request");
        assert_eq!(status, StatusCode::OK, "{report}");
        accepted.push((report["accepted"].as_u64(), report["duplicates"].as_u64()));
    }
    accepted.sort();
    assert_eq!(accepted, [(Some(0), Some(3)), (Some(3), Some(0))]);
    assert_eq!(app.state.ingest.stats().groups, 1);
    assert_eq!(app.store.alert_count().await.unwrap(), 3);
}

#[tokio::test]
async fn a_failing_request_in_a_group_rolls_back_only_itself() {
    let app = TestApp::spawn().await;
    let other = app.other_connection().await;
    // A database that refuses one source's alerts, mid-request (after its
    // incident and steps are written).
    other.poison_alerts().await;
    let incidents_before = other.count("SELECT COUNT(*) FROM incidents", &[]).await;
    let pause = app.state.ingest.pause().await;
    let bodies = vec![
        ("good-a".to_string(), alerts_of("good-a", "a")),
        ("poison".to_string(), alerts_of("poison", "p")),
        ("good-b".to_string(), alerts_of("good-b", "b")),
    ];
    let sent = post_all(&app, bodies).await;
    until_waiting(&app, 3).await;
    drop(pause);
    let mut answers = Vec::new();
    for answer in sent {
        answers.push(answer.await.expect("request"));
    }
    assert!(answers[1].0.is_server_error(), "{:?}", answers[1]);
    for i in [0, 2] {
        let (status, report) = &answers[i];
        assert_eq!(*status, StatusCode::OK, "{report}");
        assert_eq!(report["accepted"], 3, "{report}");
    }
    assert_eq!(
        app.state.ingest.stats().groups,
        1,
        "one group for the three"
    );
    assert_eq!(app.store.alert_count().await.unwrap(), 6);
    assert!(!app.store.alert_exists("poison", "p-1").await.unwrap());
    let incidents = other.count("SELECT COUNT(*) FROM incidents", &[]).await;
    assert_eq!(
        incidents,
        incidents_before + 2,
        "the poisoned request's incident is rolled back"
    );
    let steps = other
        .count(
            "SELECT COUNT(*) FROM observations o JOIN incidents i ON i.id = o.incident_id
             WHERE i.summary LIKE '%poison%'",
            &[],
        )
        .await;
    assert_eq!(steps, 0);
    // The request can be sent again once the database takes it.
    other.cure_alerts().await;
    let (status, report) = app
        .post_alerts(
            "/api/v1/alerts?source=poison",
            "application/x-ndjson",
            alerts_of("poison", "p"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["accepted"], 3, "{report}");
}

#[tokio::test]
async fn single_alert_requests_of_a_group_are_written_as_one_with_a_report_each() {
    let app = TestApp::spawn().await;
    let pause = app.state.ingest.pause().await;
    // Six one-alert requests: four from source "edge" (two of them repeating
    // one technique, one repeating another request's alert) and two from
    // "core" (no correlation rule: one incident per source). Which of the two
    // identical alerts counts as the duplicate depends on which request
    // reached the queue first.
    let alerts = [
        ("a1", "10:00", "AML.T0051", "edge"),
        ("a2", "10:01", "AML.T0051", "edge"),
        ("a3", "10:02", "AML.T0043", "edge"),
        ("a1", "10:00", "AML.T0051", "edge"),
        ("c1", "10:00", "AML.T0051", "core"),
        ("c2", "10:05", "AML.T0051", "core"),
    ];
    let bodies = alerts
        .iter()
        .map(|(id, at, technique, host)| {
            let alert = json!({"id": id, "time": format!("2026-03-01T{at}:00Z"),
                               "technique": technique, "host": {"name": host}});
            (host.to_string(), format!("{alert}\n"))
        })
        .collect();
    let sent = post_all(&app, bodies).await;
    until_waiting(&app, alerts.len()).await;
    drop(pause);
    let mut reports = Vec::new();
    for answer in sent {
        let (status, report) = answer.await.expect("request");
        assert_eq!(status, StatusCode::OK, "{report}");
        reports.push(report);
    }
    assert_eq!(app.state.ingest.stats().groups, 1, "one group");
    let counts: Vec<(u64, u64, u64)> = reports
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap_or(99);
            (n("accepted"), n("folded"), n("duplicates"))
        })
        .collect();
    let mut twins = [counts[0], counts[3]];
    twins.sort();
    assert_eq!(twins, [(0, 0, 1), (1, 0, 0)], "{reports:?}");
    assert_eq!(
        [counts[1], counts[2], counts[4], counts[5]],
        [(1, 1, 0), (1, 0, 0), (1, 0, 0), (1, 1, 0)],
        "each request's own report, in event-time order: {reports:?}"
    );
    let edge = reports[1]["incidents"].clone();
    let core = reports[4]["incidents"].clone();
    assert_eq!(edge.as_array().map(Vec::len), Some(1), "{edge}");
    assert_ne!(edge, core, "one incident per source");
    assert_eq!(reports[2]["incidents"], edge);
    let twins: Vec<&Value> = [&reports[0], &reports[3]]
        .iter()
        .map(|r| &r["incidents"])
        .collect();
    assert!(
        twins.contains(&&edge) && twins.contains(&&json!([])),
        "a duplicate touches nothing: {twins:?}"
    );
    assert_eq!(reports[5]["incidents"], core);
    // The incident's timeline says "3 alerts" once, not "1 alert" three times.
    let incident = edge[0].as_str().unwrap();
    let alert_events: Vec<String> = app
        .store
        .events(incident)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.as_str() == "alerts")
        .map(|e| e.new_value)
        .collect();
    assert_eq!(alert_events, ["3 alerts"]);
    let steps = app.incident(incident).await["steps"].clone();
    assert_eq!(steps.as_array().map(Vec::len), Some(2), "{steps}");
}
