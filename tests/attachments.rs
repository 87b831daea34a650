//! Attachments (issue #16 part 5): files on an incident or a step, stored
//! once per SHA-256, size-limited, served only as downloads; removal leaves a
//! trace in the timeline and the audit log.

use atlasview::domain::auth::Role;
use atlasview::web::WebConfig;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use scraper::Selector;
use serde_json::{Value, json};

use crate::support::{BOUNDARY, PASSWORD, Part, TestApp, field, file, multipart};

async fn post_parts(
    client: &reqwest::Client,
    url: String,
    parts: &[Part<'_>],
) -> reqwest::Response {
    client
        .post(url)
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(parts))
        .send()
        .await
        .expect("request")
}

/// Uploads through the API as `client`; status and JSON answer.
async fn upload_as(
    app: &TestApp,
    client: &reqwest::Client,
    incident: &str,
    parts: &[Part<'_>],
) -> (StatusCode, Value) {
    let url = app.url(&format!("/api/v1/incidents/{incident}/attachments"));
    let res = post_parts(client, url, parts).await;
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Uploads through the API as the admin; status and JSON answer.
async fn upload(app: &TestApp, incident: &str, parts: &[Part<'_>]) -> (StatusCode, Value) {
    upload_as(app, &app.client, incident, parts).await
}

/// The first event of `kind` in the incident's timeline.
async fn event(app: &TestApp, incident: &str, kind: &str) -> Value {
    let (_, activity) = app
        .get_json(&format!("/api/v1/incidents/{incident}/activity"))
        .await;
    let found = activity
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["kind"] == kind);
    found
        .cloned()
        .unwrap_or_else(|| panic!("no {kind} event: {activity}"))
}

/// Uploads through the incident page's form; the response.
async fn page_upload(app: &TestApp, incident: &str, parts: &[Part<'_>]) -> reqwest::Response {
    let url = app.url(&format!("/incidents/{incident}/attachments"));
    post_parts(&app.client, url, parts).await
}

/// A new incident with two steps: its ID and its first step's.
async fn create(app: &TestApp, title: &str) -> (String, String) {
    let body = app.two_step_incident(title).await;
    let step = body["steps"][0]["id"].as_str().expect("step").to_string();
    (body["id"].as_str().expect("id").to_string(), step)
}

async fn download(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let res = client.get(app.url(path)).send().await.expect("download");
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.expect("body").to_vec())
}

fn sha256_hex(bytes: &[u8]) -> String {
    atlasview::domain::attachment::sha256_hex(bytes)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let pool = app.other_connection().await;
    let n = pool.count(sql, &[]).await;
    pool.close().await;
    n
}

/// The headers that make a response a download and nothing else.
fn assert_download_only(h: &HeaderMap, what: &str) {
    assert_eq!(h["content-type"], "application/octet-stream", "{what}");
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; "),
        "{what}: {disposition}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{what}: {csp}"
    );
}

#[tokio::test]
async fn a_file_round_trips_with_its_hash_and_is_only_a_download() {
    let app = TestApp::spawn().await;
    let (id, _) = create(&app, "Poisoned dataset").await;
    // Over the 1 MiB of other forms: the upload route has its own limit.
    let bytes: Vec<u8> = (0u8..=250).cycle().take(3 << 20).collect();
    let sha = sha256_hex(&bytes);

    let res = page_upload(
        &app,
        &id,
        &[file("weights diff.bin", "application/x-foo", &bytes)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let att = location
        .rsplit_once("#attachment-")
        .map(|(_, a)| a.to_string())
        .expect("the answer points at the attachment");

    let path = format!("/incidents/{id}/attachments/{att}/download");
    let (status, h, got) = download(&app.client, &app, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, bytes, "the bytes come back as uploaded");
    assert_download_only(&h, &path);
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"weights diff.bin\"; filename*=UTF-8''weights%20diff.bin"
    );
    assert!(
        h["repr-digest"].to_str().unwrap().starts_with("sha-256=:"),
        "{h:?}"
    );
    // The API serves the same bytes the same way.
    let api_path = format!("/api/v1/incidents/{id}/attachments/{att}/download");
    let (status, h, got) = download(&app.client, &app, &api_path).await;
    assert_eq!((status, got), (StatusCode::OK, bytes.clone()));
    assert_download_only(&h, &api_path);

    // The page shows the name, size and hash, and only links to the file.
    let (html, doc) = app.page(&format!("/incidents/{id}")).await;
    assert!(html.contains(&sha), "the hash is shown");
    assert!(html.contains("weights diff.bin") && html.contains("3.0 MiB"));
    let all = Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        for (name, value) in el.value().attrs() {
            if value.contains("/attachments/") {
                let tag = el.value().name();
                assert!(
                    (tag == "a" && name == "href") || (tag == "form" && name == "action"),
                    "the file is only linked to, never embedded: <{tag} {name}={value}>"
                );
            }
        }
    }

    // The incident's JSON export carries the record (not the bytes); so does the list.
    let incident = app.incident(&id).await;
    let listed = &incident["attachments"][0];
    assert_eq!(listed["sha256"], sha);
    assert_eq!(listed["size"], 3 << 20);
    assert_eq!(listed["file_name"], "weights diff.bin");
    assert_eq!(listed["media_type"], "application/x-foo");
    assert_eq!(listed["uploaded_by"], "admin");
    assert!(listed.get("content").is_none());
    let (_, list) = app
        .get_json(&format!("/api/v1/incidents/{id}/attachments"))
        .await;
    assert_eq!(list[0]["id"], att.as_str());
    // The timeline says it was attached.
    let added = event(&app, &id, "attachment_added").await;
    assert!(added["new_value"].as_str().unwrap().contains(&sha));
}

#[tokio::test]
async fn the_same_file_is_stored_once() {
    let app = TestApp::spawn().await;
    let (a, _) = create(&app, "First").await;
    let (b, _) = create(&app, "Second").await;
    // Over the API's 1 MiB body limit: the upload route has its own.
    let bytes: Vec<u8> = b"the same evidence, twice ".repeat(60_000);

    let (status, first) = upload(&app, &a, &[file("e.txt", "text/plain", &bytes)]).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // Again on the same incident: the attachment already holding it.
    let (status, again) = upload(&app, &a, &[file("copy.txt", "text/plain", &bytes)]).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    // On another incident: its own attachment, the same stored content.
    let (status, other) = upload(&app, &b, &[file("e.txt", "text/plain", &bytes)]).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    assert_ne!(other["id"], first["id"]);
    assert_eq!(other["sha256"], first["sha256"]);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM attachments").await, 2);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM attachment_blobs").await,
        1
    );

    // Removing one keeps the content the other holds…
    let first_id = first["id"].as_str().unwrap();
    let status = app
        .delete(&format!("/api/v1/incidents/{a}/attachments/{first_id}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM attachment_blobs").await,
        1
    );
    let other_id = other["id"].as_str().unwrap();
    let path = format!("/incidents/{b}/attachments/{other_id}/download");
    let (status, _, got) = download(&app.client, &app, &path).await;
    assert_eq!((status, got), (StatusCode::OK, bytes));
    // …and deleting the incident that holds it last lets it go.
    let version = app.incident(&b).await["version"].as_i64().unwrap();
    let res = app
        .post_form(
            &format!("/incidents/{b}/delete"),
            &[("version", version.to_string().as_str())],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM attachment_blobs").await,
        0
    );
}

