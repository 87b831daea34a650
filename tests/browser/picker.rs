//! The step form's technique picker in a real browser, with and without
//! JavaScript: a typed ID and a typed name record the step; a technique that
//! serves one tactic fills the tactic in.

use serde_json::json;

use super::Browser;
use crate::incident_pages::step_techniques;
use crate::support::{PASSWORD, TestApp, shared_atlas};

/// Types `technique` into the picker, counts what the script did to the
/// tactic, submits, and returns the tactic select's value before submitting.
async fn record(browser: &Browser, app: &TestApp, id: &str, technique: &str) -> String {
    browser
        .open(app, &format!("/incidents/{id}/steps/new"))
        .await;
    let field = browser.wait_for("#f-technique").await;
    field.send_keys(technique).await.expect("type technique");
    let tactic = browser
        .js("return document.getElementById('f-tactic').value")
        .await;
    browser
        .wait_for("form.inc-step-form button[type=submit]:not([data-reload]):not([name=next])")
        .await
        .click()
        .await
        .expect("submit");
    browser.wait_for("ol.inc-timeline").await;
    tactic.as_str().unwrap_or_default().to_string()
}

async fn setup() -> Option<(Browser, TestApp, String)> {
    let browser = Browser::start().await?;
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&json!({"title": "Picker in a browser"}))
        .send()
        .await
        .expect("create incident");
    assert_eq!(res.status().as_u16(), 201);
    let created: serde_json::Value = res.json().await.expect("JSON");
    let id = created["id"].as_str().expect("id").to_string();
    browser.sign_in(&app, "admin", PASSWORD).await;
    Some((browser, app, id))
}

#[tokio::test]
async fn with_javascript_a_typed_id_or_name_fills_the_tactic() {
    let Some((browser, app, id)) = setup().await else {
        return;
    };
    assert_eq!(record(&browser, &app, &id, "t0051.001").await, "AML.TA0005");
    assert_eq!(
        record(&browser, &app, &id, "Search Open Technical Databases").await,
        "AML.TA0002"
    );
    assert_eq!(
        step_techniques(&app, &id).await,
        ["AML.T0051.001", "AML.T0000"]
    );
    // A technique of several tactics: only its tactics stay selectable.
    browser
        .open(&app, &format!("/incidents/{id}/steps/new"))
        .await;
    let field = browser.wait_for("#f-technique").await;
    field.send_keys("Valid Accounts").await.expect("type");
    let offered = browser
        .js("return [...document.querySelectorAll('#f-tactic option')].filter((o) => o.value && !o.disabled).map((o) => o.value)")
        .await;
    assert_eq!(offered, json!(["AML.TA0004", "AML.TA0012"]));
    browser.close().await;
}

#[tokio::test]
async fn without_javascript_a_typed_id_or_name_records_the_step() {
    let Some((browser, app, id)) = setup().await else {
        return;
    };
    browser
        .cdp(
            "Emulation.setScriptExecutionDisabled",
            json!({"value": true}),
        )
        .await;
    // The script does not run: the tactic stays blank and the server fills it.
    assert_eq!(record(&browser, &app, &id, "AML.T0051.000").await, "");
    assert_eq!(
        record(&browser, &app, &id, "llm prompt injection: indirect").await,
        ""
    );
    assert_eq!(
        step_techniques(&app, &id).await,
        ["AML.T0051.000", "AML.T0051.001"]
    );
    browser.close().await;
}
