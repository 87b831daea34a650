//! Notifications (issue #16): who is told of what (their choices honoured,
//! never of their own change), the badge and the inbox, marking read, the
//! e-mails through an SMTP relay (a local sink here), tasks falling due.

use atlasview::domain::auth::Role;
use atlasview::service::mail::Mailer;
use atlasview::service::notifications;
use atlasview::web::WebConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{SmtpSink, TestApp};

async fn create(app: &TestApp, title: &str) -> String {
    let (status, body) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": title, "severity": "low",
                "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().expect("id").to_string()
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client.request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, body: Value) -> Value {
    let (status, answer) = send(client, reqwest::Method::POST, app.url(path), Some(body)).await;
    assert!(status.is_success(), "POST {path}: {status} {answer}");
    answer
}

async fn put(app: &TestApp, client: &reqwest::Client, path: &str, body: Value) -> Value {
    let (status, answer) = send(client, reqwest::Method::PUT, app.url(path), Some(body)).await;
    assert!(status.is_success(), "PUT {path}: {status} {answer}");
    answer
}

/// Sets an incident's owner and participants as the admin.
async fn assign(app: &TestApp, id: &str, members: Value) {
    put(
        app,
        &app.client,
        &format!("/api/v1/incidents/{id}/members"),
        members,
    )
    .await;
}

/// Replaces `client`'s choices; answers them as stored.
async fn prefer(app: &TestApp, client: &reqwest::Client, choices: Value) -> Value {
    put(app, client, "/api/v1/notifications/preferences", choices).await
}

async fn comment(app: &TestApp, client: &reqwest::Client, id: &str, body: &str) {
    post(
        app,
        client,
        &format!("/api/v1/incidents/{id}/comments"),
        json!({"body": body}),
    )
    .await;
}

/// `client`'s notifications as the API lists them (status and body).
async fn list(app: &TestApp, client: &reqwest::Client) -> (StatusCode, Value) {
    send(
        client,
        reqwest::Method::GET,
        app.url("/api/v1/notifications"),
        None,
    )
    .await
}

/// The summaries of a user's notifications, newest first, and the unread count.
async fn told(app: &TestApp, client: &reqwest::Client) -> (Vec<String>, i64) {
    let (status, body) = list(app, client).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let summaries = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["summary"].as_str().unwrap_or_default().to_string())
        .collect();
    (summaries, body["unread"].as_i64().expect("unread"))
}

