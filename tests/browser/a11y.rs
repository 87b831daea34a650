//! Accessibility and a clean console on every page of the hostile-pages list
//! (plus the error page and the sign-in page), in the light and the dark
//! theme: axe-core finds no serious or critical violation, and the browser
//! logs no error (a failed request, a CSP report, an exception).
//!
//! axe-core is the npm package, installed by `scripts/test` into
//! `target/node_modules` (or `$ATLASVIEW_AXE`, the path of `axe.min.js`).
//! Without it the test is skipped with a note, except on CI where it fails.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use fantoccini::wd::TimeoutConfiguration;

use serde_json::{Value, json};

use super::Browser;
use super::hostile::PAGES;
use crate::support::{PASSWORD, TestApp, file, shared_atlas};

/// Pages checked besides the hostile-pages list, with the status they answer.
const EXTRA: &[(&str, u16)] = &[("/no-such-page", 404), ("/incidents/new", 200)];

/// Pages checked again in a phone-sized window.
const NARROW: &[&str] = &["/matrix", "/?period=all", "/incidents/{id}"];

/// Runs axe on the page and hands back the serious and critical violations,
/// one line each (rule, impact, the first elements and why).
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then((r) => {
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  done(bad.map((v) => v.id + ' (' + v.impact + ', ' + v.nodes.length + '×): ' +
    v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' — ' +
      (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 160)).join(' | ')));
}).catch((e) => done(['axe failed: ' + String(e && e.stack || e)]));
"#;

/// The path of `axe.min.js`, or `None` (after a note) outside CI.
fn axe_script() -> Option<String> {
    let path = std::env::var_os("ATLASVIEW_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "axe-core not found at {} ({e}); scripts/test installs it",
            path.display()
        ),
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "note: skipping the axe-core check: {} ({e}); run scripts/test to install it",
                path.display()
            );
            None
        }
    }
}

/// A realistic incident: every part of every page has something to show.
async fn seed(app: &TestApp) -> (String, String) {
    let body = json!({
        "title": "Prompt injection through a support ticket",
        "summary": "An attacker hid **instructions** in a ticket; see [the write-up](https://example.com/report).",
        "target": "Support assistant",
        "actor": "Unknown",
        "reporter": "sam.soc",
        "severity": "high",
        "tags": ["prompt-injection", "support"],
        "references": [{"title": "Write-up", "url": "https://example.com/report"}],
        "steps": [
            {"tactic": "AML.TA0005", "technique": "AML.T0051",
             "description": "Instructions hidden in a ticket.", "evidence": "OF-5521 ticket body"},
            {"tactic": "AML.TA0004", "technique": "AML.T0093",
             "description": "The assistant read the ticket.", "evidence": "log line"},
        ],
    });
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&body)
        .send()
        .await
        .expect("create");
    assert_eq!(res.status().as_u16(), 201, "create the incident");
    let incident: Value = res.json().await.expect("JSON");
    let id = incident["id"].as_str().expect("id").to_string();
    let step = incident["steps"][0]["id"]
        .as_str()
        .expect("step")
        .to_string();
    (id, step)
}

/// The browser's log entries at level SEVERE since the last call.
async fn console_errors(browser: &Browser) -> Vec<String> {
    browser
        .log("browser")
        .await
        .into_iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Opens `path` and returns its axe violations and console errors.
async fn check(
    browser: &Browser,
    app: &TestApp,
    axe: &str,
    theme: &str,
    path: &str,
) -> Vec<String> {
    browser.open(app, path).await;
    let dark = browser
        .js("return matchMedia('(prefers-color-scheme: dark)').matches")
        .await;
    assert_eq!(dark, json!(theme == "dark"), "{theme} theme on {path}");
    browser.js(&format!("{axe}\n;return 1")).await;
    let found = browser.js_async(AXE_RUN, Vec::new()).await;
    let mut failures: Vec<String> = found
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| format!("{theme} {path}: {}", v.as_str().unwrap_or("?")))
        .collect();
    for e in console_errors(browser).await {
        // The error page answers 404 on purpose, and the browser says so.
        if path == "/no-such-page" && e.contains("404") {
            continue;
        }
        failures.push(format!("{theme} {path}: console: {e}"));
    }
    failures
}

#[tokio::test]
async fn every_page_passes_axe_with_a_clean_console_in_both_themes() {
    let Some(axe) = axe_script() else {
        return;
    };
    let Some(browser) = Browser::start().await else {
        return;
    };
    // axe takes a while on a big page of a busy machine.
    browser
        .update_timeouts(TimeoutConfiguration::new(
            Some(Duration::from_secs(90)),
            Some(Duration::from_secs(30)),
            Some(Duration::ZERO),
        ))
        .await
        .expect("timeouts");
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let (id, step) = seed(&app).await;
    let att = app
        .attach(
            &id,
            Some(&step),
            file("ticket.eml", "message/rfc822", b"Subject: help"),
        )
        .await;
    let att = att["id"].as_str().expect("attachment").to_string();
    let (status, task) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/tasks"),
            &serde_json::json!({"title": "Rotate the keys"}),
        )
        .await;
    assert!(status.is_success(), "task: {task}");
    let task = task["id"].as_str().expect("task").to_string();

    let mut pages: Vec<(String, u16)> = PAGES
        .iter()
        .map(|(page, _)| {
            let path = page
                .replace("{id}", &id)
                .replace("{step}", &step)
                .replace("{q}", "prompt")
                .replace("{tag}", "support")
                .replace("{obs}", "report.pdf")
                .replace("{att}", &att)
                .replace("{task}", &task);
            (path, 200)
        })
        .collect();
    pages.extend(EXTRA.iter().map(|(p, s)| (p.to_string(), *s)));
    for (path, expected) in &pages {
        let (status, _) = app.get(path).await;
        assert_eq!(status, *expected, "{path}");
    }

    browser.sign_in(&app, "admin", PASSWORD).await;
    let mut failures = Vec::new();
    for theme in ["light", "dark"] {
        browser
            .cdp(
                "Emulation.setEmulatedMedia",
                json!({"features": [{"name": "prefers-color-scheme", "value": theme}]}),
            )
            .await;
        console_errors(&browser).await;
        for (path, _) in &pages {
            failures.extend(check(&browser, &app, &axe, theme, path).await);
        }
        // The sign-in page, as an anonymous visitor sees it.
        browser.delete_all_cookies().await.expect("sign out");
        failures.extend(check(&browser, &app, &axe, theme, "/login").await);
        browser.sign_in(&app, "admin", PASSWORD).await;
        // A phone-sized window: the matrix lays out wider columns, and the
        // sub-technique toggles show their words on the heat colours.
        browser
            .cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": 412, "height": 900, "deviceScaleFactor": 1, "mobile": true}),
            )
            .await;
        for path in NARROW {
            let path = path.replace("{id}", &id);
            let found = check(&browser, &app, &axe, theme, &path).await;
            failures.extend(found.into_iter().map(|f| format!("narrow {f}")));
        }
        browser
            .cdp("Emulation.clearDeviceMetricsOverride", json!({}))
            .await;
    }
    browser.close().await;
    assert!(
        failures.is_empty(),
        "{} accessibility or console problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