/// Sends only the head of an upload announcing `length` bytes (as an analyst)
/// and answers what the server says before any of the body is sent.
async fn announce_only(app: &TestApp, path: &str, length: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let token = crate::support::user_with_token(&app.store, "uploader", Role::Analyst).await;
    let host = app.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&host)
        .await
        .expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains('}') {
        let n = stream.read(&mut buf).await.expect("read");
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn an_oversized_file_is_refused_naming_the_field_and_nothing_is_written() {
    let app = TestApp::spawn_with(WebConfig {
        attachment_max_bytes: 1024,
        ..WebConfig::default()
    })
    .await;
    let (id, _) = create(&app, "Big files").await;
    let over = vec![b'x'; 1025];
    let (status, body) = upload(
        &app,
        &id,
        &[file("big.bin", "application/octet-stream", &over)],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["field"], "file");
    assert!(
        body["error"].as_str().unwrap().contains("1.0 KiB"),
        "{body}"
    );
    // The page's form answers the same, as a page.
    let res = page_upload(
        &app,
        &id,
        &[file("big.bin", "application/octet-stream", &over)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.text().await.unwrap().contains("larger than the limit"));
    // Twice the limit: read to the end (and dropped), so the client sees the answer.
    let twice = vec![b'x'; 2048];
    let (status, body) = upload(
        &app,
        &id,
        &[file("big.bin", "application/octet-stream", &twice)],
    )
    .await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::PAYLOAD_TOO_LARGE, &json!("file"))
    );
    // A body announced far over the limit is answered before it is sent.
    let answer = announce_only(
        &app,
        &format!("/api/v1/incidents/{id}/attachments"),
        50 << 20,
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""field":"file""#), "{answer}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM attachments").await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM attachment_blobs").await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM incident_events WHERE kind LIKE 'attachment%'"
        )
        .await,
        0
    );
    // Exactly at the limit is fine; an empty file or none at all is not.
    let (status, _) = upload(
        &app,
        &id,
        &[file("ok.bin", "application/octet-stream", &over[..1024])],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = upload(&app, &id, &[file("", "application/octet-stream", b"")]).await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("file"))
    );
    let (status, body) = upload(&app, &id, &[field("step_id", "")]).await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("file"))
    );
    // Not an upload at all.
    let (status, body) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/attachments"),
            &json!({"file": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
}

#[tokio::test]
async fn a_path_in_the_file_name_is_neutralised() {
    let app = TestApp::spawn().await;
    let (id, _) = create(&app, "Paths").await;
    for (given, kept) in [
        ("../../x", "x"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("..", "attachment"),
        ("/etc/passwd", "passwd"),
    ] {
        let bytes = format!("content of {given}");
        let (status, body) =
            upload(&app, &id, &[file(given, "text/plain", bytes.as_bytes())]).await;
        assert_eq!(status, StatusCode::CREATED, "{given}: {body}");
        assert_eq!(body["file_name"], kept, "{given}");
        let att = body["id"].as_str().unwrap();
        let (_, h, _) = download(
            &app.client,
            &app,
            &format!("/incidents/{id}/attachments/{att}/download"),
        )
        .await;
        let disposition = h["content-disposition"].to_str().unwrap();
        assert!(
            disposition.starts_with(&format!("attachment; filename=\"{kept}\"")),
            "{given}: {disposition}"
        );
        assert!(!disposition.contains(".."), "{given}: {disposition}");
    }
}

#[tokio::test]
async fn an_html_file_is_served_as_bytes_never_inline() {
    let app = TestApp::spawn().await;
    let (id, _) = create(&app, "HTML").await;
    let html: &[u8] =
        b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>";
    let svg: &[u8] = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
    for (name, declared, content) in [
        ("page.html", "text/html", html),
        ("pic.svg", "image/svg+xml", svg),
    ] {
        let (status, body) = upload(&app, &id, &[file(name, declared, content)]).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(
            body["media_type"], declared,
            "the declared type is kept as said"
        );
        let att = body["id"].as_str().unwrap();
        for path in [
            format!("/incidents/{id}/attachments/{att}/download"),
            format!("/incidents/{id}/attachments/{att}/download?inline=1"),
            format!("/api/v1/incidents/{id}/attachments/{att}/download"),
        ] {
            let (status, h, got) = download(&app.client, &app, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(got, content.to_vec());
            assert_download_only(&h, &path);
        }
    }
    // The page links to them (to download) and embeds neither.
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    let links = Selector::parse("a[download][href*='/attachments/']").unwrap();
    assert_eq!(doc.select(&links).count(), 2);
    let embeds = Selector::parse(
        "[src*='/attachments/'], [data*='/attachments/'], [srcdoc], iframe, object, embed",
    )
    .unwrap();
    assert_eq!(doc.select(&embeds).count(), 0);
}

#[tokio::test]
async fn viewers_download_but_cannot_upload_or_remove() {
    let app = TestApp::spawn().await;
    let viewer = app.client_as(Role::Viewer).await;
    let analyst = app.client_as(Role::Analyst).await;
    let (id, _) = create(&app, "Roles").await;
    let (status, body) = upload_as(
        &app,
        &analyst,
        &id,
        &[file("a.txt", "text/plain", b"analyst's")],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "analysts write: {body}");
    let att = body["id"].as_str().unwrap().to_string();

    let (status, _) = upload_as(
        &app,
        &viewer,
        &id,
        &[file("v.txt", "text/plain", b"viewer's")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let page = post_parts(
        &viewer,
        app.url(&format!("/incidents/{id}/attachments")),
        &[file("v.txt", "text/plain", b"viewer's")],
    )
    .await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let remove = format!("/incidents/{id}/attachments/{att}/remove");
    let (status, _) = app.get_with(&viewer, &remove).await;
    assert_eq!(status, 403);
    let res = app.post_form_as(&viewer, &remove, &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = viewer
        .delete(app.url(&format!("/api/v1/incidents/{id}/attachments/{att}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // They read: the list, the record, the file.
    let (status, _, got) = download(
        &viewer,
        &app,
        &format!("/incidents/{id}/attachments/{att}/download"),
    )
    .await;
    assert_eq!((status, got), (StatusCode::OK, b"analyst's".to_vec()));
    let (status, list) = app
        .get_with(&viewer, &format!("/api/v1/incidents/{id}/attachments"))
        .await;
    assert_eq!(status, 200, "{list}");
    // Their page lists the file without the upload form or a remove button.
    let (_, html) = app.get_with(&viewer, &format!("/incidents/{id}")).await;
    assert!(html.contains("a.txt"));
    assert!(!html.contains("Attach a file") && !html.contains(&remove));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM attachments").await, 1);
}

#[tokio::test]
async fn removal_leaves_a_trace_in_the_timeline_and_the_audit_log() {
    let app = TestApp::spawn().await;
    let (id, _) = create(&app, "Removal").await;
    let bytes = b"secret that should not have been uploaded";
    let sha = sha256_hex(bytes);
    let (_, body) = upload(&app, &id, &[file("oops.txt", "text/plain", bytes)]).await;
    let att = body["id"].as_str().unwrap().to_string();

    // Without JavaScript the remove button asks first, on a page of its own.
    let remove = format!("/incidents/{id}/attachments/{att}/remove");
    let (_, doc) = app.page(&remove).await;
    let question = doc
        .select(&Selector::parse("h1").unwrap())
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    assert!(question.contains("oops.txt"), "{question}");
    let form = Selector::parse(".inc-confirm form[method=post]").unwrap();
    assert_eq!(
        doc.select(&form).next().unwrap().value().attr("action"),
        Some(remove.as_str())
    );
    let res = app.post_form(&remove, &[]).await;
    assert_eq!(res.status, 303, "{}", res.body);

    // The file is gone, its record says who removed it.
    let path = format!("/incidents/{id}/attachments/{att}/download");
    let (status, _, _) = download(&app.client, &app, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM attachment_blobs").await,
        0
    );
    // Its record is Gone, and still says who removed it.
    let (status, record) = app
        .get_json(&format!("/api/v1/incidents/{id}/attachments/{att}"))
        .await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(record["removed_by"], "admin");
    assert!(record["removed_at"].is_string());
    assert_eq!(
        app.incident(&id).await["attachments"][0]["removed_by"],
        "admin"
    );
    // Removing it again: nothing to remove.
    let res = app.post_form(&remove, &[]).await;
    assert_eq!(res.status, 404);

    // The timeline names the file and its hash; the page shows the event, not the file.
    let removed = event(&app, &id, "attachment_removed").await;
    assert_eq!(removed["actor"], "admin");
    let old = removed["old_value"].as_str().unwrap();
    assert!(old.contains("oops.txt") && old.contains(&sha), "{old}");
    let (html, _) = app.page(&format!("/incidents/{id}")).await;
    assert!(html.contains("removed an attached file"));
    assert!(!html.contains(&path));

    // The audit log records the upload and the removal.
    let pool = app.other_connection().await;
    // (The actor is the admin's token: `admin (token …)`.)
    let rows: Vec<(String, String, String)> = pool
        .fetch_all(
            "SELECT SUBSTR(actor, 1, 5), action, target FROM audit_log
             WHERE action LIKE 'attachment.%' ORDER BY action",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        rows,
        [
            (
                "admin".to_string(),
                "attachment.add".to_string(),
                id.clone()
            ),
            (
                "admin".to_string(),
                "attachment.remove".to_string(),
                format!("{id} {att}")
            ),
        ]
    );
}

#[tokio::test]
async fn a_file_on_a_step_is_listed_with_the_step() {
    let app = TestApp::spawn().await;
    let (id, step) = create(&app, "Step files").await;
    let (status, body) = upload(
        &app,
        &id,
        &[
            field("step_id", &step),
            file("prompt.txt", "text/plain", b"ignore previous instructions"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["step_id"], step.as_str());
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    let in_step = Selector::parse(&format!("#step-{step} .inc-step-files a")).unwrap();
    let link = doc
        .select(&in_step)
        .next()
        .expect("the step lists its file");
    assert_eq!(link.text().collect::<String>(), "prompt.txt");
    assert_eq!(link.value().attr("download"), Some(""));

    // A step of another incident, or none at all, is refused naming the field.
    let (other, other_step) = create(&app, "Other").await;
    let (status, body) = upload(
        &app,
        &id,
        &[
            field("step_id", &other_step),
            file("x.txt", "text/plain", b"x"),
        ],
    )
    .await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("step_id")),
        "{body}"
    );
    assert_ne!(other, id);
    let (status, body) = upload(
        &app,
        &id,
        &[field("colour", "red"), file("x.txt", "text/plain", b"x")],
    )
    .await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::BAD_REQUEST, &json!("colour")),
        "{body}"
    );

    // Deleting the step keeps the file on the incident.
    let status = app
        .delete(&format!("/api/v1/incidents/{id}/steps/{step}"))
        .await;
    assert!(status.is_success(), "{status}");
    let listed = &app.incident(&id).await["attachments"][0];
    assert_eq!(listed["step_id"], Value::Null);
    assert_eq!(listed["removed_at"], Value::Null);
}

#[tokio::test]
async fn a_cross_site_upload_is_refused() {
    let app = TestApp::spawn().await;
    let (id, _) = create(&app, "CSRF").await;
    let (browser, status) = app.sign_in("admin", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let send = |site: &'static str| {
        browser
            .post(app.url(&format!("/incidents/{id}/attachments")))
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header("sec-fetch-site", site)
            .body(multipart(&[file("a.txt", "text/plain", b"a")]))
            .send()
    };
    let res = send("cross-site").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM attachments").await, 0);
    let res = send("same-origin").await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM attachments").await, 1);
}

#[tokio::test]
async fn a_hostile_file_name_stays_text_everywhere() {
    let app = TestApp::spawn().await;
    let (id, step) = create(&app, "Hostile names").await;
    // As a browser sends it: `"` as %22. The `/` of `</b>` is a "folder".
    let given = "x</b><img src=x onerror=alert(1)>%22'\u{202E}gpj.exe";
    let a = app
        .attach(&id, Some(&step), file(given, "text/html", b"<b>hi</b>"))
        .await;
    let kept = a["file_name"].as_str().unwrap().to_string();
    assert_eq!(kept, "b><img src=x onerror=alert(1)>%22'[U+202E]gpj.exe");
    let att = a["id"].as_str().unwrap();
    let injected = Selector::parse("img[src=x], [onerror]").unwrap();
    for path in [
        format!("/incidents/{id}"),
        format!("/incidents/{id}/attachments/{att}/remove"),
    ] {
        let (html, doc) = app.page(&path).await;
        assert!(!html.contains("<img src=x"), "{path}: markup got through");
        assert_eq!(doc.select(&injected).count(), 0, "{path}");
        let shown: String = doc.root_element().text().collect();
        assert!(
            shown.contains(&kept),
            "{path}: the name is not shown as text"
        );
    }
    let (_, h, _) = download(
        &app.client,
        &app,
        &format!("/incidents/{id}/attachments/{att}/download"),
    )
    .await;
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"b><img src=x onerror=alert(1)>%22'[U+202E]gpj.exe\"; \
         filename*=UTF-8''b%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%2522%27%5BU+202E%5Dgpj.exe"
    );
}
