//! A first run in a real browser: the styled setup form with a working
//! username pattern and password confirmation, the guided empty dashboard,
//! the signed-in user's menu; and the dashboard on a 390 px phone (a compact
//! menu, charts that fit).

use fantoccini::Locator;
use serde_json::json;

use super::Browser;
use crate::support::{PASSWORD, TestApp};
use atlasview::web::WebConfig;

async fn fill(browser: &Browser, name: &str, value: &str) {
    let input = browser
        .find(Locator::Css(&format!(
            "form.stacked-form input[name='{name}']"
        )))
        .await
        .unwrap_or_else(|e| panic!("no {name} field: {e}"));
    input.clear().await.expect("clear");
    input.send_keys(value).await.expect("type");
}

#[tokio::test]
async fn setup_guides_the_first_administrator_to_a_guided_dashboard() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn_empty(WebConfig::default()).await;
    browser.open(&app, "/setup").await;
    browser.wait_for("form.stacked-form").await;
    // Labels sit above their fields, and the username pattern is a valid
    // regular expression the browser enforces.
    let found = browser
        .js(
            r#"const u = document.getElementById('username');
            const label = document.querySelector("label[for='username']").getBoundingClientRect();
            u.value = 'Bad Name!';
            const bad = u.validity.patternMismatch;
            u.value = 'sam.soc-2_x';
            const good = u.validity.valid;
            u.value = '';
            return {bad, good, stacked: label.bottom <= u.getBoundingClientRect().top + 1,
                    confirm: !!document.querySelector("input[name='password_confirm'][type='password']")}"#,
        )
        .await;
    assert_eq!(
        found,
        json!({"bad": true, "good": true, "stacked": true, "confirm": true})
    );
    // Two different passwords: refused, shown as an error.
    fill(&browser, "username", "admin").await;
    fill(&browser, "password", PASSWORD).await;
    fill(&browser, "password_confirm", "another-password-9876").await;
    browser
        .find(Locator::Css("form.stacked-form button[type='submit']"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    let error = browser.wait_for(".form-error-box").await;
    assert!(
        error
            .text()
            .await
            .unwrap()
            .contains("the two passwords differ"),
        "{}",
        error.text().await.unwrap()
    );
    let styled = browser
        .js("const s = getComputedStyle(document.querySelector('.form-error-box')); return s.borderLeftWidth !== '0px' && s.borderLeftStyle === 'solid'")
        .await;
    assert_eq!(styled, true);
    assert_eq!(app.store.count_users().await.unwrap(), 0);
    // The same password twice: the administrator is created and signed in.
    fill(&browser, "username", "admin").await;
    fill(&browser, "password", PASSWORD).await;
    fill(&browser, "password_confirm", PASSWORD).await;
    browser
        .find(Locator::Css("form.stacked-form button[type='submit']"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    browser.wait_for(".first-steps").await;
    assert_eq!(browser.path().await, "/");
    let steps = browser
        .js(
            r#"return [...document.querySelectorAll('.first-steps-list li')].map(li => {
              const a = li.querySelector('a.button');
              return [li.querySelector('h3').textContent, a ? a.getAttribute('href') : null];
            })"#,
        )
        .await;
    assert_eq!(
        steps,
        json!([
            ["Import the ATLAS case studies", "/admin#h-case-studies"],
            ["Record your first incident", "/incidents/new"],
            ["Connect a SIEM", "/admin/ingest"],
        ])
    );
    // The header names who is signed in; the menu holds Account, the
    // notification settings and Sign out.
    let summary = browser.wait_for(".user-menu > summary").await;
    assert!(summary.text().await.unwrap().contains("admin"));
    let hidden = browser
        .js("return document.querySelector('.user-menu-panel').checkVisibility()")
        .await;
    assert_eq!(hidden, false, "the menu starts closed");
    summary.click().await.expect("open the user menu");
    let menu = browser
        .js(r#"const p = document.querySelector('.user-menu-panel');
            return {visible: p.checkVisibility(),
                    items: [...p.querySelectorAll('.user-menu-item')].map(e => e.textContent.trim())}"#)
        .await;
    assert_eq!(
        menu,
        json!({"visible": true, "items": ["Account", "Notification settings", "Sign out"]})
    );
    browser
        .find(Locator::Css(".user-menu-panel button.session-signout"))
        .await
        .expect("sign out")
        .click()
        .await
        .expect("click");
    browser.wait_for("form[action='/login']").await;
    browser.close().await;
}

#[tokio::test]
async fn the_dashboard_fits_a_390_px_phone_with_a_compact_menu() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&json!({"title": "Prompt injection", "severity": "high",
                      "occurred_at": chrono::Utc::now().format("%Y-%m-%d").to_string(),
                      "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051", "outcome": "missed"}]}))
        .send()
        .await
        .expect("create");
    assert_eq!(res.status().as_u16(), 201);
    browser.sign_in(&app, "admin", PASSWORD).await;
    browser
        .cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
        )
        .await;
    browser.open(&app, "/").await;
    browser.wait_for(".kpis").await;
    let found = browser
        .js(r#"const header = document.querySelector('.site-header').getBoundingClientRect();
            const links = [...document.querySelectorAll('.site-nav a')].filter(a => a.checkVisibility()).length;
            const toggle = document.querySelector('.nav-menu-toggle');
            const chart = document.querySelector('.dash-chart svg');
            const labels = [...document.querySelectorAll('.dash-chart svg text')]
              .filter(t => t.checkVisibility())
              .map(t => t.getBoundingClientRect().height);
            return {
              width: window.innerWidth,
              header: Math.round(header.height),
              links,
              toggle: toggle.checkVisibility(),
              toggle_h: Math.round(toggle.getBoundingClientRect().height),
              overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
              chart_w: chart ? Math.round(chart.getBoundingClientRect().width) : 0,
              smallest_label: labels.length ? Math.min(...labels) : 0,
            }"#)
        .await;
    assert_eq!(found["width"], 390, "{found}");
    // The menu is one button: the header takes a small part of the first screen.
    assert_eq!(found["links"], 0, "{found}");
    assert_eq!(found["toggle"], true, "{found}");
    assert!(found["toggle_h"].as_u64().unwrap() >= 44, "{found}");
    assert!(found["header"].as_u64().unwrap() <= 844 / 8, "{found}");
    assert_eq!(found["overflow"], false, "no sideways scrolling: {found}");
    assert!(found["chart_w"].as_u64().unwrap() <= 390, "{found}");
    assert!(
        found["smallest_label"].as_f64().unwrap() >= 9.0,
        "chart labels readable: {found}"
    );
    // Opening the menu shows every section.
    browser
        .find(Locator::Css(".nav-menu-toggle"))
        .await
        .expect("menu")
        .click()
        .await
        .expect("open the menu");
    let shown = browser
        .js("return [...document.querySelectorAll('.site-nav a')].filter(a => a.checkVisibility()).map(a => a.textContent)")
        .await;
    assert_eq!(
        shown,
        json!([
            "Dashboard",
            "Matrix",
            "Incidents",
            "Case studies",
            "ATLAS releases",
            "Admin"
        ])
    );
    browser.close().await;
}
