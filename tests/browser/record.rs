//! Recording an incident with five steps through the forms, as an analyst
//! does, counting every click: with JavaScript and without, typed IDs and
//! typed names in the technique picker, the tactic filled in for a technique
//! that serves one tactic. The target (issue 13) is at most 25 clicks.

use fantoccini::Locator;
use fantoccini::elements::Element;
use serde_json::json;

use super::Browser;
use crate::support::{PASSWORD, TestApp, shared_atlas};

/// The most clicks recording five steps may take.
const MAX_CLICKS: usize = 25;

/// What the analyst types into the picker, and what it must resolve to:
/// (typed, technique ID, the one tactic it serves).
const STEPS: [(&str, &str, &str); 5] = [
    ("Search Open Technical Databases", "AML.T0000", "AML.TA0002"),
    ("t0051.001", "AML.T0051.001", "AML.TA0005"),
    ("Discover LLM System Information", "AML.T0069", "AML.TA0008"),
    ("AML.T0056", "AML.T0056", "AML.TA0010"),
    ("external harms", "AML.T0048", "AML.TA0011"),
];

/// Counts the clicks of one recording.
struct Clicks<'a> {
    browser: &'a Browser,
    count: usize,
}

impl Clicks<'_> {
    /// Waits for `selector` and clicks it (one click).
    async fn on(&mut self, selector: &str) -> Element {
        let el = self.browser.wait_for(selector).await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("click {selector}: {e}"));
        self.count += 1;
        el
    }

    /// Clicks into a field (one click) and types `text`.
    async fn type_into(&mut self, selector: &str, text: &str) {
        let el = self.on(selector).await;
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {selector}: {e}"));
    }
}

/// Records the incident from the incident list; returns its ID, the clicks
/// and the tactic the form showed after each technique was typed.
async fn record(browser: &Browser, app: &TestApp, title: &str) -> (String, usize, Vec<String>) {
    browser.open(app, "/incidents").await;
    let mut clicks = Clicks { browser, count: 0 };
    clicks.on("a[href='/incidents/new']").await;
    clicks.type_into("#f-title", title).await;
    clicks.on("form.inc-form button[type=submit]").await;
    clicks.on(".inc-empty a[href$='/steps/new']").await;
    let mut tactics = Vec::new();
    for (i, (typed, _, _)) in STEPS.iter().enumerate() {
        clicks.type_into("#f-technique", typed).await;
        let shown = browser
            .js("return document.getElementById('f-tactic').value")
            .await;
        tactics.push(shown.as_str().unwrap_or_default().to_string());
        let last = i + 1 == STEPS.len();
        let button = if last {
            "form.inc-step-form .inc-form-actions button.button:not([name])"
        } else {
            "form.inc-step-form button[name=next][value=step]"
        };
        clicks.on(button).await;
        if last {
            browser.wait_for("ol.inc-timeline").await;
        } else {
            // The next empty form, saying what was just added (polled: the
            // page before may still be shown for a moment).
            let want = format!("Step {} added", i + 1);
            let deadline = std::time::Instant::now() + super::WAIT;
            loop {
                let note = browser
                    .js("const n = document.querySelector('.inc-added'); return n ? n.textContent : ''")
                    .await;
                if note.as_str().is_some_and(|t| t.contains(&want)) {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "no “{want}” notice: {note}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
    let path = browser.path().await;
    let id = path
        .strip_prefix("/incidents/")
        .and_then(|p| p.split(['#', '?', '/']).next())
        .unwrap_or_else(|| panic!("not on an incident page: {path}"))
        .to_string();
    (id, clicks.count, tactics)
}

/// The steps as stored: (technique, tactic) in order.
async fn stored_steps(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let incident: serde_json::Value = app
        .client
        .get(app.url(&format!("/api/v1/incidents/{id}")))
        .send()
        .await
        .expect("GET incident")
        .json()
        .await
        .expect("JSON");
    incident["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["technique"].as_str().unwrap_or_default().to_string(),
                s["tactic"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn setup() -> Option<(Browser, TestApp)> {
    let browser = Browser::start().await?;
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    browser.sign_in(&app, "admin", PASSWORD).await;
    Some((browser, app))
}

fn expected() -> Vec<(String, String)> {
    STEPS
        .iter()
        .map(|(_, t, a)| (t.to_string(), a.to_string()))
        .collect()
}

#[tokio::test]
async fn five_steps_with_javascript_take_at_most_25_clicks() {
    let Some((browser, app)) = setup().await else {
        return;
    };
    let (id, clicks, tactics) =
        record(&browser, &app, "Prompt injection through a shared doc").await;
    eprintln!("recording five steps with JavaScript: {clicks} clicks");
    assert!(clicks <= MAX_CLICKS, "{clicks} clicks");
    // The script filled each single-tactic technique's tactic as it was typed.
    let want: Vec<&str> = STEPS.iter().map(|s| s.2).collect();
    assert_eq!(tactics, want);
    assert_eq!(stored_steps(&app, &id).await, expected());
    browser.close().await;
}

#[tokio::test]
async fn five_steps_without_javascript_take_at_most_25_clicks() {
    let Some((browser, app)) = setup().await else {
        return;
    };
    browser
        .cdp(
            "Emulation.setScriptExecutionDisabled",
            json!({"value": true}),
        )
        .await;
    let (id, clicks, tactics) = record(&browser, &app, "Prompt injection, no script").await;
    eprintln!("recording five steps without JavaScript: {clicks} clicks");
    assert!(clicks <= MAX_CLICKS, "{clicks} clicks");
    // No script ran: the tactic stayed blank in the form and the server
    // filled it from the technique.
    assert!(tactics.iter().all(String::is_empty), "{tactics:?}");
    assert_eq!(stored_steps(&app, &id).await, expected());
    // The page shows them in order, numbered.
    let shown = browser
        .find_all(Locator::Css("ol.inc-timeline > li .inc-step-head .id"))
        .await
        .expect("steps");
    let mut ids = Vec::new();
    for el in shown {
        ids.push(el.text().await.expect("text"));
    }
    let want: Vec<&str> = STEPS.iter().map(|s| s.1).collect();
    assert_eq!(ids, want);
    browser.close().await;
}