/// The `Subject` of a message as sent: unfolded, RFC 2047 words decoded.
fn subject(data: &str) -> String {
    use base64::Engine;
    let mut header = String::new();
    for line in data.lines() {
        if let Some(rest) = line.strip_prefix("Subject: ") {
            header.push_str(rest);
        } else if !header.is_empty() && line.starts_with([' ', '\t']) {
            header.push_str(line);
        } else if !header.is_empty() {
            break;
        }
    }
    let (mut out, mut last_encoded) = (String::new(), false);
    for word in header.split_whitespace() {
        let encoded = word
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| {
                w.splitn(3, '?')
                    .nth(2)
                    .filter(|_| w.to_lowercase().contains("?b?"))
            });
        match encoded {
            Some(b64) => {
                if !out.is_empty() && !last_encoded {
                    out.push(' ');
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .expect("base64 word");
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
        last_encoded = encoded.is_some();
    }
    out
}

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn the_team_is_told_of_each_others_work_and_nobody_of_their_own() {
    let app = TestApp::spawn().await;
    let priya = app.client_named("priya", Role::Analyst).await;
    let omar = app.client_named("omar", Role::Analyst).await;
    let id = create(&app, "Poisoned fine-tuning set").await;

    // The admin makes priya the owner: she is told, the admin is not.
    assign(&app, &id, json!({"owner": "priya"})).await;
    let (said, unread) = told(&app, &priya).await;
    assert_eq!(
        said,
        ["admin made you the owner of “Poisoned fine-tuning set”"]
    );
    assert_eq!(unread, 1);
    assert_eq!(told(&app, &app.client).await.0, Vec::<String>::new());

    // Omar comments: the owner and the admin (who worked on it) are told, not omar.
    comment(&app, &omar, &id, "Three models used it.").await;
    assert_eq!(
        told(&app, &priya).await.0[0],
        "omar commented on “Poisoned fine-tuning set”"
    );
    assert_eq!(
        told(&app, &app.client).await.0,
        ["omar commented on “Poisoned fine-tuning set”"]
    );
    assert!(
        told(&app, &omar).await.0.is_empty(),
        "not of his own comment"
    );

    // Omar gives priya a task; she completes it: each is told of the other's part.
    let task = post(
        &app,
        &omar,
        &format!("/api/v1/incidents/{id}/tasks"),
        json!({"title": "Retrain the models", "owner": "priya"}),
    )
    .await;
    assert_eq!(
        told(&app, &priya).await.0[0],
        "omar gave you a task “Retrain the models” on “Poisoned fine-tuning set”"
    );
    let task = task["id"].as_str().expect("task id");
    put(
        &app,
        &priya,
        &format!("/api/v1/incidents/{id}/tasks/{task}/status"),
        json!({"status": "done"}),
    )
    .await;
    let (said, unread) = told(&app, &omar).await;
    assert_eq!(
        said,
        ["priya completed the task “Retrain the models” of “Poisoned fine-tuning set”"]
    );
    assert_eq!(unread, 1);
    assert_eq!(
        told(&app, &priya).await.1,
        3,
        "her own completion is not news"
    );
}

#[tokio::test]
async fn preferences_are_honoured() {
    let app = TestApp::spawn().await;
    let priya = app.client_named("priya", Role::Analyst).await;
    let omar = app.client_named("omar", Role::Analyst).await;
    let vera = app.client_named("vera", Role::Viewer).await;
    let id = create(&app, "Model theft").await;
    assign(&app, &id, json!({"owner": "priya"})).await;
    // The defaults: her own incidents, tasks and due tasks; not every incident's severity.
    let (status, prefs) = send(
        &priya,
        reqwest::Method::GET,
        app.url("/api/v1/notifications/preferences"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(prefs["follow"], json!(["owned", "involved", "task", "due"]));
    assert_eq!(prefs["mail"], json!(["owned", "task", "due"]));

    // Priya follows only her tasks now; vera follows every severity raised.
    let answer = prefer(&app, &priya, json!({"follow": ["task"], "mail": []})).await;
    assert_eq!(answer["follow"], json!(["task"]));
    prefer(&app, &vera, json!({"follow": ["severity"]})).await;
    let before = told(&app, &priya).await.0.len();
    comment(&app, &omar, &id, "Seen again.").await;
    assert_eq!(told(&app, &priya).await.0.len(), before, "unfollowed");
    post(
        &app,
        &omar,
        &format!("/api/v1/incidents/{id}/tasks"),
        json!({"title": "Rotate the keys", "owner": "priya"}),
    )
    .await;
    assert_eq!(
        told(&app, &priya).await.0.len(),
        before + 1,
        "still followed"
    );

    // Severity raised: vera is told; lowered: nobody follows that.
    let mut version = app.incident(&id).await["version"].clone();
    for severity in ["critical", "medium"] {
        let (status, body) = app
            .put_json(
                &format!("/api/v1/incidents/{id}"),
                &json!({"title": "Model theft", "severity": severity, "version": version}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        version = body["version"].clone();
        let said = told(&app, &vera).await.0;
        assert_eq!(said.len(), 1, "{severity}: {said:?}");
    }
    assert_eq!(
        told(&app, &vera).await.0,
        ["admin raised the severity from Low to Critical of “Model theft”"]
    );
}

#[tokio::test]
async fn reaching_impact_is_told_once_to_those_who_follow_it() {
    let app = TestApp::spawn().await;
    let vera = app.client_named("vera", Role::Viewer).await;
    prefer(&app, &vera, json!({"follow": ["impact"]})).await;
    let id = create(&app, "Denial of ML service").await;
    for _ in 0..2 {
        let (status, body) = app
            .post_json(
                &format!("/api/v1/incidents/{id}/steps"),
                &json!({"tactic": "AML.TA0011", "technique": "AML.T0029"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert_eq!(
        told(&app, &vera).await.0,
        ["“Denial of ML service” reached Impact: admin put its first step there"]
    );
}

#[tokio::test]
async fn the_badge_and_the_inbox_follow_what_is_read() {
    let app = TestApp::spawn().await;
    let priya = app.client_named("priya", Role::Analyst).await;
    let omar = app.client_named("omar", Role::Analyst).await;
    let id = create(&app, "Prompt injection <b>via</b> e-mail").await;
    assign(&app, &id, json!({"owner": "priya"})).await;
    for text in ["First look.", "Second look."] {
        comment(&app, &omar, &id, text).await;
    }
    let badge = |body: &str| {
        let doc = scraper::Html::parse_document(body);
        let sel = scraper::Selector::parse(".notify-badge").expect("selector");
        doc.select(&sel)
            .next()
            .map(|b| b.text().collect::<String>())
    };
    // The dashboard is a cached page: its badge still follows what is read.
    for page in ["/incidents", "/"] {
        let (status, body) = app.get_with(&priya, page).await;
        assert_eq!(status, 200);
        assert_eq!(badge(&body).as_deref(), Some("3"), "{page}");
    }
    let (status, inbox) = app.get_with(&priya, "/notifications").await;
    assert_eq!(status, 200);
    let doc = scraper::Html::parse_document(&inbox);
    let sel = scraper::Selector::parse(".notification > a").expect("selector");
    let entries: Vec<(String, String)> = doc
        .select(&sel)
        .map(|a| {
            let href = a.value().attr("href").unwrap_or_default().to_string();
            (a.text().collect(), href)
        })
        .collect();
    let title = "“Prompt injection <b>via</b> e-mail”";
    let href = format!("/incidents/{id}");
    assert_eq!(
        entries,
        [
            (format!("omar commented on {title}"), href.clone()),
            (format!("omar commented on {title}"), href.clone()),
            (format!("admin made you the owner of {title}"), href.clone()),
        ],
        "newest first, the title as text"
    );

    let (_, listed) = list(&app, &priya).await;
    let newest = ids(&listed)[0].clone();
    let res = app
        .post_form_as(&priya, &format!("/notifications/{newest}/read"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, body) = app.get_with(&priya, "/").await;
    assert_eq!(badge(&body).as_deref(), Some("2"), "the cached page too");
    let (_, listed) = list(&app, &priya).await;
    assert!(!listed["items"][0]["read_at"].is_null());
    assert!(listed["items"][1]["read_at"].is_null());

    let res = app
        .post_form_as(&priya, "/notifications/read-all", &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, body) = app.get_with(&priya, "/").await;
    assert_eq!(badge(&body), None, "nothing unread: no badge");
    assert_eq!(told(&app, &priya).await.1, 0);
    // Marking read is in the audit log.
    let (entries, _) = app
        .store
        .audit_entries(&atlasview::store::AuditQuery {
            action: Some("notification.".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("audit");
    let actions: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.action.as_str(), e.target.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("notification.read_all", ""),
            ("notification.read", newest.as_str())
        ]
    );
    assert!(entries.iter().all(|e| e.actor.starts_with("priya")));
}

#[tokio::test]
async fn another_users_notifications_are_neither_seen_nor_marked() {
    let app = TestApp::spawn().await;
    let priya = app.client_named("priya", Role::Analyst).await;
    let omar = app.client_named("omar", Role::Analyst).await;
    let id = create(&app, "Shadow model").await;
    assign(&app, &id, json!({"owner": "priya"})).await;
    let (_, listed) = list(&app, &priya).await;
    let hers = ids(&listed)[0].clone();
    let (_, his) = list(&app, &omar).await;
    assert!(ids(&his).is_empty());
    let res = app
        .post_form_as(&omar, &format!("/notifications/{hers}/read"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, _) = send(
        &omar,
        reqwest::Method::POST,
        app.url(&format!("/api/v1/notifications/{hers}/read")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(told(&app, &priya).await.1, 1, "still unread");
    let (inbox_status, inbox) = app.get_with(&omar, "/notifications").await;
    assert_eq!(inbox_status, 200);
    assert!(!inbox.contains("Shadow model"));
    // Anonymous visitors have no inbox.
    let (status, _) = app
        .get_with(&app.anonymous(), "/api/v1/notifications")
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_task_falling_due_is_told_to_its_owner_once() {
    let app = TestApp::spawn().await;
    let priya = app.client_named("priya", Role::Analyst).await;
    let id = create(&app, "Data poisoning").await;
    for (title, due) in [
        ("Overdue audit", "2020-01-01"),
        ("Later audit", "2999-01-01"),
    ] {
        post(
            &app,
            &app.client,
            &format!("/api/v1/incidents/{id}/tasks"),
            json!({"title": title, "owner": "priya", "due_on": due}),
        )
        .await;
    }
    let before = told(&app, &priya).await.0.len();
    assert_eq!(
        notifications::notify_due_tasks(&app.store, "2026-06-01")
            .await
            .expect("due"),
        1
    );
    assert_eq!(
        notifications::notify_due_tasks(&app.store, "2026-06-02")
            .await
            .expect("due"),
        0,
        "told once"
    );
    let said = told(&app, &priya).await.0;
    assert_eq!(said.len(), before + 1);
    assert_eq!(
        said[0],
        "Your task “Overdue audit” on “Data poisoning” was due on 2020-01-01"
    );
    // Unfollowed: the later task falls due untold.
    prefer(&app, &priya, json!({"follow": ["owned", "task"]})).await;
    assert_eq!(
        notifications::notify_due_tasks(&app.store, "2999-01-01")
            .await
            .expect("due"),
        0
    );
}

#[tokio::test]
async fn e_mails_go_through_the_relay_to_those_who_want_them() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(WebConfig {
        smtp: Some(sink.settings()),
        ..Default::default()
    })
    .await;
    let priya = app.client_named("priya", Role::Analyst).await;
    let lee = app.client_named("lee", Role::Analyst).await;
    let omar = app.client_named("omar", Role::Analyst).await;
    prefer(
        &app,
        &priya,
        json!({"follow": ["owned", "involved", "task", "due"], "mail": ["owned"],
               "email": "priya@example.org"}),
    )
    .await;
    // Lee gives an address but wants no e-mail.
    prefer(
        &app,
        &lee,
        json!({"follow": ["owned", "involved"], "mail": [], "email": "lee@example.org"}),
    )
    .await;
    let id = create(&app, "Exfiltration via API").await;
    assign(
        &app,
        &id,
        json!({"owner": "priya", "participants": ["lee"]}),
    )
    .await;
    comment(&app, &omar, &id, "Blocked the key.").await;
    // Assigning (owner and participants: two events) and the comment.
    assert_eq!(told(&app, &lee).await.0.len(), 3, "lee is told in the app");

    let mailer = Mailer::new(&sink.settings()).expect("mailer");
    let round = notifications::deliver_outbox(&app.store, &mailer, chrono::Utc::now())
        .await
        .expect("outbox");
    assert_eq!((round.sent, round.retried, round.failed), (3, 0, 0));
    let mails = sink.messages();
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert!(mails.iter().all(|m| m.to == ["priya@example.org"]));
    assert!(mails.iter().all(|m| m.from == "atlasview@example.org"));
    let comment = mails
        .iter()
        .find(|m| m.data.contains("omar commented on"))
        .expect("the comment's e-mail");
    assert_eq!(
        subject(&comment.data),
        "[atlasview] omar commented on “Exfiltration via API”",
        "{}",
        comment.data
    );
    assert!(
        comment
            .data
            .contains(&format!("http://atlas.example.org/incidents/{id}")),
        "{}",
        comment.data
    );
    // Sent once: the next round has nothing to do.
    let again = notifications::deliver_outbox(&app.store, &mailer, chrono::Utc::now())
        .await
        .expect("outbox");
    assert_eq!(again.sent, 0);
}

#[tokio::test]
async fn an_e_mail_the_relay_refuses_is_tried_again_later() {
    let app = TestApp::spawn().await;
    let priya = app.client_named("priya", Role::Analyst).await;
    prefer(
        &app,
        &priya,
        json!({"follow": ["owned"], "mail": ["owned"], "email": "priya@example.org"}),
    )
    .await;
    let id = create(&app, "Model inversion").await;
    assign(&app, &id, json!({"owner": "priya"})).await;
    // A port nobody listens on: bound, then closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut settings = SmtpSink::start().await.settings();
    settings.port = port;
    let mailer = Mailer::new(&settings).expect("mailer");
    let now = chrono::Utc::now();
    let round = notifications::deliver_outbox(&app.store, &mailer, now)
        .await
        .expect("outbox");
    assert_eq!((round.sent, round.retried), (0, 1));
    let outbox = app.store.outbox().await.expect("outbox");
    assert_eq!(outbox[0].2, "pending");
    assert_eq!(outbox[0].3, 1, "one attempt");
    // Not again at once; a minute later it is.
    let round = notifications::deliver_outbox(&app.store, &mailer, now)
        .await
        .expect("outbox");
    assert_eq!(round.retried, 0);
    let later = now + chrono::Duration::minutes(2);
    let round = notifications::deliver_outbox(&app.store, &mailer, later)
        .await
        .expect("outbox");
    assert_eq!(round.retried, 1);
}

#[tokio::test]
async fn bad_preferences_are_refused_naming_each_field() {
    let app = TestApp::spawn().await;
    let priya = app.client_named("priya", Role::Analyst).await;
    let res = app
        .post_form_as(
            &priya,
            "/notifications/settings",
            &[
                ("follow", "owned"),
                ("follow", "<script>alert(1)</script>"),
                ("mail", "everything"),
                ("email", "priya at example"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.expect("body");
    for field in ["follow[1]", "mail[0]", "email"] {
        assert!(body.contains(field), "{field}: {body}");
    }
    assert!(!body.contains("<script>alert"), "escaped: {body}");
    let (status, answer) = send(
        &priya,
        reqwest::Method::PUT,
        app.url("/api/v1/notifications/preferences"),
        Some(json!({"follow": ["nope"], "email": "x@"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["field"]
            .as_str()
            .unwrap_or_default()
            .contains("follow[0]"),
        "{answer}"
    );
    // Nothing was changed; a good form is saved and shown.
    let res = app
        .post_form_as(
            &priya,
            "/notifications/settings",
            &[
                ("follow", "task"),
                ("mail", "task"),
                ("email", "priya@example.org"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, page) = app
        .get_with(&priya, "/notifications/settings?saved=1")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"priya@example.org\""));
    assert!(page.contains("Your choices are saved."));
}

#[tokio::test]
async fn the_background_tick_tells_of_due_tasks_by_e_mail() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn().await;
    let priya = app.client_named("priya", Role::Analyst).await;
    prefer(
        &app,
        &priya,
        json!({"follow": ["due"], "mail": ["due"], "email": "priya@example.org"}),
    )
    .await;
    let id = create(&app, "Backdoored model").await;
    post(
        &app,
        &app.client,
        &format!("/api/v1/incidents/{id}/tasks"),
        json!({"title": "Scan the weights", "owner": "priya", "due_on": "2026-03-01"}),
    )
    .await;
    let mailer = Mailer::new(&sink.settings()).expect("mailer");
    let now = chrono::DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    notifications::tick(&app.store, Some(&mailer), chrono::Utc::now().max(now))
        .await
        .expect("tick");
    let mails = sink.messages();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, ["priya@example.org"]);
    assert!(
        subject(&mails[0].data).contains("Your task “Scan the weights” on “Backdoored model”"),
        "{}",
        mails[0].data
    );
    notifications::tick(&app.store, Some(&mailer), chrono::Utc::now().max(now))
        .await
        .expect("tick");
    assert_eq!(sink.messages().len(), 1, "told once");
}
