//! Searching the incident list as an analyst does, through the filter form
//! in a real browser: free text finds step evidence and the reporter, and
//! the technique filter takes in sub-techniques unless "exactly this ID" is
//! ticked.

use fantoccini::Locator;
use serde_json::json;

use super::{Browser, WAIT};
use crate::support::{PASSWORD, TestApp, shared_atlas};

async fn create(app: &TestApp, body: serde_json::Value) {
    let (status, created) = app.post_json("/api/v1/incidents", &body).await;
    assert_eq!(status, 201, "{created}");
}

/// The titles the list shows, in order.
async fn titles(browser: &Browser) -> Vec<String> {
    browser.wait_for("#h-results").await;
    let v = browser
        .js("return [...document.querySelectorAll('.inc-row-title')].map(a => a.textContent.trim())")
        .await;
    let mut titles: Vec<String> = v
        .as_array()
        .expect("an array")
        .iter()
        .map(|t| t.as_str().unwrap_or_default().to_string())
        .collect();
    titles.sort();
    titles
}

/// Types `text` into the field `selector` of the filter form (emptied
/// first) and applies the filters with the form's own button.
async fn filter(browser: &Browser, selector: &str, text: &str) {
    let field = browser.wait_for(selector).await;
    field.clear().await.expect("clear the field");
    if !text.is_empty() {
        field.send_keys(text).await.expect("type");
    }
    // Marks this page, to wait for the next one.
    browser.js("document.body.dataset.before = '1'").await;
    browser
        .find(Locator::Css("form.inc-filters button[type='submit']"))
        .await
        .expect("the apply button")
        .click()
        .await
        .expect("apply the filters");
    let deadline = std::time::Instant::now() + WAIT;
    while browser
        .js("return document.readyState !== 'complete' || !document.body || document.body.dataset.before === '1'")
        .await
        != serde_json::Value::Bool(false)
    {
        assert!(std::time::Instant::now() < deadline, "the filtered list never loaded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_list_search_finds_evidence_and_reporters_and_the_parent_filter_takes_subs() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    create(
        &app,
        json!({"title": "Canary leaked", "reporter": "sam.soc", "steps": [
            {"tactic": "AML.TA0005", "technique": "AML.T0051.001",
             "evidence": "Ticket OF-5521: SYSPROMPT-CANARY seen in the answer"},
        ]}),
    )
    .await;
    create(
        &app,
        json!({"title": "Direct injection", "reporter": "alice", "steps": [
            {"tactic": "AML.TA0005", "technique": "AML.T0051"},
        ]}),
    )
    .await;
    create(
        &app,
        json!({"title": "Model theft", "reporter": "bob", "steps": [
            {"tactic": "AML.TA0010", "technique": "AML.T0024"},
        ]}),
    )
    .await;
    browser.sign_in(&app, "admin", PASSWORD).await;
    browser.open(&app, "/incidents").await;
    assert_eq!(
        titles(&browser).await,
        ["Canary leaked", "Direct injection", "Model theft"]
    );

    for (typed, found) in [
        ("OF-5521", "Canary leaked"),
        ("SYSPROMPT-CANARY", "Canary leaked"),
        ("sam.soc", "Canary leaked"),
        ("alice", "Direct injection"),
    ] {
        filter(&browser, "#f-q", typed).await;
        assert_eq!(titles(&browser).await, [found], "search for {typed}");
    }
    filter(&browser, "#f-q", "").await;

    // The parent ID takes in its sub-techniques; "exactly" leaves them out.
    browser
        .find(Locator::Css("details.inc-more summary"))
        .await
        .expect("more filters")
        .click()
        .await
        .expect("open more filters");
    filter(&browser, "#f-technique", "AML.T0051").await;
    assert_eq!(
        titles(&browser).await,
        ["Canary leaked", "Direct injection"]
    );
    browser
        .find(Locator::Css("input[name='technique_exact']"))
        .await
        .expect("the exact box")
        .click()
        .await
        .expect("tick exactly");
    filter(&browser, "#f-technique", "AML.T0051").await;
    assert_eq!(titles(&browser).await, ["Direct injection"]);
    browser.close().await;
}
