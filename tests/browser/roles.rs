//! Navigation and controls per role, as a browser shows them.

use atlasview::domain::auth::Role;
use atlasview::web::WebConfig;
use serde_json::{Value, json};

use super::Browser;
use crate::support::{PASSWORD, TestApp, user_with_token};

const COUNT: &str = "return [...arguments[0]].map(s => document.querySelectorAll(s).length)";

#[tokio::test]
async fn each_role_sees_its_own_navigation_and_controls() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn_with(WebConfig {
        public_read: true,
        ..WebConfig::default()
    })
    .await;
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&json!({"title": "Model theft attempt", "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051"}]}))
        .send()
        .await
        .expect("create incident");
    let id = res.json::<Value>().await.expect("JSON")["id"]
        .as_str()
        .expect("id")
        .to_string();
    for role in [Role::Viewer, Role::Analyst] {
        user_with_token(&app.store, role.as_str(), role).await;
    }
    let selectors = json!([
        "a[href='/login']",
        "a[href='/admin']",
        "a[href='/account']",
        "form[action='/logout']",
        "a[href='/incidents/new'], a[href$='/edit'], form[action$='/move'], form[action$='/delete']",
        ".role-badge",
    ]);
    let page = format!("/incidents/{id}");
    // Anonymous (public read): Sign in only, no admin, account or write controls.
    browser.open(&app, &page).await;
    browser.wait_for("h1").await;
    let counts = browser.js_with(COUNT, vec![selectors.clone()]).await;
    assert_eq!(counts, json!([1, 0, 0, 0, 0, 0]), "anonymous");
    for (user, expected) in [
        ("viewer", json!([0, 0, 1, 1, 0, 1])),
        ("analyst", json!([0, 0, 1, 1, 1, 1])),
        ("admin", json!([0, 1, 1, 1, 1, 1])),
    ] {
        browser.sign_in(&app, user, PASSWORD).await;
        browser.open(&app, &page).await;
        browser.wait_for("h1").await;
        let counts = browser.js_with(COUNT, vec![selectors.clone()]).await;
        let counts: Vec<u64> = counts
            .as_array()
            .expect("counts")
            .iter()
            .map(|c| c.as_u64().unwrap_or(0).min(1))
            .collect();
        assert_eq!(json!(counts), expected, "{user}");
        let header = browser
            .js("return document.querySelector('.session-user').textContent")
            .await;
        assert!(
            header.as_str().unwrap_or("").contains(user),
            "{user}: {header}"
        );
        browser
            .js("document.querySelector(\"form[action='/logout'] button\").click(); return 1")
            .await;
        browser.wait_for("form[action='/login']").await;
    }
    browser.close().await;
}
