//! Light pages in the browser (issue #14): the one stylesheet of a page
//! applies as its separate files did, with scripts or without: app.css and
//! the page's own files on screen, print.css to print only.

use serde_json::{Value, json};

use super::Browser;
use crate::support::{PASSWORD, TestApp};

/// The computed styles that show which files applied: app.css lays the
/// matrix out as a grid, layout.css the header as flex, print.css sets the
/// root at 10pt and hides the header.
const PROBE: &str = "const m = document.querySelector('.matrix'); \
    const h = document.querySelector('.site-header'); \
    return [getComputedStyle(m).display, getComputedStyle(document.documentElement).fontSize, \
            getComputedStyle(h).display];";

async fn probe(browser: &Browser, app: &TestApp, media: &str) -> Value {
    browser
        .cdp("Emulation.setEmulatedMedia", json!({"media": media}))
        .await;
    browser.open(app, "/matrix").await;
    browser.wait_for(".matrix li.cell").await;
    browser.js(PROBE).await
}

#[tokio::test]
async fn the_page_stylesheet_applies_print_rules_to_print_only() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    browser.sign_in(&app, "admin", PASSWORD).await;
    for scripts in [true, false] {
        browser
            .cdp(
                "Emulation.setScriptExecutionDisabled",
                json!({"value": !scripts}),
            )
            .await;
        let screen = probe(&browser, &app, "screen").await;
        assert_eq!(screen[0], "grid", "app.css (scripts {scripts}): {screen}");
        assert_eq!(screen[1], "16px", "no print rule on screen: {screen}");
        assert_ne!(screen[2], "none", "header on screen: {screen}");
        let print = probe(&browser, &app, "print").await;
        assert_eq!(
            print[1], "13.3333px",
            "print.css (scripts {scripts}): {print}"
        );
        assert_eq!(print[2], "none", "no header in print: {print}");
    }
    browser
        .cdp("Emulation.setEmulatedMedia", json!({"media": ""}))
        .await;
    browser.close().await;
}
