//! Findings of the outside probe that are about input and output rather than
//! who may do what: disguising characters, impossible times and file names,
//! credentials in import sources, and memory under a burst of password checks.

use atlasview::domain::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, shared_atlas};

#[tokio::test]
async fn bidi_and_zero_width_characters_are_refused_in_names_and_made_visible_in_free_text() {
    let app = TestApp::spawn().await;
    let disguised = "invoice\u{202E}gpj.exe";
    let step = json!({"tactic": "AML.TA0005", "technique": "AML.T0051"});
    for (field, value) in [
        ("title", json!(disguised)),
        ("title", json!("zero\u{200B}width")),
        ("tags", json!(["ok", "a\u{2066}b\u{2069}"])),
        ("target", json!("model\u{FEFF}")),
    ] {
        let mut body = json!({"title": "Fine title", "steps": [step]});
        body[field] = value;
        let (status, err) = app.post_json("/api/v1/incidents", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {err}");
        assert!(
            err["field"].as_str().unwrap().starts_with(field),
            "{field}: {err}"
        );
    }
    let (status, created) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "Attachment lure", "summary": format!("open {disguised} now"),
                    "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051", "evidence": "x\u{200D}y"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["summary"], "open invoice[U+202E]gpj.exe now");
    assert_eq!(created["steps"][0]["evidence"], "x[U+200D]y");
    let id = created["id"].as_str().unwrap();
    let (_, page) = app.get(&format!("/incidents/{id}")).await;
    assert!(page.contains("invoice[U+202E]gpj.exe") && !page.contains('\u{202E}'));
    // Token names too.
    let res = app
        .post_encoded_as(
            &app.client,
            "/account/tokens",
            "name=ci%E2%80%AEtxt.exe&role=viewer",
        )
        .await;
    // (a token cannot create tokens at all; a signed-in session gets the 422)
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn over_long_static_names_are_404() {
    let app = TestApp::spawn().await;
    for path in [
        format!("/static/{}", "a".repeat(256)),
        format!("/static/{}.css", "%41".repeat(300)),
        format!("/static/{}/app.css", "b".repeat(1000)),
    ] {
        let (status, _) = app.get(&path).await;
        assert_eq!(status, 404, "{}", &path[..40]);
    }
    assert_eq!(app.get("/static/app.css").await.0, 200);
}

#[tokio::test]
async fn times_outside_1900_to_2200_are_refused_and_the_edges_round_trip() {
    let app = TestApp::spawn().await;
    for bad in [
        "9999-12-31T23:59:59-23:59",
        "0000-01-01T00:00:00+01:00",
        "1899-12-31T23:59:59Z",
        "1900-01-01T00:00:00+00:01",
        "2200-12-31T23:59:59-00:01",
        "2201",
    ] {
        let (status, err) = app
            .post_json(
                "/api/v1/incidents",
                &json!({"title": "Time travel", "occurred_at": bad}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {err}");
        assert_eq!(err["field"], "occurred_at", "{bad}");
    }
    for (given, stored) in [
        ("1900-01-01T00:00:00Z", "1900-01-01T00:00:00Z"),
        ("1900-01-01T00:59:00+00:59", "1900-01-01T00:00:00Z"),
        ("2200-12-31T23:59:59Z", "2200-12-31T23:59:59Z"),
        ("2200-12-31T23:59:59+23:59", "2200-12-31T00:00:59Z"),
        ("1900", "1900-01-01T00:00:00Z"),
        ("2200-12-31", "2200-12-31T00:00:00Z"),
    ] {
        let (status, created) = app
            .post_json(
                "/api/v1/incidents",
                &json!({"title": "Edge", "occurred_at": given, "detected_at": given}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{given}: {created}");
        let id = created["id"].as_str().unwrap();
        let (_, read) = app.get_json(&format!("/api/v1/incidents/{id}")).await;
        assert_eq!(read["occurred_at"], stored, "{given}");
        assert_eq!(read["detected_at"], stored, "{given}");
        let (_, listed) = app.get_json("/api/v1/incidents?per_page=200").await;
        let item = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap();
        assert_eq!(item["occurred_at"], stored, "{given}");
    }
}

#[tokio::test]
async fn viewers_see_where_a_release_came_from_without_paths_or_credentials() {
    let app = TestApp::spawn().await;
    // A release from a server path, and one from a mirror URL with credentials.
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let bytes = std::fs::read(shared_atlas("ATLAS-4.8.0.yaml")).unwrap();
    let release = atlasview::atlas::parse_release(&bytes).unwrap();
    app.store
        .import_release(
            &release,
            "https://mirror-user:s3cr3t-pass@mirror.example/atlas/ATLAS-4.8.0.yaml?token=tok123",
        )
        .await
        .unwrap();
    app.reload().await;
    let folder = shared_atlas("").display().to_string();
    let folder = folder.trim_end_matches('/');
    let viewer = app.client_as(Role::Viewer).await;
    for path in ["/matrix", "/atlas/releases", "/api/v1/atlas/releases"] {
        let (_, body) = app.get_with(&viewer, path).await;
        for secret in ["s3cr3t-pass", "mirror-user", "tok123", folder] {
            assert!(!body.contains(secret), "{path} shows {secret}");
        }
        assert!(body.contains("ATLAS-5.6.0.yaml"), "{path}");
    }
    let releases: Value = viewer
        .get(app.url("/api/v1/atlas/releases"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sources: Vec<&str> = releases
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["source"].as_str())
        .collect();
    assert!(
        sources.contains(&"mirror.example/atlas/ATLAS-4.8.0.yaml")
            && sources.contains(&"ATLAS-5.6.0.yaml"),
        "{sources:?}"
    );
    // Admins see the whole source, still without the credentials.
    let (_, admin_page) = app.get("/admin/atlas").await;
    assert!(admin_page.contains("https://mirror.example/atlas/ATLAS-4.8.0.yaml"));
    assert!(admin_page.contains(folder));
    assert!(!admin_page.contains("s3cr3t-pass") && !admin_page.contains("tok123"));
    // And the database never held them: on SQLite not a byte of its file
    // (or its log), on PostgreSQL not a row of any table.
    let stored = match app.store.backend() {
        atlasview::store::BackendKind::Sqlite => vec![
            std::fs::read(app.db_file()).unwrap(),
            std::fs::read(app.db_file().with_extension("db-wal")).unwrap_or_default(),
        ],
        atlasview::store::BackendKind::Postgres => {
            vec![
                crate::support::db_fingerprint(app.database_url())
                    .await
                    .into_bytes(),
            ]
        }
    };
    for bytes in stored {
        assert!(
            !bytes.windows(11).any(|w| w == b"s3cr3t-pass"),
            "credentials stored in clear"
        );
    }
}

/// Kills the server process when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The resident and peak memory of a process, in KiB, from /proc.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// 32 parallel sign-ins and 32 parallel setups against the real binary: the
/// password hashing runs a couple at a time, so memory stays bounded (it grew
/// by about 19 MiB per request before).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_password_checks_keeps_the_servers_memory_bounded() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let db = crate::support::TestDatabase::fresh().await;
    let child = KillOnDrop(
        std::process::Command::new(env!("CARGO_BIN_EXE_atlasview"))
            .args(["--database-url", &db.url])
            .args(["serve", "--addr", &addr, "--login-rate-limit", "0"])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start server"),
    );
    let pid = child.0.id();
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the server started");
    let password = "violet-harbour-lantern-77";
    let form = |path: &str, body: String| {
        client
            .post(format!("{base}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let res = form("/setup", format!("username=admin&password={password}"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // One sign-in to warm up (the first hash allocates its working memory).
    let res = form("/login", format!("username=admin&password={password}"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (rss_before, _) = memory_kib(pid);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let (path, body) = if i % 2 == 0 {
            ("/login", format!("username=admin&password={password}"))
        } else {
            ("/setup", format!("username=other{i}&password={password}"))
        };
        let req = form(path, body);
        tasks.push(tokio::spawn(async move {
            req.await.map(|r| r.status().as_u16()).unwrap_or(0)
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let logins_ok = statuses.iter().step_by(2).filter(|s| **s == 303).count();
    assert_eq!(logins_ok, 32, "every sign-in succeeded: {statuses:?}");
    assert!(
        statuses
            .iter()
            .skip(1)
            .step_by(2)
            .all(|s| *s == 409 || *s == 429),
        "no second admin: {statuses:?}"
    );
    let (rss_after, peak) = memory_kib(pid);
    drop(child);
    let grown_mib = (peak.saturating_sub(rss_before)) / 1024;
    println!(
        "RSS before {} MiB, after {} MiB, peak {} MiB (grew {grown_mib} MiB)",
        rss_before / 1024,
        rss_after / 1024,
        peak / 1024
    );
    // Two hashing slots of 19 MiB each, plus slack; 32 at once would be over
    // 600 MiB. And the memory is given back afterwards.
    assert!(grown_mib < 80, "the peak grew by {grown_mib} MiB");
    assert!(
        rss_after < rss_before + 40 * 1024,
        "RSS stayed {} MiB above where it was",
        (rss_after.saturating_sub(rss_before)) / 1024
    );
}
