//! Light pages in the browser (issue #14): the parts of app.css a page does
//! not block on apply once it is parsed (static/styles.js), or without
//! JavaScript through their `<noscript>` links; and the first paint, on the
//! blocking parts alone, already has the final layout (nothing moves when
//! the rest arrives).

use serde_json::{Value, json};

use super::Browser;
use crate::support::{PASSWORD, TestApp};

/// The parts of app.css that apply to the screen now, sorted
/// (`["core", "grid", …]`), read through the DevTools protocol so that it
/// also works with the page's scripts switched off.
async fn applied_parts(browser: &Browser) -> Vec<String> {
    let expression = "JSON.stringify([...new Set([...document.styleSheets] \
        .filter(s => s.href && s.href.includes('/static/app-') && s.media.mediaText !== 'print' && s.cssRules.length > 0) \
        .map(s => new URL(s.href).pathname.replace('/static/app-', '').split('.')[0]))].sort())";
    let out = browser
        .cdp(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        )
        .await;
    let text = out["result"]["value"].as_str().unwrap_or("[]").to_string();
    serde_json::from_str(&text).unwrap_or_default()
}

fn every_part() -> Vec<String> {
    let mut parts: Vec<String> = atlasview::web::assets::APP_PARTS
        .iter()
        .map(|p| p.to_string())
        .collect();
    parts.sort();
    parts
}

#[tokio::test]
async fn waiting_stylesheets_apply_with_and_without_javascript() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    browser.sign_in(&app, "admin", PASSWORD).await;
    browser.open(&app, "/matrix").await;
    browser.wait_for(".matrix li.cell").await;
    assert_eq!(applied_parts(&browser).await, every_part(), "with scripts");

    browser
        .cdp(
            "Emulation.setScriptExecutionDisabled",
            json!({"value": true}),
        )
        .await;
    browser.open(&app, "/matrix").await;
    browser.wait_for(".matrix li.cell").await;
    assert_eq!(
        applied_parts(&browser).await,
        every_part(),
        "without scripts"
    );
    // The scripts did not run (the waiting links are still for print): the
    // parts came through <noscript>.
    let expression = "[...document.querySelectorAll('link[data-async]')].filter(l => l.media === 'print').length";
    let still_print = browser
        .cdp(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        )
        .await;
    assert!(
        still_print["result"]["value"].as_u64() > Some(0),
        "{still_print}"
    );
    browser.close().await;
}

/// What each element shows of itself on the first screen (1400 × 1000): its
/// box cut at the screen's bottom edge, in document order.
const FIRST_SCREEN: &str = "return [...document.body.getElementsByTagName('*')].map((el, i) => { \
      const r = el.getBoundingClientRect(); \
      const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, innerHeight); \
      return [i, el.tagName + '.' + (typeof el.className === 'string' ? el.className : ''), \
              Math.round(r.x), Math.round(top), Math.round(r.width), Math.round(bottom - top)]; \
    }).filter(b => b[5] > 0 && b[4] > 0)";

/// A light page painted with its blocking parts only (the others never
/// arrive) lays out its first screen as the page with every part does.
#[tokio::test]
async fn the_first_paint_has_the_final_layout() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let incident = app.two_step_incident("First paint").await;
    let id = incident["id"].as_str().expect("id").to_string();
    browser.sign_in(&app, "admin", PASSWORD).await;
    browser.cdp("Network.enable", json!({})).await;
    // Hashed assets are cached for a year: from the cache, a blocked URL would still load.
    browser
        .cdp("Network.setCacheDisabled", json!({"cacheDisabled": true}))
        .await;
    for path in ["/matrix", "/", "/briefing", &format!("/incidents/{id}")] {
        browser.open(&app, path).await;
        let full = browser.js(FIRST_SCREEN).await;
        let waiting = browser
            .js("return [...document.querySelectorAll('link[data-async]')].map(l => l.href)")
            .await;
        assert!(
            waiting.as_array().is_some_and(|w| !w.is_empty()),
            "{path}: nothing waits"
        );
        browser
            .cdp("Network.setBlockedURLs", json!({"urls": waiting}))
            .await;
        browser.open(&app, path).await;
        let first = browser.js(FIRST_SCREEN).await;
        browser
            .cdp("Network.setBlockedURLs", json!({"urls": []}))
            .await;
        // Either way: an element that left the first screen, or came into it.
        let boxes = |v: &Value| v.as_array().cloned().unwrap_or_default();
        let (full, first) = (boxes(&full), boxes(&first));
        let moved: Vec<&Value> = full
            .iter()
            .filter(|b| !first.contains(b))
            .chain(first.iter().filter(|b| !full.contains(b)))
            .collect();
        assert!(
            moved.is_empty(),
            "{path}: moved without the waiting parts: {moved:?}"
        );
    }
    browser.close().await;
}
