//! Webhooks out (issue #17, item 6) against a receiver in the test (a small
//! axum server on 127.0.0.1, so the tests allow private addresses; the
//! refusal of them is tested on its own): signed deliveries, retries logged,
//! a hanging receiver that never holds up the request that triggered it,
//! the admin guard, and refused URLs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use atlasview::domain::auth::Role;
use atlasview::domain::webhook::{ClaimedDelivery, RetrySchedule};
use atlasview::service::webhooks::{Sender, WebhookSettings};
use atlasview::web::WebConfig;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{TestApp, post_alerts_with};

/// One request the receiver got: its headers and body.
#[derive(Clone)]
struct Received {
    headers: HeaderMap,
    body: String,
}

#[derive(Clone, Copy)]
enum Behaviour {
    Answer(u16),
    Hang(Duration),
}

/// A local receiver recording every request; answers as told.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(behaviour: Behaviour) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let seen = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let seen = seen.clone();
                async move {
                    seen.lock().unwrap().push(Received { headers, body });
                    match behaviour {
                        Behaviour::Answer(code) => AxumStatus::from_u16(code).unwrap(),
                        Behaviour::Hang(d) => {
                            tokio::time::sleep(d).await;
                            AxumStatus::OK
                        }
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, got }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (at most 15 s) until `n` requests came.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Short waits so retries happen within the test; private addresses allowed
/// (the receiver is on 127.0.0.1).
fn settings(timeout: Duration) -> WebhookSettings {
    WebhookSettings {
        allow_private: true,
        timeout,
        retry: RetrySchedule {
            first_wait: Duration::from_millis(100),
            max_attempts: 3,
        },
        poll: Duration::from_millis(200),
    }
}

async fn app_with_sender(s: WebhookSettings) -> TestApp {
    let app = TestApp::spawn_with(WebConfig {
        webhooks: s,
        ..Default::default()
    })
    .await;
    atlasview::app::spawn_webhooks(&app.state).expect("start the sender");
    app
}

/// Registers a hook; answers its ID and secret.
async fn register(app: &TestApp, url: &str, events: &[&str]) -> (String, String) {
    let (status, hook) = app
        .post_json("/api/v1/webhooks", &json!({"url": url, "events": events}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    (
        hook["id"].as_str().unwrap().to_string(),
        hook["secret"].as_str().unwrap().to_string(),
    )
}

async fn create_incident(app: &TestApp, title: &str) -> String {
    let (status, created) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": title, "kind": "incident", "severity": "low", "status": "open"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_string()
}

fn header<'a>(r: &'a Received, name: &str) -> &'a str {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Waits (at most 15 s) until the hook's log holds `n` attempts.
async fn log_of(app: &TestApp, hook: &str, n: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = app.get_json(&format!("/api/v1/webhooks/{hook}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["deliveries"].as_array().map_or(0, Vec::len) >= n || Instant::now() > deadline {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_delivery_is_signed_with_the_hooks_secret_and_logged() {
    let receiver = Receiver::start(Behaviour::Answer(204)).await;
    let app = app_with_sender(settings(Duration::from_secs(5))).await;
    let (hook, secret) = register(&app, &receiver.url, &["incident.created"]).await;
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    let id = create_incident(&app, "Model extraction through the API").await;

    let got = receiver.wait_for(1).await;
    assert_eq!(got.len(), 1, "one delivery for one created incident");
    let r = &got[0];
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(r.body.as_bytes());
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(header(r, "x-atlasview-signature"), expected);
    let mut wrong = Hmac::<Sha256>::new_from_slice(b"another secret").unwrap();
    wrong.update(r.body.as_bytes());
    assert_ne!(
        header(r, "x-atlasview-signature"),
        format!("sha256={}", hex::encode(wrong.finalize().into_bytes()))
    );
    assert_eq!(header(r, "x-atlasview-event"), "incident.created");
    assert_eq!(header(r, "content-type"), "application/json");
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["event"], "incident.created");
    assert_eq!(body["id"].as_str(), Some(header(r, "x-atlasview-delivery")));
    assert_eq!(body["incident"]["id"], json!(id));
    assert_eq!(
        body["incident"]["title"],
        "Model extraction through the API"
    );
    assert_eq!(body["incident"]["severity"], "low");
    assert!(
        body["at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{body}"
    );

    // The secret is never listed again.
    let (_, list) = app.get_json("/api/v1/webhooks").await;
    assert!(!list.to_string().contains(&secret), "{list}");
    let log = log_of(&app, &hook, 1).await;
    let attempt = &log["deliveries"][0];
    assert_eq!(
        (
            attempt["attempt"].as_i64(),
            attempt["status_code"].as_i64(),
            attempt["error"].as_str()
        ),
        (Some(1), Some(204), Some("")),
        "{log}"
    );
    assert_eq!(log["pending"], 0, "{log}");
    // The admin page shows the attempt.
    let (status, page) = app.get(&format!("/admin/webhooks/{hook}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(header(r, "x-atlasview-delivery")) && page.contains("delivered (204)"),
        "{page}"
    );
}

#[tokio::test]
async fn the_events_subscribed_to_are_sent_and_no_others() {
    let receiver = Receiver::start(Behaviour::Answer(200)).await;
    let app = app_with_sender(settings(Duration::from_secs(5))).await;
    register(
        &app,
        &receiver.url,
        &[
            "incident.severity_raised",
            "incident.status_changed",
            "incident.impact_reached",
            "ingest.unmapped",
        ],
    )
    .await;
    let id = create_incident(&app, "Denial of ML service").await;
    let mut update = app.incident(&id).await;
    for k in ["id", "steps", "created_at", "updated_at", "tags"] {
        update.as_object_mut().unwrap().remove(k);
    }
    let update = json!({
        "title": "Denial of ML service", "kind": "incident", "severity": "critical",
        "status": "contained", "version": update["version"],
    });
    let (status, body) = app
        .put_json(&format!("/api/v1/incidents/{id}"), &update)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for _ in 0..2 {
        let (status, body) = app
            .post_json(
                &format!("/api/v1/incidents/{id}/steps"),
                &json!({"tactic": "AML.TA0011", "technique": "AML.T0029"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let alert = json!({"id": "u-1", "time": "2026-03-01T10:00:00Z", "technique": "AML.T0199", "source": "agent-guard"});
    let (status, report) = post_alerts_with(
        &app.client,
        &app.url("/api/v1/alerts"),
        "application/json",
        alert.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");

    let got = receiver.wait_for(4).await;
    // A moment more: nothing else is on its way.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = if receiver.received().len() > got.len() {
        receiver.received()
    } else {
        got
    };
    let mut events: Vec<String> = got
        .iter()
        .map(|r| header(r, "x-atlasview-event").to_string())
        .collect();
    events.sort();
    assert_eq!(
        events,
        [
            "incident.impact_reached",
            "incident.severity_raised",
            "incident.status_changed",
            "ingest.unmapped"
        ],
        "not created (not subscribed), impact once (the second step under Impact does not reach it again)"
    );
    let by_event = |e: &str| -> Value {
        let r = got
            .iter()
            .find(|r| header(r, "x-atlasview-event") == e)
            .unwrap();
        serde_json::from_str(&r.body).unwrap()
    };
    let raised = by_event("incident.severity_raised");
    assert_eq!(
        (
            raised["change"]["from"].as_str(),
            raised["change"]["to"].as_str()
        ),
        (Some("low"), Some("critical")),
        "{raised}"
    );
    let status = by_event("incident.status_changed");
    assert_eq!(status["incident"]["status"], "contained");
    assert_eq!(
        (
            status["change"]["from"].as_str(),
            status["change"]["to"].as_str()
        ),
        (Some("open"), Some("contained")),
        "{status}"
    );
    let impact = by_event("incident.impact_reached");
    assert!(
        impact["change"]["to"]
            .as_str()
            .unwrap()
            .contains("AML.TA0011"),
        "{impact}"
    );
    let unmapped = by_event("ingest.unmapped");
    assert_eq!(
        unmapped["unmapped"]["technique_ids"],
        json!(["AML.T0199"]),
        "{unmapped}"
    );
    assert_eq!(unmapped["unmapped"]["alerts"], 1);
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_each_attempt_logged_then_given_up() {
    let receiver = Receiver::start(Behaviour::Answer(500)).await;
    let app = app_with_sender(settings(Duration::from_secs(5))).await;
    let (hook, _) = register(&app, &receiver.url, &["incident.created"]).await;
    create_incident(&app, "Poisoned training data").await;

    let got = receiver.wait_for(3).await;
    assert_eq!(got.len(), 3, "three attempts (the schedule's most)");
    let ids: Vec<&str> = got
        .iter()
        .map(|r| header(r, "x-atlasview-delivery"))
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one delivery retried: {ids:?}"
    );
    assert!(
        got.iter().all(|r| r.body == got[0].body),
        "the same bytes each time"
    );
    let log = log_of(&app, &hook, 3).await;
    let attempts: Vec<(i64, i64)> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["attempt"].as_i64().unwrap(),
                a["status_code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [(3, 500), (2, 500), (1, 500)],
        "newest first: {log}"
    );
    assert!(
        log["deliveries"][0]["error"]
            .as_str()
            .unwrap()
            .contains("500"),
        "{log}"
    );
    // Given up: no fourth attempt.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.received().len(), 3);
    let (_, hook_now) = app.get_json(&format!("/api/v1/webhooks/{hook}")).await;
    assert_eq!(
        (hook_now["failed"].as_i64(), hook_now["pending"].as_i64()),
        (Some(1), Some(0)),
        "{hook_now}"
    );
    // The metrics count them by outcome.
    let (status, metrics) = app.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("atlasview_webhook_deliveries_total{outcome=\"retried\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("atlasview_webhook_deliveries_total{outcome=\"failed\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("atlasview_webhook_deliveries_total{outcome=\"delivered\"} 0"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_hanging_receiver_does_not_delay_the_request_that_triggered_it() {
    let hang = Duration::from_secs(10);
    let receiver = Receiver::start(Behaviour::Hang(hang)).await;
    let app = app_with_sender(settings(Duration::from_secs(20))).await;
    register(
        &app,
        &receiver.url,
        &["incident.created", "incident.status_changed"],
    )
    .await;
    // Warm the connection and the pages' caches.
    let _ = app.get_json("/api/v1/incidents").await;
    let started = Instant::now();
    let id = create_incident(&app, "Hanging receiver").await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "the request took {took:?}");
    // The receiver has it, and hangs; a second change is as quick.
    assert_eq!(receiver.wait_for(1).await.len(), 1);
    let version = app.incident(&id).await["version"].clone();
    let started = Instant::now();
    let (status, body) = app
        .put_json(
            &format!("/api/v1/incidents/{id}"),
            &json!({"title": "Hanging receiver", "kind": "incident", "severity": "low", "status": "closed", "version": version}),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        took < Duration::from_secs(1),
        "the second request took {took:?} while the receiver hangs"
    );
}

#[tokio::test]
async fn only_admins_list_register_or_remove_hooks() {
    let app = TestApp::spawn().await;
    let (hook, _) = register(
        &app,
        "https://hooks.example.org/services/T000/B000/chat-secret",
        &["incident.created"],
    )
    .await;
    // Audited, by origin only (a chat tool's hook path is its own secret).
    let (_, audit) = app.get("/admin/audit.jsonl").await;
    let line = audit
        .lines()
        .find(|l| l.contains("webhook.create"))
        .expect("audited");
    assert!(
        line.contains("https://hooks.example.org") && !line.contains("chat-secret"),
        "{line}"
    );
    for role in [Role::Analyst, Role::Viewer, Role::Ingest] {
        let client = app.client_as(role).await;
        let list = client
            .get(app.url("/api/v1/webhooks"))
            .send()
            .await
            .unwrap();
        assert_eq!(list.status(), StatusCode::FORBIDDEN, "{role}: list");
        let create = client
            .post(app.url("/api/v1/webhooks"))
            .json(&json!({"url": "https://evil.example/x", "events": ["incident.created"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(create.status(), StatusCode::FORBIDDEN, "{role}: create");
        let delete = client
            .delete(app.url(&format!("/api/v1/webhooks/{hook}")))
            .send()
            .await
            .unwrap();
        assert_eq!(delete.status(), StatusCode::FORBIDDEN, "{role}: delete");
        let page = client.get(app.url("/admin/webhooks")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "{role}: page");
    }
    let anon = app
        .anonymous()
        .get(app.url("/api/v1/webhooks"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let (_, list) = app.get_json("/api/v1/webhooks").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "nothing was added: {list}"
    );
    assert_eq!(
        app.delete(&format!("/api/v1/webhooks/{hook}")).await,
        StatusCode::NO_CONTENT
    );
    let (_, list) = app.get_json("/api/v1/webhooks").await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn bad_urls_and_events_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    for (body, field) in [
        (
            json!({"url": "ftp://files.example.org/x", "events": ["incident.created"]}),
            "url",
        ),
        (
            json!({"url": "file:///etc/passwd", "events": ["incident.created"]}),
            "url",
        ),
        (
            json!({"url": "not a url", "events": ["incident.created"]}),
            "url",
        ),
        (json!({"events": ["incident.created"]}), "url"),
        (
            json!({"url": "http://127.0.0.1:9/x", "events": ["incident.created"]}),
            "url",
        ),
        (
            json!({"url": "http://169.254.169.254/latest/meta-data", "events": ["incident.created"]}),
            "url",
        ),
        (
            json!({"url": "http://localhost/x", "events": ["incident.created"]}),
            "url",
        ),
        (
            json!({"url": "https://hooks.example.org/in", "events": ["incident.deleted"]}),
            "events[0]",
        ),
        (
            json!({"url": "https://hooks.example.org/in", "events": []}),
            "events",
        ),
    ] {
        let (status, answer) = app.post_json("/api/v1/webhooks", &body).await;
        assert!(status.is_client_error(), "{body}: {status} {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
    }
    // Both problems of one request at once.
    let (status, answer) = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": "gopher://x", "events": ["nope"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["field"], "url, events[0]", "{answer}");
    let (_, list) = app.get_json("/api/v1/webhooks").await;
    assert_eq!(list["items"], json!([]));
    // The admin form says the same.
    let answer = app
        .post_form(
            "/admin/webhooks",
            &[("url", "ftp://x.example/"), ("events", "incident.created")],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(
        answer.body.contains("url: must be http or https"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn deliveries_never_reach_private_addresses_unless_allowed() {
    let receiver = Receiver::start(Behaviour::Answer(200)).await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let sender = Sender::new(&WebhookSettings::default()).unwrap();
    for url in [
        receiver.url.clone(),
        format!("http://localhost:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
    ] {
        let d = ClaimedDelivery {
            id: "whd-x".into(),
            webhook_id: "wh-x".into(),
            url: url.clone(),
            secret: "s".into(),
            event: "webhook.test".into(),
            body: "{}".into(),
            attempts: 0,
        };
        let (status, result) = sender.send(&d).await;
        assert_eq!(status, None, "{url}");
        let error = result.expect_err(&url);
        assert!(
            error.contains("private") || error.contains("loopback"),
            "{url}: {error}"
        );
    }
    assert!(
        receiver.received().is_empty(),
        "nothing reached the receiver"
    );
    // Allowed, the same delivery arrives.
    let allowed = Sender::new(&WebhookSettings {
        allow_private: true,
        ..Default::default()
    })
    .unwrap();
    let d = ClaimedDelivery {
        id: "whd-y".into(),
        webhook_id: "wh-x".into(),
        url: receiver.url.clone(),
        secret: "s".into(),
        event: "webhook.test".into(),
        body: "{}".into(),
        attempts: 0,
    };
    assert_eq!(allowed.send(&d).await, (Some(200), Ok(())));
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn the_test_button_sends_a_test_event_shown_in_the_log() {
    let receiver = Receiver::start(Behaviour::Answer(200)).await;
    let app = app_with_sender(settings(Duration::from_secs(5))).await;
    // Turned off: a test is sent before it is turned on.
    let (status, created) = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "events": ["incident.created"], "active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["active"], false);
    let hook = created["id"].as_str().unwrap().to_string();
    let secret = created["secret"].as_str().unwrap().to_string();
    let answer = app
        .post_form(&format!("/admin/webhooks/{hook}/test"), &[])
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let got = receiver.wait_for(1).await;
    assert_eq!(header(&got[0], "x-atlasview-event"), "webhook.test");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(got[0].body.as_bytes());
    assert_eq!(
        header(&got[0], "x-atlasview-signature"),
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    );
    let log = log_of(&app, &hook, 1).await;
    assert_eq!(log["deliveries"][0]["event"], "webhook.test");
    let (_, page) = app.get(&format!("/admin/webhooks/{hook}")).await;
    assert!(
        page.contains("Send test event") && page.contains("webhook.test"),
        "{page}"
    );
}

#[tokio::test]
async fn a_rolled_back_change_sends_nothing_and_a_committed_one_is_sent() {
    let receiver = Receiver::start(Behaviour::Answer(200)).await;
    let app = app_with_sender(settings(Duration::from_secs(5))).await;
    register(
        &app,
        &receiver.url,
        &["incident.created", "ingest.unmapped"],
    )
    .await;
    let other = app.other_connection().await;
    // Refuses one source's alerts after correlation opened their incident
    // (and queued its incident.created) in the same transaction.
    other.poison_alerts().await;
    let alert = |source: &str| {
        json!({"id": format!("{source}-1"), "time": "2026-03-01T10:00:00Z", "techniques": ["AML.T0051", "AML.T0199"], "source": source})
            .to_string()
    };
    let url = app.url("/api/v1/alerts");
    let (status, report) =
        post_alerts_with(&app.client, &url, "application/json", alert("poison")).await;
    assert!(status.is_server_error(), "{status} {report}");
    let queued = other
        .count("SELECT COUNT(*) FROM webhook_deliveries", &[])
        .await;
    assert_eq!(queued, 0, "the rolled-back request queued nothing");
    let (status, report) =
        post_alerts_with(&app.client, &url, "application/json", alert("good")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let got = receiver.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut events: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| header(r, "x-atlasview-event").to_string())
        .collect();
    events.sort();
    assert_eq!(got.len(), 2);
    assert_eq!(
        events,
        ["incident.created", "ingest.unmapped"],
        "only the committed request's"
    );
    let created = got
        .iter()
        .find(|r| header(r, "x-atlasview-event") == "incident.created")
        .unwrap();
    let body: Value = serde_json::from_str(&created.body).unwrap();
    assert_eq!(
        body["incident"]["id"], report["incidents"][0],
        "{body} {report}"
    );
}

#[tokio::test]
async fn an_admin_registers_a_hook_on_the_page_and_sees_its_secret_once() {
    let app = TestApp::spawn().await;
    let (session, status) = app.sign_in("admin", crate::support::PASSWORD).await;
    assert!(status.is_redirection() || status.is_success(), "{status}");
    let res = app
        .same_origin_form(
            &session,
            "/admin/webhooks",
            "url=https%3A%2F%2Fhooks.example.org%2Fin&events=incident.created&events=incident.status_changed&active=on",
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let page = res.text().await.unwrap();
    let doc = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse("#hook-secret").unwrap();
    let secret: String = doc
        .select(&sel)
        .next()
        .expect("the secret shown")
        .text()
        .collect();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(
        page.contains("https://hooks.example.org/in") && page.contains("Status changed"),
        "{page}"
    );
    // Listed afterwards, never with its secret.
    let list = session
        .get(app.url("/admin/webhooks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("https://hooks.example.org/in") && !list.contains(&secret));
    let (_, api) = app.get_json("/api/v1/webhooks").await;
    assert_eq!(
        api["items"][0]["events"],
        json!(["incident.created", "incident.status_changed"])
    );
    // Turned off from its page: an inactive hook is queued nothing.
    let id = api["items"][0]["id"].as_str().unwrap().to_string();
    let res = app
        .same_origin_form(
            &session,
            &format!("/admin/webhooks/{id}/active"),
            "active=false",
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    create_incident(&app, "Nobody is told").await;
    let (_, hook) = app.get_json(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(
        (hook["active"].as_bool(), hook["pending"].as_i64()),
        (Some(false), Some(0)),
        "{hook}"
    );
}

#[tokio::test]
async fn deliveries_done_a_month_ago_leave_the_log() {
    let receiver = Receiver::start(Behaviour::Answer(200)).await;
    let app = app_with_sender(settings(Duration::from_secs(5))).await;
    let (hook, _) = register(&app, &receiver.url, &["incident.created"]).await;
    create_incident(&app, "Logged, then forgotten").await;
    assert_eq!(
        log_of(&app, &hook, 1).await["deliveries"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let now = chrono::Utc::now();
    use atlasview::service::webhooks::prune;
    assert_eq!(
        prune(&app.store, now).await.unwrap(),
        0,
        "kept while recent"
    );
    assert_eq!(
        prune(&app.store, now + chrono::Duration::days(31))
            .await
            .unwrap(),
        1
    );
    let (_, after) = app.get_json(&format!("/api/v1/webhooks/{hook}")).await;
    assert_eq!(after["deliveries"], json!([]), "its attempts went with it");
}

#[tokio::test]
async fn a_hook_removed_while_its_delivery_is_sent_leaves_the_others_logged() {
    let slow = Receiver::start(Behaviour::Hang(Duration::from_millis(800))).await;
    let fast = Receiver::start(Behaviour::Answer(200)).await;
    let app = app_with_sender(settings(Duration::from_secs(5))).await;
    let (gone, _) = register(&app, &slow.url, &["incident.created"]).await;
    let (kept, _) = register(&app, &fast.url, &["incident.created"]).await;
    // One round sends both at once; the slow one's hook goes meanwhile.
    create_incident(&app, "Sent to two hooks").await;
    assert_eq!(slow.wait_for(1).await.len(), 1);
    assert_eq!(
        app.delete(&format!("/api/v1/webhooks/{gone}")).await,
        StatusCode::NO_CONTENT
    );
    let log = log_of(&app, &kept, 1).await;
    assert_eq!(log["deliveries"][0]["status_code"], 200, "{log}");
    assert_eq!(log["pending"], 0, "{log}");
    // And the sender carries on.
    create_incident(&app, "Sent to the hook that stays").await;
    assert_eq!(fast.wait_for(2).await.len(), 2);
}

#[tokio::test]
async fn alerts_raising_an_incidents_severity_are_told() {
    let receiver = Receiver::start(Behaviour::Answer(200)).await;
    let app = app_with_sender(settings(Duration::from_secs(5))).await;
    register(&app, &receiver.url, &["incident.severity_raised"]).await;
    let url = app.url("/api/v1/alerts?source=siem");
    let alert = |id: &str, time: &str, severity: &str| {
        json!({"id": id, "time": time, "technique": "AML.T0051", "host": {"name": "gpu-1"}, "severity": severity})
            .to_string()
    };
    for (id, time, severity) in [
        ("1", "2026-03-01T10:00:00Z", "low"),
        // Not higher than what the incident has: nothing told.
        ("2", "2026-03-01T10:05:00Z", "low"),
        ("3", "2026-03-01T10:10:00Z", "critical"),
    ] {
        let (status, report) = post_alerts_with(
            &app.client,
            &url,
            "application/json",
            alert(id, time, severity),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{report}");
    }
    let got = receiver.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.received().len(), 1, "one raise");
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["event"], "incident.severity_raised");
    assert_eq!(
        (
            body["change"]["from"].as_str(),
            body["change"]["to"].as_str()
        ),
        (Some("low"), Some("critical")),
        "{body}"
    );
    assert_eq!(body["incident"]["severity"], "critical", "{body}");
    let id = body["incident"]["id"].as_str().unwrap();
    assert_eq!(app.incident(id).await["severity"], "critical");
}

/// Every round of the sender claims what is due, on either backend: its
/// two reads of one statement (is anything due, then the batch) bind the
/// same types. (On PostgreSQL the first bound an `i32` limit and the second
/// an `i64`: a connection that had prepared the statement with one answered
/// the other "incorrect binary data format", and the sender sent nothing.)
#[tokio::test]
async fn the_sender_claims_what_is_due_round_after_round() {
    use atlasview::domain::webhook::{WebhookDraft, WebhookEvent};
    let db = crate::support::TestDatabase::fresh().await;
    let store = atlasview::store::Store::connect(&db.url).await.unwrap();
    let draft = WebhookDraft {
        url: "http://127.0.0.1:9/hook".into(),
        events: vec![WebhookEvent::Test],
        active: true,
    };
    let hook = store
        .create_webhook(&draft, "whsec_round_after_round", "admin")
        .await
        .unwrap();
    for round in 0..12 {
        let queued = store.enqueue_test_delivery(&hook.id).await.unwrap();
        let later = chrono::Utc::now() + chrono::Duration::seconds(1);
        let claimed = store
            .claim_deliveries(&atlasview::store::webhook_stamp(later), 10)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let ids: Vec<&str> = claimed.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, [queued.as_str()], "round {round}");
    }
    store.close().await;
}
