//! The ATLAS knowledge base end to end: the embedded catalog, imports and
//! upgrades through the store, bad files through the CLI, and `atlas sync`
//! against a local HTTP server.

use std::process::Command;

use atlasview::atlas::{catalog, parse_release};
use atlasview::store::{ImportOutcome, Store};
use axum::Router;
use axum::routing::get;

use crate::support::{BIN, TestApp, cli, fixture, shared_atlas, text};

#[test]
fn embedded_catalog_equals_the_exporter_output_for_5_6_0() {
    let bytes = std::fs::read(shared_atlas("ATLAS-5.6.0.yaml")).expect("read 5.6.0");
    let release = parse_release(&bytes).expect("parse 5.6.0");
    let exported = catalog::to_json(&catalog::export(&release));
    assert!(
        exported == catalog::EMBEDDED_JSON,
        "catalog/atlas-catalog.json is stale: run `atlasview atlas export-catalog ../shared/atlas/ATLAS-5.6.0.yaml --out catalog/atlas-catalog.json`"
    );
    // Facts only: no description text travels into the binary.
    let embedded = catalog::embedded_release();
    assert!(embedded.techniques.iter().all(|t| t.description.is_none()));
    assert!(!catalog::EMBEDDED_JSON.contains("description"));
    assert!(embedded.case_studies.is_empty());
}

#[tokio::test]
async fn upgrade_from_4_8_0_to_5_6_0_and_reimport_is_a_no_op() {
    let db = crate::support::TestDatabase::fresh().await;
    let store = Store::connect(&db.url).await.unwrap();
    let read = |f: &str| parse_release(&std::fs::read(shared_atlas(f)).unwrap()).unwrap();

    let old = read("ATLAS-4.8.0.yaml");
    assert_eq!(
        store.import_release(&old, "4.8.0 file").await.unwrap(),
        ImportOutcome::Added {
            version: "4.8.0".into(),
            activated: true
        }
    );
    let active = store.load_active().await.unwrap().unwrap();
    assert_eq!(active.version(), "4.8.0");
    assert_eq!(active.tactics().len(), 14);
    assert_eq!(
        active.tactic("AML.TA0001").unwrap().name,
        "ML Attack Staging"
    );

    let new = read("ATLAS-5.6.0.yaml");
    assert_eq!(
        store.import_release(&new, "5.6.0 file").await.unwrap(),
        ImportOutcome::Added {
            version: "5.6.0".into(),
            activated: true
        }
    );
    let active = store.load_active().await.unwrap().unwrap();
    assert_eq!(active.version(), "5.6.0");
    assert_eq!(active.tactics().len(), 16);
    assert_eq!(active.release.techniques.len(), 170);
    assert_eq!(
        active
            .release
            .techniques
            .iter()
            .filter(|t| t.parent.is_some())
            .count(),
        69
    );
    assert_eq!(active.release.mitigations.len(), 35);
    assert_eq!(active.release.case_studies.len(), 57);
    assert_eq!(
        active.tactic("AML.TA0001").unwrap().name,
        "AI Attack Staging"
    );
    // What is stored reads back exactly as parsed.
    assert_eq!(active.release, new);

    let before = store.list_releases().await.unwrap();
    assert_eq!(
        store.import_release(&new, "again").await.unwrap(),
        ImportOutcome::Unchanged {
            version: "5.6.0".into()
        }
    );
    // An older release imported later is stored but does not take over.
    assert_eq!(
        store.import_release(&old, "again").await.unwrap(),
        ImportOutcome::Unchanged {
            version: "4.8.0".into()
        }
    );
    assert_eq!(store.list_releases().await.unwrap(), before);
}

#[tokio::test]
async fn a_technique_that_vanished_upstream_is_kept_marked_and_reachable() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let outcome = app.import(&fixture("atlas-legacy-vanished.yaml")).await;
    assert_eq!(
        outcome,
        ImportOutcome::Added {
            version: "5.7.0".into(),
            activated: true
        }
    );

    let active = app.state.atlas.get();
    assert_eq!(active.version(), "5.7.0");
    assert!(
        active.technique("AML.T0000.001").is_none(),
        "the fixture dropped AML.T0000.001"
    );
    let (seen_in, technique) = app
        .store
        .find_technique_anywhere("AML.T0000.001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen_in, "5.6.0");
    assert_eq!(technique.name, "Pre-Print Repositories");

    let (status, body) = app.get("/techniques/AML.T0000.001").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Pre-Print Repositories"));
    assert!(
        body.contains("5.7.0") && body.contains("5.6.0"),
        "the page names both releases"
    );
    let (status, _) = app.get("/techniques/AML.T9999").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_format_6_release_imports_with_parent_names_and_multi_tactic_techniques() {
    let app = TestApp::spawn().await;
    let outcome = app.import(&fixture("atlas-v6-small.yaml")).await;
    // 2026.09 is newer than the embedded 5.6.0, so it becomes active.
    assert_eq!(
        outcome,
        ImportOutcome::Added {
            version: "2026.09".into(),
            activated: true
        }
    );
    let active = app.state.atlas.get();
    let order: Vec<&str> = active.tactics().iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        order,
        ["AML.TA0002", "AML.TA0004", "AML.TA0005", "AML.TA0001"]
    );

    let indirect = active.technique("AML.T0051.001").unwrap();
    assert_eq!(
        active.display_name(indirect),
        "LLM Prompt Injection: Indirect"
    );
    let (_, page) = app.get("/techniques/AML.T0051.001").await;
    assert!(page.contains("LLM Prompt Injection: Indirect"));

    let (status, matrix) = app.get("/matrix").await;
    assert_eq!(status, 200);
    assert_eq!(
        matrix.matches("href=\"/techniques/AML.T0051\"").count(),
        2,
        "AML.T0051 achieves Initial Access and Execution, so it has a cell in both columns"
    );
}

