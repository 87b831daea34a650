//! Every sub-page of an incident is reachable by links from the incident
//! page, in a real browser: the pages open (story, retrospective, matrix)
//! and the downloads land in the downloads folder under a meaningful name
//! (layer, story SVG, case-study YAML), instead of opening in the tab.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{Browser, WAIT};
use crate::support::{PASSWORD, TestApp, shared_atlas};

/// Waits until `dir` holds the finished download `name` (Chromium writes
/// `*.crdownload` first); panics with what is there after [`WAIT`].
async fn downloaded(dir: &Path, name: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .collect()
            })
            .unwrap_or_default();
        if names.iter().any(|n| n == name) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no download {name} in {}: {names:?}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn every_incident_sub_page_is_reachable_from_the_incident_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&json!({"title": "Reach every page", "steps": [
            {"tactic": "AML.TA0002", "technique": "AML.T0000"},
            {"tactic": "AML.TA0005", "technique": "AML.T0051.001"},
        ]}))
        .send()
        .await
        .expect("create");
    assert_eq!(res.status().as_u16(), 201);
    let created: serde_json::Value = res.json().await.expect("JSON");
    let id = created["id"].as_str().expect("id").to_string();
    let downloads = tempfile::tempdir().expect("downloads dir");
    browser.sign_in(&app, "admin", PASSWORD).await;
    browser
        .cdp(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": downloads.path().to_string_lossy()}),
        )
        .await;

    let incident = format!("/incidents/{id}");
    // Pages: follow the link, land on the page, come back.
    // The pages name the incident: by title, or (the matrix, filtered to it) by ID.
    for (what, lands, names) in [
        (
            "story",
            format!("/incidents/{id}/story"),
            "Reach every page",
        ),
        (
            "retrospective",
            format!("/incidents/{id}/retrospective"),
            "Reach every page",
        ),
        ("matrix", format!("/matrix?incident={id}"), id.as_str()),
    ] {
        browser.open(&app, &incident).await;
        browser
            .wait_for(&format!("nav.inc-subpages a[data-subpage='{what}']"))
            .await
            .click()
            .await
            .expect("follow the link");
        browser.wait_for("h1").await;
        let path = browser.path().await;
        assert!(path.starts_with(&lands), "{what}: landed on {path}");
        let text = browser.text().await;
        assert!(
            text.contains(names),
            "{what}: {path} names the incident: {text}"
        );
    }
    // Downloads: the click saves a file named after the incident, and the
    // incident page stays in the tab.
    let name = format!("{id}-reach-every-page-");
    for (what, suffix) in [
        ("layer", "layer.json"),
        ("svg", "story.svg"),
        ("case-study", "case-study.yaml"),
        ("stix", "stix.json"),
    ] {
        browser.open(&app, &incident).await;
        browser
            .wait_for(&format!("nav.inc-subpages a[data-subpage='{what}']"))
            .await
            .click()
            .await
            .expect("click the download");
        let file = format!("{name}{suffix}");
        downloaded(downloads.path(), &file).await;
        assert_eq!(browser.path().await, incident, "{what}: the tab stays");
        let size = std::fs::metadata(downloads.path().join(&file))
            .expect("file")
            .len();
        assert!(size > 100, "{what}: {file} is {size} bytes");
    }
    // Every link of the action bar was followed.
    browser.open(&app, &incident).await;
    let all = browser
        .js("return [...document.querySelectorAll('nav.inc-subpages a[data-subpage]')].map((a) => a.dataset.subpage)")
        .await;
    assert_eq!(
        all,
        json!([
            "story",
            "retrospective",
            "matrix",
            "layer",
            "svg",
            "case-study",
            "stix"
        ])
    );
    browser.close().await;
}
