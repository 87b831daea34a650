//! The highlighted matrix in a real browser: highlighted cells and the
//! legend, the one-click "observed only" toggle, and a cell leading to its
//! technique page with the incidents behind it.

use fantoccini::Locator;
use serde_json::Value;

use super::Browser;
use crate::support::{PASSWORD, TestApp, shared_atlas};

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

#[tokio::test]
async fn the_matrix_highlights_toggles_and_leads_to_techniques() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    atlasview::service::case_studies::import_release_case_studies(
        &app.store,
        &app.state.atlas.get(),
    )
    .await
    .expect("case studies");
    browser.sign_in(&app, "admin", PASSWORD).await;

    browser.open(&app, "/matrix?metric=steps").await;
    browser.wait_for(".matrix li.cell").await;
    let cells = count(
        &browser
            .js("return document.querySelectorAll('li.cell').length")
            .await,
    );
    let hot = count(
        &browser
            .js("return document.querySelectorAll('li.cell:is(.heat-1,.heat-2,.heat-3,.heat-4,.heat-5)').length")
            .await,
    );
    assert!(hot > 20 && hot < cells, "{hot} highlighted of {cells}");
    // Highlighted cells are coloured (a background other than the plain cell's).
    let colours = browser
        .js(
            "const bg = s => getComputedStyle(document.querySelector(s)).backgroundColor; \
             return [bg('li.cell.heat-1, li.cell.heat-2'), bg('li.cell:not([class*=heat-])')]",
        )
        .await;
    assert_ne!(colours[0], colours[1], "{colours}");
    // The legend: a swatch and a range per bucket, visible.
    let legend = browser
        .js("return [...document.querySelectorAll('.legend-item')].map(li => li.innerText.trim())")
        .await;
    let legend = legend.as_array().cloned().unwrap_or_default();
    assert!(!legend.is_empty(), "legend");
    assert!(
        legend[0].as_str().is_some_and(|t| t.starts_with('1')),
        "{legend:?}"
    );
    let evade = browser
        .wait_for(
            "section.tactic[data-tactic='AML.TA0007'] li.cell[data-technique='AML.T0015'] .badge",
        )
        .await;
    assert_eq!(evade.text().await.expect("badge").trim(), "6");

    // "Observed only" is one click, and every cell left has a score.
    let toggle = browser
        .find(Locator::XPath(
            "//nav[contains(@class,'toolbar')]//a[normalize-space()='Observed only']",
        ))
        .await
        .expect("observed-only link");
    toggle.click().await.expect("click observed only");
    browser.wait_for(".matrix.matrix-observed-only").await;
    assert!(
        browser.path().await.contains("observed=1"),
        "{}",
        browser.path().await
    );
    assert!(
        browser.path().await.contains("metric=steps"),
        "keeps the other options"
    );
    let left = count(
        &browser
            .js("return document.querySelectorAll('li.cell').length")
            .await,
    );
    let unscored = count(
        &browser
            .js("return [...document.querySelectorAll('li.cell')].filter(li => !li.querySelector('.badge')).length")
            .await,
    );
    assert!(left < cells, "{left} of {cells}");
    assert_eq!(unscored, 0, "every cell left is observed");

    // A cell leads to its technique page, narrowed to its tactic.
    let link = browser
        .wait_for("section.tactic[data-tactic='AML.TA0007'] li.cell[data-technique='AML.T0015'] a.cell-link")
        .await;
    let title = link.attr("title").await.expect("title").unwrap_or_default();
    assert!(title.contains("6 incidents, 6 steps"), "{title}");
    link.click().await.expect("click the cell");
    browser.wait_for("#incidents .hit").await;
    let path = browser.path().await;
    assert!(
        path.starts_with("/techniques/AML.T0015?under=AML.TA0007"),
        "{path}"
    );
    let hits = count(
        &browser
            .js("return document.querySelectorAll('#incidents .hit').length")
            .await,
    );
    assert_eq!(
        hits, 6,
        "the six case studies that evade the model under Defense Evasion"
    );
    let heading = browser
        .wait_for("#h-incidents")
        .await
        .text()
        .await
        .expect("heading");
    assert!(heading.contains("Defense Evasion"), "{heading}");
    browser.close().await;
}

