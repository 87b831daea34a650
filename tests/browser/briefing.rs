//! The reporting pages in a real browser: the dashboard renders its data
//! under the CSP, the executive briefing prints to exactly one page on A4
//! and on US Letter (from the browser and from the server's PDF download),
//! and the retrospective's mitigation checklist saves.

use base64::Engine;
use fantoccini::Locator;
use serde_json::{Value, json};

use super::Browser;
use crate::support::{PASSWORD, TestApp, shared_atlas};

/// Records CSP violations into `window.__cspViolations` (see `csp.rs`).
const VIOLATION_RECORDER: &str = r#"
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline'));
});
"#;

async fn create(app: &TestApp, body: Value) -> String {
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&body)
        .send()
        .await
        .expect("create");
    let status = res.status().as_u16();
    let value: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 201, "{value}");
    value["id"].as_str().expect("id").to_string()
}

fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// A worst case for one page: the ATLAS case studies (the largest has over
/// 18 steps) plus critical incidents with the longest titles allowed and a
/// long zig-zag path, all in the period.
async fn crowded(app: &TestApp) {
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let res = app
        .client
        .post(app.url("/api/v1/case-studies/import"))
        .json(&json!({}))
        .send()
        .await
        .expect("import case studies");
    assert_eq!(res.status().as_u16(), 200);
    let zigzag: Vec<Value> = (0..40)
        .map(|i| {
            let (tactic, technique) = match i % 4 {
                0 => ("AML.TA0002", "AML.T0000"),
                1 => ("AML.TA0004", "AML.T0052"),
                2 => ("AML.TA0005", "AML.T0051"),
                _ => ("AML.TA0011", "AML.T0048"),
            };
            let outcome = ["missed", "detected", "prevented", "unknown"][i % 4];
            json!({"tactic": tactic, "technique": technique, "outcome": outcome})
        })
        .collect();
    for n in 0..4 {
        let title = format!(
            "Incident {n}: {}",
            "a very long title that goes on and on about the model and the data and the people involved "
                .repeat(3)
        );
        let title: String = title.chars().take(200).collect();
        create(
            app,
            json!({
                "title": title,
                "severity": "critical",
                "status": "open",
                "occurred_at": days_ago(n + 1),
                "steps": zigzag,
            }),
        )
        .await;
    }
}

/// Pages and page size (points) of a PDF: `pdfinfo` when installed, else
/// the document's own page objects.
fn pdf_pages(bytes: &[u8]) -> (usize, Option<(f64, f64)>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, bytes).expect("write PDF");
    if let Ok(out) = std::process::Command::new("pdfinfo").arg(&file).output()
        && out.status.success()
    {
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let pages = text
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("pdfinfo names the pages");
        let size = text.lines().find_map(|l| {
            let v = l.strip_prefix("Page size:")?;
            let mut it = v.split_whitespace();
            let w: f64 = it.next()?.parse().ok()?;
            it.next()?;
            let h: f64 = it.next()?.parse().ok()?;
            Some((w, h))
        });
        return (pages, size);
    }
    page_objects(bytes)
}

/// Counts `/Type /Page` objects (not `/Pages`) in an uncompressed object table.
fn page_objects(bytes: &[u8]) -> (usize, Option<(f64, f64)>) {
    let text = String::from_utf8_lossy(bytes);
    let compact = text.replace("/Type /Page", "/Type/Page");
    let pages = compact
        .match_indices("/Type/Page")
        .filter(|(i, _)| !compact[i + 10..].starts_with('s'))
        .count();
    (pages, None)
}

fn assert_one_page(what: &str, bytes: &[u8], expected: Option<(f64, f64)>) {
    assert!(bytes.starts_with(b"%PDF-"), "{what}: not a PDF");
    let (pages, size) = pdf_pages(bytes);
    assert_eq!(pages, 1, "{what}: {pages} pages");
    if let (Some(want), Some(got)) = (expected, size) {
        assert!(
            (want.0 - got.0).abs() < 2.0 && (want.1 - got.1).abs() < 2.0,
            "{what}: page size {got:?}, expected {want:?}"
        );
    }
}

