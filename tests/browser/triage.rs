//! The triage flow in a real browser: an alert whose technique serves several
//! tactics makes a step marked "tactic to confirm"; one click on a candidate
//! confirms it, from the ingestion page and from the incident page.

use fantoccini::Locator;
use serde_json::json;

use super::Browser;
use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn a_tactic_to_confirm_is_confirmed_in_one_click() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    // AML.T0054 serves Privilege Escalation and Defense Evasion; AML.T0012 serves
    // Initial Access and Privilege Escalation; neither alert says which.
    let alerts = format!(
        "{}\n{}\n",
        json!({"id": "t-1", "time": "2026-03-01T10:00:00Z", "technique": "AML.T0054", "source": "llm-guard"}),
        json!({"id": "t-2", "time": "2026-03-01T10:05:00Z", "technique": "AML.T0012", "source": "llm-guard"}),
    );
    let res = app
        .client
        .post(app.url("/api/v1/alerts"))
        .header("content-type", "application/x-ndjson")
        .body(alerts)
        .send()
        .await
        .unwrap();
    let report: serde_json::Value = res.json().await.unwrap();
    assert_eq!(report["tactics_to_confirm"], 2, "{report}");
    let id = report["incidents"][0].as_str().unwrap().to_string();

    browser.sign_in(&app, "admin", PASSWORD).await;
    browser.open(&app, "/admin/ingest").await;
    browser.wait_for("#to-confirm").await;
    let rows = browser
        .js("return document.querySelectorAll('#to-confirm + p + table tbody tr').length")
        .await;
    assert_eq!(rows, 2);
    // One click: the button names the tactic.
    browser
        .find(Locator::Css(
            "form.to-confirm-choices button[name=tactic][value='AML.TA0007']",
        ))
        .await
        .expect("Defense Evasion button")
        .click()
        .await
        .expect("click");
    browser.wait_for(".inc-alert-success").await;
    assert!(browser.path().await.starts_with("/admin/ingest?"));
    assert!(browser.text().await.contains("Tactic confirmed"));
    let left = browser
        .js("return document.querySelectorAll('form.to-confirm-choices').length")
        .await;
    assert_eq!(left, 1, "one step left to confirm");

    // The other one, from the incident page.
    browser.open(&app, &format!("/incidents/{id}")).await;
    browser.wait_for(".to-confirm").await;
    assert!(browser.text().await.contains("Tactic to confirm"));
    browser
        .find(Locator::Css(
            "form.to-confirm-choices button[name=tactic][value='AML.TA0004']",
        ))
        .await
        .expect("Initial Access button")
        .click()
        .await
        .expect("click");
    // The same page comes back (303 to it), without the mark.
    let started = std::time::Instant::now();
    while browser.text().await.contains("Tactic to confirm") {
        assert!(
            started.elapsed() < super::WAIT,
            "the step is still to confirm"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser.wait_for(".inc-timeline").await;
    assert_eq!(browser.path().await, format!("/incidents/{id}"));
    browser.close().await;

    let (_, incident) = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    let tactics: Vec<&str> = incident["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["tactic"].as_str().unwrap())
        .collect();
    assert_eq!(tactics, ["AML.TA0007", "AML.TA0004"]);
}