/// Matrix labels break at spaces and hyphens only; a word too long for its
/// column is set smaller instead of breaking ("Reconnaissanc/e"): no label
/// is wider than its box, in the default window and in a narrow one.
#[tokio::test]
async fn matrix_labels_wrap_at_words_and_long_words_fit_their_columns() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    browser.sign_in(&app, "admin", PASSWORD).await;
    for width in [1366, 1024] {
        browser.desktop_width(width).await;
        browser.open(&app, "/matrix?subtechniques=all").await;
        browser.wait_for(".matrix li.cell").await;
        // Every label's box against its parent's: a word that does not fit
        // overflows (overflow-wrap is normal, so nothing breaks it).
        let report = browser
            .js(
                "const out = []; \
                 for (const el of document.querySelectorAll('.cell-name, .tactic-name')) { \
                   const holder = el.closest('.cell-link, .subcell a, h2, h3'); \
                   const box = holder.getBoundingClientRect(); \
                   const r = el.getBoundingClientRect(); \
                   const cs = getComputedStyle(holder); \
                   if (cs.overflowWrap !== 'normal' || cs.hyphens !== 'manual') out.push('breaks words: ' + el.textContent); \
                   if (r.right > box.right + 0.5) out.push(el.textContent + ' overflows by ' + (r.right - box.right).toFixed(1) + ' (' + el.className + ', ' + getComputedStyle(el).fontSize + ' in a ' + box.width.toFixed(1) + ' px box)'); \
                 } \
                 for (const a of document.querySelectorAll('.cell-link, .subcell a')) { \
                   if (a.scrollWidth > a.clientWidth + 0.5) out.push(a.textContent.trim() + ' overflows its cell by ' + (a.scrollWidth - a.clientWidth) + ' px'); \
                 } \
                 return out;",
            )
            .await;
        let problems = report.as_array().cloned().unwrap_or_default();
        assert!(problems.is_empty(), "at {width} px: {problems:?}");
        // The long words were shrunk, not left at full size by luck.
        let shrunk = browser
            .js(
                "const a = document.querySelector('.tactic-name.lw-14'); \
                 const h = a && a.closest('h2'); \
                 return a && h ? [parseFloat(getComputedStyle(a).fontSize), parseFloat(getComputedStyle(h).fontSize)] : null",
            )
            .await;
        assert!(shrunk.is_array(), "Reconnaissance has the lw-14 class");
    }
    browser.close().await;
}

/// The sub-technique toggle shows "N sub-techniques" where the word fits its
/// column and the count alone where it does not (the word clipped, still in
/// the page for screen readers), never a word cut in half; and no column is
/// a query container (one per column made a cold load lay the matrix out
/// once per column).
#[tokio::test]
async fn the_subtechnique_word_shows_only_where_it_fits_and_no_column_is_a_query_container() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    browser.sign_in(&app, "admin", PASSWORD).await;
    for (width, narrow) in [(1024, true), (2560, false)] {
        browser.desktop_width(width).await;
        browser.open(&app, "/matrix").await;
        browser.wait_for(".matrix .subs > summary").await;
        let report = browser
            .js(
                "let shown = 0, clipped = 0; const cut = []; \
                 for (const w of document.querySelectorAll('.subs > summary .subs-word')) { \
                   const s = w.parentElement.getBoundingClientRect(), r = w.getBoundingClientRect(); \
                   if (!/sub-technique/.test(w.textContent)) cut.push('no word: ' + w.textContent); \
                   if (r.top >= s.bottom - 0.5) clipped++; \
                   else if (r.bottom <= s.bottom + 0.5 && r.right <= s.right + 0.5) shown++; \
                   else cut.push(w.parentElement.textContent.trim()); \
                 } \
                 const containers = [...document.querySelectorAll('.matrix-scroll, .matrix-scroll *')] \
                   .filter((e) => getComputedStyle(e).containerType !== 'normal').length; \
                 return [shown, clipped, cut, containers];",
            )
            .await;
        let (shown, clipped) = (count(&report[0]), count(&report[1]));
        assert_eq!(
            report[2],
            serde_json::json!([]),
            "at {width} px, words cut: {report}"
        );
        assert_eq!(
            count(&report[3]),
            0,
            "at {width} px, query containers: {report}"
        );
        assert!(shown + clipped > 20, "at {width} px: {report}");
        if narrow {
            assert_eq!(
                shown, 0,
                "at {width} px the columns are too narrow for the word: {report}"
            );
        } else {
            assert!(shown > 0, "at {width} px some words fit: {report}");
        }
    }
    browser.close().await;
}