const A4: (f64, f64) = (595.0, 842.0);
const LETTER: (f64, f64) = (612.0, 792.0);

#[tokio::test]
async fn the_dashboard_renders_its_data_under_the_csp() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    create(
        &app,
        json!({
            "title": "Support chatbot leaked customer records",
            "severity": "critical", "status": "open", "occurred_at": days_ago(3),
            "steps": [
                {"tactic": "AML.TA0000", "technique": "AML.T0040", "outcome": "missed"},
                {"tactic": "AML.TA0005", "technique": "AML.T0051.000", "outcome": "detected"},
                {"tactic": "AML.TA0010", "technique": "AML.T0057", "outcome": "missed"},
            ],
        }),
    )
    .await;
    create(
        &app,
        json!({
            "title": "Prompt injection through a shared document",
            "severity": "high", "status": "contained", "occurred_at": days_ago(12),
            "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051.001", "outcome": "prevented"}],
        }),
    )
    .await;
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": VIOLATION_RECORDER}),
        )
        .await;
    browser.sign_in(&app, "admin", PASSWORD).await;
    browser.open(&app, "/?refresh=60").await;
    browser.wait_for(".kpi-value").await;
    let found = browser
        .js(
            r#"return {
              kpis: [...document.querySelectorAll('.kpi-value')].map((e) => e.textContent.trim()),
              open: [...document.querySelectorAll('.sev-value')].map((e) => e.textContent.trim()),
              bars: document.querySelectorAll('.bar-chart .chart-bar rect').length,
              hot: [...document.querySelectorAll('.mini-matrix .mm-count')].map((e) => e.textContent),
              top: document.querySelector('#h-techniques + .ranked a').textContent,
              latest: [...document.querySelectorAll('.latest-table tbody tr')].length,
              tiles: getComputedStyle(document.querySelector('.sev-tiles')).display,
              chart_width: document.querySelector('.bar-chart').getBoundingClientRect().width,
              refresh: document.querySelector('meta[http-equiv="refresh"]').content,
              nav: document.querySelector('.site-nav a[aria-current="page"]').textContent,
              violations: window.__cspViolations || null,
            }"#,
        )
        .await;
    assert_eq!(found["kpis"][0], "2", "{found}");
    assert_eq!(found["open"], json!(["1", "1", "0", "0"]), "{found}");
    assert!(found["bars"].as_u64().unwrap() >= 2, "{found}");
    assert!(
        found["hot"].as_array().unwrap().contains(&json!("2")),
        "{found}"
    );
    assert_eq!(found["top"], "LLM Prompt Injection");
    assert_eq!(found["latest"], 2);
    assert_eq!(found["tiles"], "grid", "dashboard.css/reports.css applied");
    assert!(found["chart_width"].as_f64().unwrap() > 400.0, "{found}");
    assert_eq!(found["refresh"], "60");
    assert_eq!(found["nav"], "Dashboard");
    assert_eq!(found["violations"], json!([]), "CSP violations");
    // The dark theme follows the browser's preference.
    browser
        .cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
        )
        .await;
    let dark = browser
        .js("return getComputedStyle(document.querySelector('.kpi')).backgroundColor")
        .await;
    assert_eq!(dark, "rgb(20, 26, 34)", "the dark surface colour");
    browser.close().await;
}