/// Release fingerprint: what `atlas list` shows, plus the active release's content.
async fn fingerprint(db: &crate::support::TestDatabase) -> String {
    let store = Store::connect(&db.url).await.unwrap();
    let releases = store.list_releases().await.unwrap();
    let active = store.load_active().await.unwrap().map(|a| a.release);
    store.close().await;
    format!("{releases:?}{active:?}")
}

#[tokio::test]
async fn every_kind_of_bad_file_is_refused_with_a_clear_message_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::support::TestDatabase::fresh().await;
    let ok = cli(
        &db,
        &[
            "atlas",
            "import",
            shared_atlas("ATLAS-4.8.0.yaml").to_str().unwrap(),
        ],
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let before = fingerprint(&db).await;

    let huge = dir.path().join("huge.yaml");
    let mut big = String::from("id: ATLAS\nname: big\nversion: 9.9.9\npadding: |\n");
    while big.len() <= atlasview::atlas::MAX_RELEASE_BYTES {
        big.push_str("  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    }
    std::fs::write(&huge, big).unwrap();

    let cases: Vec<(std::path::PathBuf, &[&str])> = vec![
        (fixture("bad-not-yaml.yaml"), &["not valid YAML at line"]),
        (fixture("bad-shape.yaml"), &["matrices"]),
        (
            fixture("bad-unknown-tactic.yaml"),
            &["unknown tactic", "AML.TA"],
        ),
        (
            fixture("bad-duplicate-id.yaml"),
            &["more than once", "AML."],
        ),
        (fixture("bad-malformed-id.yaml"), &["not a well-formed ID"]),
        (fixture("bad-alias-bomb.yaml"), &["alias"]),
        (huge, &["over the limit"]),
        (dir.path().join("missing.yaml"), &["cannot read"]),
    ];
    for (file, expected) in cases {
        let out = cli(&db, &["atlas", "import", file.to_str().unwrap()]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{} was accepted", file.display());
        for needle in expected {
            assert!(
                stderr.contains(needle),
                "{}: expected `{needle}` in: {stderr}",
                file.display()
            );
        }
        assert_eq!(
            fingerprint(&db).await,
            before,
            "{} changed the database",
            file.display()
        );
    }
}

/// Serves `files` (path → body) on a free loopback port; returns the base URL.
async fn serve_files(files: Vec<(&'static str, Vec<u8>)>) -> String {
    let mut router = Router::new();
    for (path, body) in files {
        router = router.route(path, get(move || async move { body.clone() }));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

// Multi-threaded: the CLI runs as a blocking child process while this
// runtime's server answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_follows_the_latest_pointer_chain_and_falls_back_to_the_legacy_file() {
    let v6 = std::fs::read(fixture("atlas-v6-small.yaml")).unwrap();
    let base = serve_files(vec![
        // A raw download of the git symlink returns the target's name only.
        (
            "/dist/ATLAS-latest.yaml",
            b"ATLAS-2026-pointer.yaml\n".to_vec(),
        ),
        (
            "/dist/ATLAS-2026-pointer.yaml",
            b"v6/ATLAS-2026.09.yaml".to_vec(),
        ),
        ("/dist/v6/ATLAS-2026.09.yaml", v6),
    ])
    .await;
    let db = crate::support::TestDatabase::fresh().await;
    let out = cli(&db, &["atlas", "sync", "--url", &format!("{base}/dist/")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("fetched {base}/dist/v6/ATLAS-2026.09.yaml")),
        "{stdout}"
    );
    assert!(
        stdout.contains("stored release 2026.09 and made it the active release"),
        "{stdout}"
    );
    // Syncing again changes nothing.
    let again = cli(&db, &["atlas", "sync", "--url", &format!("{base}/dist")]);
    assert!(
        text(&again.stdout).contains("nothing changed"),
        "{}",
        text(&again.stdout)
    );

    // No pointer file: the legacy single file is used.
    let legacy = std::fs::read(shared_atlas("ATLAS-4.8.0.yaml")).unwrap();
    let old_base = serve_files(vec![("/dist/ATLAS.yaml", legacy)]).await;
    let db2 = crate::support::TestDatabase::fresh().await;
    let out = cli(
        &db2,
        &["atlas", "sync", "--url", &format!("{old_base}/dist/")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("stored release 4.8.0"),
        "{}",
        text(&out.stdout)
    );

    // A plain URL import works too, and a 404 is an error that names the status.
    let url_db = crate::support::TestDatabase::fresh().await;
    let out = cli(
        &url_db,
        &[
            "atlas",
            "import",
            &format!("{base}/dist/v6/ATLAS-2026.09.yaml"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = cli(
        &url_db,
        &["atlas", "import", &format!("{base}/nothing.yaml")],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("404"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn the_readme_run_command_serves_the_full_matrix_from_a_fresh_database() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let child = KillOnDrop(
        Command::new(BIN)
            .current_dir(dir.path())
            .args(["serve", "--addr", &addr])
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start server"),
    );
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let mut first = None;
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("http://{addr}/matrix")).send().await {
            first = Some(r.url().path().to_string());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // A fresh install sends the first visitor to create the admin account.
    assert_eq!(
        first.as_deref(),
        Some("/setup"),
        "first visit goes to the setup page"
    );
    let setup = client
        .post(format!("http://{addr}/setup"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=admin&password=a+long+first+password")
        .send()
        .await
        .unwrap();
    assert_eq!(
        setup.url().path(),
        "/",
        "setup signs in and lands on the dashboard"
    );
    let r = client
        .get(format!("http://{addr}/matrix?subtechniques=all"))
        .send()
        .await
        .unwrap();
    let (status, body) = (r.status().as_u16(), r.text().await.unwrap());
    let health = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .map(|r| r.status().as_u16());
    drop(child);
    assert_eq!(status, 200);
    assert_eq!(health.ok(), Some(200));
    assert!(
        dir.path().join("atlasview.db").exists(),
        "database created in the working directory"
    );
    let release = catalog::embedded_release();
    for t in &release.techniques {
        assert!(body.contains(&t.id), "{} missing from /matrix", t.id);
    }
    let first = body.find("Reconnaissance").expect("Reconnaissance");
    let last = body.find("AML.TA0011").expect("Impact column");
    assert!(first < last, "columns in ATLAS order");
}

pub(crate) fn multipart(file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "atlasview-test-boundary-7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/yaml\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn admins_import_releases_from_the_admin_page_and_the_api() {
    use atlasview::domain::auth::Role;
    let app = TestApp::spawn().await;
    assert!(
        !app.state.atlas.get().info.has_descriptions,
        "fresh install runs on the catalog"
    );

    // API: an older release is stored but does not take over.
    let old = std::fs::read(shared_atlas("ATLAS-4.8.0.yaml")).unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/atlas/releases"))
        .body(old.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(app.state.atlas.get().version(), "5.6.0");
    let analyst = app.client_as(Role::Analyst).await;
    let res = analyst
        .post(app.url("/api/v1/atlas/releases"))
        .body(old)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);

    // Upload form: the full 5.6.0 replaces the catalog and is live at once.
    let (ct, body) = multipart(
        "ATLAS-5.6.0.yaml",
        &std::fs::read(shared_atlas("ATLAS-5.6.0.yaml")).unwrap(),
    );
    let res = app
        .client
        .post(app.url("/admin/atlas/upload"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/admin/atlas?done=")
    );
    let active = app.state.atlas.get();
    assert!(active.info.has_descriptions && active.release.case_studies.len() == 57);
    let (_, page) = app.get("/matrix").await;
    assert!(!page.contains("Facts only"), "the catalog notice is gone");

    // A broken upload is refused with the position and changes nothing.
    let before = app.store.list_releases().await.unwrap();
    let (ct, body) = multipart(
        "bad.yaml",
        &std::fs::read(fixture("bad-not-yaml.yaml")).unwrap(),
    );
    let res = app
        .client
        .post(app.url("/admin/atlas/upload"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("line"));
    assert_eq!(app.store.list_releases().await.unwrap(), before);

    // Switching the active release back is immediate too.
    let res = app
        .post_encoded_as(&app.client, "/admin/atlas/activate", "version=4.8.0")
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        app.state.atlas.get().tactic("AML.TA0001").unwrap().name,
        "ML Attack Staging"
    );
    let (entries, _) = app
        .store
        .audit_entries(&atlasview::store::AuditQuery {
            action: Some("import.atlas".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        entries.len(),
        3,
        "API import, upload and activation are audited"
    );
}

/// Stops the server even when an assertion fails first.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
