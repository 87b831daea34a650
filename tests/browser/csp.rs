//! The Content-Security-Policy in a real browser: pages need no inline
//! script or style, the policy blocks what a page would try, and nothing on
//! our own pages trips it.

use serde_json::{Value, json};

use super::Browser;
use crate::support::{PASSWORD, TestApp};

/// Pages checked under the policy; `{id}` is an incident with a step.
const PAGES: &[&str] = &[
    "/matrix",
    "/incidents/{id}",
    "/incidents",
    "/incidents/{id}/story",
];

/// Records every CSP violation of every document into `window.__cspViolations`
/// (installed through DevTools, so it runs before the page's own content and
/// is itself exempt from the policy).
const VIOLATION_RECORDER: &str = r#"
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') +
    ' at ' + e.sourceFile + ':' + e.lineNumber + ' ' + (e.sample || ''));
});
"#;

#[tokio::test]
async fn pages_run_under_the_csp_without_inline_script_or_style() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&json!({
            "title": "Model theft attempt",
            "summary": "Some **markdown** with a [link](https://example.com/).",
            "tags": ["csp"],
            "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051", "description": "A step"}],
        }))
        .send()
        .await
        .expect("create incident");
    assert_eq!(res.status().as_u16(), 201, "create incident");
    let created: Value = res.json().await.expect("JSON");
    let id = created["id"].as_str().expect("incident id").to_string();

    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": VIOLATION_RECORDER}),
        )
        .await;
    browser.sign_in(&app, "admin", PASSWORD).await;

    for page in PAGES {
        let path = page.replace("{id}", &id);
        browser.open(&app, &path).await;
        browser.wait_for("h1").await;
        assert!(!browser.text().await.trim().is_empty(), "{path}: no text");
        let found = browser
            .js(
                r#"return {
                  inline_scripts: document.querySelectorAll('script:not([src])').length,
                  style_attributes: [...document.querySelectorAll('[style]')]
                    .map((e) => e.tagName.toLowerCase() + '[style="' + e.getAttribute('style') + '"]'),
                  style_elements: document.querySelectorAll('style').length,
                  violations: window.__cspViolations || null,
                }"#,
            )
            .await;
        assert_eq!(found["inline_scripts"], 0, "{path}: inline <script>");
        assert_eq!(
            found["style_attributes"],
            json!([]),
            "{path}: style attributes"
        );
        assert_eq!(found["style_elements"], 0, "{path}: <style> elements");
        assert_eq!(
            found["violations"],
            json!([]),
            "{path}: the page trips its own CSP (or the recorder did not run)"
        );

        // The policy is in force: an inline script the page adds is blocked,
        // and the browser reports it.
        let probe = browser
            .js(r#"const s = document.createElement('script');
                   s.textContent = 'window.__inlineRan = true';
                   document.head.appendChild(s);
                   return window.__inlineRan === true;"#)
            .await;
        assert_eq!(
            probe, false,
            "{path}: an inline script ran: no CSP in force"
        );
        let reported = browser
            .js_async(
                r#"const done = arguments[arguments.length - 1];
                   const check = (tries) => {
                     const v = window.__cspViolations || [];
                     if (v.some((x) => x.startsWith('script-src')) || tries === 0) done(v);
                     else setTimeout(() => check(tries - 1), 50);
                   };
                   check(100);"#,
                Vec::new(),
            )
            .await;
        assert!(
            reported.as_array().is_some_and(|v| v
                .iter()
                .any(|x| x.as_str().unwrap_or("").starts_with("script-src"))),
            "{path}: the blocked inline script was not reported: {reported}"
        );
    }
    browser.close().await;
}