#[tokio::test]
async fn the_briefing_prints_on_exactly_one_page_on_a4_and_letter() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    crowded(&app).await;
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": VIOLATION_RECORDER}),
        )
        .await;
    browser.sign_in(&app, "admin", PASSWORD).await;

    // Printed from the browser (print stylesheet, CSS page size).
    for (query, size) in [
        ("paper=a4", Some(A4)),
        ("paper=letter", Some(LETTER)),
        ("", None),
    ] {
        let path = format!("/briefing?period=all&case_studies=1&{query}");
        browser.open(&app, &path).await;
        browser.wait_for(".briefing-sheet").await;
        let found = browser
            .js(r#"return {
                  serious: document.querySelectorAll('.b-serious-list li').length,
                  techniques: document.querySelectorAll('.b-table tbody tr').length,
                  stages: document.querySelectorAll('.b-path > li').length,
                  violations: window.__cspViolations || null,
                }"#)
            .await;
        assert_eq!(found["serious"], 3, "{path}: {found}");
        assert_eq!(found["techniques"], 5, "{path}: {found}");
        assert!(found["stages"].as_u64().unwrap() >= 3, "{path}: {found}");
        assert_eq!(found["violations"], json!([]), "{path}: CSP violations");
        let mut params = json!({"preferCSSPageSize": true, "printBackground": true});
        if size.is_none() {
            // No paper chosen: the browser's own paper, here A4 and Letter in turn.
            for (w, h) in [(8.27, 11.69), (8.5, 11.0)] {
                params["paperWidth"] = json!(w);
                params["paperHeight"] = json!(h);
                let printed = browser.cdp("Page.printToPDF", params.clone()).await;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(printed["data"].as_str().expect("PDF data"))
                    .expect("base64");
                assert_one_page(&format!("{path} on {w}×{h} in"), &bytes, None);
            }
            continue;
        }
        let printed = browser.cdp("Page.printToPDF", params).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(printed["data"].as_str().expect("PDF data"))
            .expect("base64");
        assert_one_page(&path, &bytes, size);
        // The navigation and the toolbar do not print.
        browser
            .cdp("Emulation.setEmulatedMedia", json!({"media": "print"}))
            .await;
        let hidden = browser
            .js(
                r#"return [...document.querySelectorAll('.site-header, .briefing-toolbar, .site-footer')]
                  .every((e) => getComputedStyle(e).display === 'none')"#,
            )
            .await;
        assert_eq!(hidden, true, "{path}: chrome printed");
        // The sheet clips at the page's edge as a last resort; even this
        // crowded page needs no clipping: the footer is inside the sheet.
        let fits = browser
            .js(
                r#"const sheet = document.querySelector('.briefing-sheet').getBoundingClientRect();
                const foot = document.querySelector('.b-foot').getBoundingClientRect();
                return foot.bottom <= sheet.bottom + 1 && foot.height > 0"#,
            )
            .await;
        assert_eq!(
            fits, true,
            "{path}: content clipped at the bottom of the page"
        );
        browser
            .cdp("Emulation.setEmulatedMedia", json!({"media": ""}))
            .await;
    }

    // Downloaded: printed on the server by headless Chromium.
    for (paper, size) in [("a4", A4), ("letter", LETTER)] {
        let res = app
            .client
            .get(app.url(&format!(
                "/briefing.pdf?period=all&case_studies=1&paper={paper}"
            )))
            .send()
            .await
            .expect("PDF");
        assert_eq!(res.status().as_u16(), 200, "briefing.pdf {paper}");
        assert_eq!(res.headers()["content-type"], "application/pdf");
        let bytes = res.bytes().await.expect("body");
        assert_one_page(&format!("/briefing.pdf?paper={paper}"), &bytes, Some(size));
    }
    browser.close().await;
}