/// The matrix's closed filter panel is built when it first opens
/// (static/lazy.js), with the tag typeahead wired to what was built; without
/// scripts the form is there at once and filters the same.
#[tokio::test]
async fn the_filter_form_is_built_when_its_panel_opens_and_is_there_without_scripts() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    for i in 0..25 {
        let res = app
            .client
            .post(app.url("/api/v1/incidents"))
            .json(&serde_json::json!({"title": format!("Incident {i}"),
                "tags": ["common", format!("tag-{i:03}")],
                "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051"}]}))
            .send()
            .await
            .expect("create");
        assert_eq!(res.status().as_u16(), 201);
    }
    browser.sign_in(&app, "admin", PASSWORD).await;
    browser.open(&app, "/matrix").await;
    browser.wait_for(".matrix-filters > summary").await;
    let built = "return document.querySelectorAll('form.matrix-filter-form input').length";
    assert_eq!(count(&browser.js(built).await), 0, "closed: not built yet");
    browser
        .find(Locator::Css(".matrix-filters > summary"))
        .await
        .expect("summary")
        .click()
        .await
        .expect("open the filters");
    browser.wait_for("form.matrix-filter-form #mf-tag").await;
    let fields = count(&browser.js(built).await);
    assert!(fields >= 20, "{fields} fields");
    // The typeahead asks the API for what is typed.
    browser
        .find(Locator::Css("#mf-tag"))
        .await
        .expect("tag field")
        .send_keys("tag-02")
        .await
        .expect("type");
    // The five tags that start so, in place of the page's top twenty.
    let offered = browser
        .wait_until(
            "const all = [...document.querySelectorAll('#mf-tags option')].map((o) => o.value); \
             return all.length > 0 && all.every((v) => v.startsWith('tag-02')) ? all : null",
        )
        .await;
    assert_eq!(offered.as_array().map(Vec::len), Some(5), "{offered}");

    // Without scripts: the same form, at once, and it filters.
    browser
        .cdp(
            "Emulation.setScriptExecutionDisabled",
            serde_json::json!({"value": true}),
        )
        .await;
    browser.open(&app, "/matrix").await;
    let inputs = browser
        .find_all(Locator::Css("form.matrix-filter-form input"))
        .await
        .expect("inputs");
    assert_eq!(
        inputs.len() as u64,
        fields,
        "the same fields without scripts"
    );
    browser
        .find(Locator::Css(".matrix-filters > summary"))
        .await
        .expect("summary")
        .click()
        .await
        .expect("open the filters");
    browser
        .find(Locator::Css("#mf-tag"))
        .await
        .expect("tag field")
        .send_keys("tag-003")
        .await
        .expect("type");
    browser
        .find(Locator::Css(
            "form.matrix-filter-form button[type='submit']",
        ))
        .await
        .expect("submit")
        .click()
        .await
        .expect("filter");
    browser.wait_for_path("tag=tag-003").await;
    let summary = browser
        .find(Locator::Css(".matrix-summary"))
        .await
        .expect("summary line")
        .text()
        .await
        .expect("text");
    assert!(summary.contains("1 incident,"), "{summary}");
    browser.close().await;
}