#[tokio::test]
async fn the_retrospective_checklist_saves_and_keeps_unreviewed_mitigations_unreviewed() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let id = create(
        &app,
        json!({
            "title": "Support chatbot leaked customer records",
            "severity": "critical",
            "steps": [
                {"tactic": "AML.TA0000", "technique": "AML.T0040", "outcome": "missed"},
                {"tactic": "AML.TA0010", "technique": "AML.T0057", "outcome": "missed"},
            ],
        }),
    )
    .await;
    browser.sign_in(&app, "admin", PASSWORD).await;
    let page = format!("/incidents/{id}/retrospective");
    browser.open(&app, &page).await;
    let form = browser.wait_for("form.r-checklist-form").await;
    // Mark "Control Access to AI Models and Data in Production" in place and note why.
    let row = form
        .find(Locator::Css(
            "input[name='state-AML.M0019'][value='in_place']",
        ))
        .await
        .expect("M0019 is on the checklist");
    assert_eq!(row.prop("checked").await.unwrap().as_deref(), Some("false"));
    row.click().await.expect("choose in place");
    let note = form
        .find(Locator::Css("input[name='note-AML.M0019']"))
        .await
        .expect("note field");
    note.send_keys("API keys per client since March")
        .await
        .expect("type a note");
    form.find(Locator::Css("button[type='submit']"))
        .await
        .expect("save button")
        .click()
        .await
        .expect("save");
    let notice = browser.wait_for(".r-saved").await;
    assert_eq!(
        notice.text().await.unwrap(),
        "The mitigation checklist was saved."
    );
    assert!(
        browser
            .path()
            .await
            .starts_with(&format!("{page}?saved=checklist"))
    );
    // Reloaded: the choice, the note and the saved state are there, and
    // every mitigation nobody marked is still "not reviewed".
    browser.open(&app, &page).await;
    browser.wait_for("form.r-checklist-form").await;
    let found = browser
        .js(
            r#"const row = document.querySelector("input[name='state-AML.M0019']").closest('tr');
            const rows = [...document.querySelectorAll('tr.r-check')];
            const head = document.querySelector('.r-matrix .tactic-head');
            const name = head.querySelector('h3 a');
            return {
              chosen: row.querySelector("input[type='radio']:checked").value,
              note: row.querySelector("input[type='text']").value,
              state: row.querySelector('.r-state').textContent.replace(/\s+/g, ' ').trim(),
              rows: rows.length,
              unreviewed: rows.filter(r => r.querySelector("input[value='unreviewed']").checked
                && r.querySelector('.r-state').textContent.includes('Not reviewed yet')).length,
              not_in_place: document.querySelectorAll("input[value='not_in_place']:checked").length,
              summary: document.querySelector('.r-checklist .r-note').textContent,
              head_ink: getComputedStyle(head).color,
              name_ink: getComputedStyle(name).color,
            }"#,
        )
        .await;
    assert_eq!(found["chosen"], "in_place", "{found}");
    assert_eq!(found["note"], "API keys per client since March");
    assert!(
        found["state"]
            .as_str()
            .unwrap()
            .starts_with("✓ In place admin"),
        "{found}"
    );
    let rows = found["rows"].as_u64().unwrap();
    assert!(rows >= 3, "{found}");
    assert_eq!(found["unreviewed"].as_u64().unwrap(), rows - 1, "{found}");
    assert_eq!(found["not_in_place"], 0, "{found}");
    assert!(
        found["summary"].as_str().unwrap().contains(&format!(
            "1 in place, 0 not in place, {} not reviewed yet",
            rows - 1
        )),
        "{found}"
    );
    // The small matrix's tactic names are in the header's own ink (light on navy).
    assert_eq!(found["name_ink"], found["head_ink"], "{found}");
    let stored = app.store.retrospective(&id).await.expect("stored");
    assert_eq!(
        stored.check("AML.M0019").expect("row").state,
        atlasview::domain::CheckState::InPlace
    );
    assert_eq!(stored.checklist.len(), 1, "{:?}", stored.checklist);
    // The notes save through their form too.
    browser
        .find(Locator::Css("details.r-edit summary"))
        .await
        .expect("notes editor")
        .click()
        .await
        .expect("open the editor");
    let went_well = browser.wait_for("textarea#f-went_well").await;
    went_well
        .send_keys("The **API gateway** logged every call.")
        .await
        .expect("type");
    browser
        .find(Locator::Css("form.r-notes-form button[type='submit']"))
        .await
        .expect("save notes")
        .click()
        .await
        .expect("save");
    browser.wait_for(".r-saved").await;
    let strong = browser.wait_for(".r-note-section .prose strong").await;
    assert_eq!(strong.text().await.unwrap(), "API gateway");
    browser.close().await;
}
