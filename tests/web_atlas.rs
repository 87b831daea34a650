//! Knowledge-base pages over HTTP: the matrix, technique / tactic / mitigation /
//! case-study pages, the release list, 404s, and that release text reaches the
//! browser only sanitized.

use std::collections::HashSet;

use atlasview::atlas::parse_release;
use scraper::{ElementRef, Html, Selector};

use crate::support::{TestApp, shared_atlas};

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|e| panic!("bad selector {s}: {e:?}"))
}

fn html(body: &str) -> Html {
    Html::parse_document(body)
}

fn count(doc: &Html, s: &str) -> usize {
    doc.select(&sel(s)).count()
}

fn text(el: ElementRef<'_>) -> String {
    el.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn first_text(doc: &Html, s: &str) -> String {
    doc.select(&sel(s))
        .next()
        .map(text)
        .unwrap_or_else(|| panic!("no element matches {s}"))
}

/// The shared layout is there: header, main navigation, main, footer.
fn assert_layout(doc: &Html, path: &str) {
    assert_eq!(
        count(doc, "header.site-header nav.site-nav a[href='/matrix']"),
        1,
        "{path}: main nav"
    );
    assert_eq!(
        count(doc, "nav.site-nav a[href='/atlas/releases']"),
        1,
        "{path}: releases nav"
    );
    assert_eq!(count(doc, "main#main"), 1, "{path}: main");
    assert_eq!(count(doc, "footer.site-footer"), 1, "{path}: footer");
    // One stylesheet, app.css first in it (tests/light_pages.rs).
    let first = doc
        .select(&sel("head link[rel='stylesheet']"))
        .next()
        .and_then(|l| l.value().attr("href"))
        .unwrap_or_default();
    assert!(
        first.starts_with("/static/page.") || first.starts_with("/static/page-"),
        "{path}: stylesheet {first:?}"
    );
}

/// No inline script (only our own deferred files, progressive enhancement),
/// no inline style, no event handler, no script URL anywhere in the page.
fn assert_inert(_body: &str, doc: &Html, path: &str) {
    for script in doc.select(&sel("script")) {
        let src = script.value().attr("src").unwrap_or_default();
        assert!(src.starts_with("/static/"), "{path}: script {src:?}");
        assert!(
            script.value().attr("defer").is_some(),
            "{path}: {src} defer"
        );
        assert_eq!(
            script.text().collect::<String>().trim(),
            "",
            "{path}: inline script"
        );
    }
    assert_eq!(count(doc, "[style]"), 0, "{path}: inline style attribute");
    assert_eq!(count(doc, "style"), 0, "{path}: style element");
    for el in doc.select(&sel("*")) {
        for (name, value) in el.value().attrs() {
            assert!(
                !name.to_ascii_lowercase().starts_with("on"),
                "{path}: event handler {name}={value:?}"
            );
            if matches!(name, "href" | "src" | "action" | "formaction") {
                let v = value.trim().to_ascii_lowercase();
                assert!(
                    !v.starts_with("javascript:")
                        && !v.starts_with("data:")
                        && !v.starts_with("vbscript:"),
                    "{path}: dangerous URL {name}={value:?}"
                );
            }
        }
    }
}

// ------------------------------------------------------------------ matrix

#[tokio::test]
async fn fresh_install_matrix_has_every_tactic_in_order_and_every_technique() {
    let app = TestApp::spawn().await;
    let atlas = app.state.atlas.get();
    let (body, doc) = app.page("/matrix").await;
    assert_layout(&doc, "/matrix");
    assert_inert(&body, &doc, "/matrix");

    // 16 columns, in ATLAS matrix order (not ID order).
    let columns: Vec<ElementRef> = doc.select(&sel("section.tactic")).collect();
    assert_eq!(columns.len(), 16);
    let order: Vec<&str> = columns
        .iter()
        .map(|c| c.value().attr("data-tactic").unwrap_or(""))
        .collect();
    let expected: Vec<&str> = atlas.tactics().iter().map(|t| t.id.as_str()).collect();
    assert_eq!(order, expected);
    assert_eq!(order[0], "AML.TA0002");
    assert_eq!(order[15], "AML.TA0011");
    let h2 = sel("h2");
    assert_eq!(
        columns[0].select(&h2).next().map(text).as_deref(),
        Some("Reconnaissance")
    );
    assert_eq!(
        columns[15].select(&h2).next().map(text).as_deref(),
        Some("Impact")
    );

    // Each column: its tactic ID, a count that matches its cells and the release.
    let cell = sel("li.cell");
    for column in &columns {
        let tactic = column.value().attr("data-tactic").unwrap_or("");
        let head = column
            .select(&sel(".tactic-head"))
            .next()
            .map(text)
            .unwrap_or_default();
        let cells = column.select(&cell).count();
        let in_release = atlas.techniques_for_tactic(tactic).count();
        assert_eq!(cells, in_release, "{tactic}: cells");
        assert!(cells > 0, "{tactic}: empty column");
        assert!(
            head.contains(tactic),
            "{tactic}: header shows the ID: {head}"
        );
        let plural = if cells == 1 { "" } else { "s" };
        assert!(
            head.contains(&format!("{cells} technique{plural}")),
            "{tactic}: header count: {head}"
        );
        // Top-level cells link to their technique page.
        for c in column.select(&cell) {
            let id = c.value().attr("data-technique").unwrap_or("");
            let link = c.select(&sel("a.cell-link")).next().expect("cell link");
            assert_eq!(
                link.value().attr("href"),
                Some(format!("/techniques/{id}").as_str())
            );
        }
    }

    // Every technique and sub-technique of the active release is linked.
    let hrefs: HashSet<&str> = doc
        .select(&sel(".matrix a[href]"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    for t in &atlas.release.techniques {
        assert!(
            hrefs.contains(format!("/techniques/{}", t.id).as_str()),
            "{} missing from the matrix",
            t.id
        );
    }

    // Collapsed by default, yet expandable without JavaScript.
    assert!(count(&doc, "details.subs") > 10);
    assert_eq!(count(&doc, "details.subs[open]"), 0);
    assert_eq!(
        count(&doc, "details.subs > summary"),
        count(&doc, "details.subs")
    );
    // IDs hidden by default.
    assert_eq!(count(&doc, ".cell-link .id"), 0);

    // Which release, and how to get the full one.
    let facts = first_text(&doc, ".release-facts");
    assert!(
        facts.contains("5.6.0") && facts.contains("embedded catalog"),
        "{facts}"
    );
    let notice = first_text(&doc, ".notice");
    assert!(notice.contains("atlasview atlas sync"), "{notice}");
    assert!(notice.contains("atlasview atlas import <file>"), "{notice}");
}

#[tokio::test]
async fn matrix_expands_subtechniques_and_shows_ids_on_request() {
    let app = TestApp::spawn().await;
    let atlas = app.state.atlas.get();

    let (_, all) = app.page("/matrix?subtechniques=all").await;
    let lists = count(&all, "details.subs");
    assert!(lists > 10);
    assert_eq!(count(&all, "details.subs[open]"), lists, "every list open");
    let shown: HashSet<String> = all
        .select(&sel("details.subs[open] li.subcell"))
        .filter_map(|li| li.value().attr("data-technique").map(str::to_string))
        .collect();
    for t in atlas
        .release
        .techniques
        .iter()
        .filter(|t| t.parent.is_some())
    {
        assert!(
            shown.contains(&t.id),
            "sub-technique {} not shown expanded",
            t.id
        );
    }
    // The sub-technique shows its own name; the tooltip has "Parent: Child".
    let first_sub = atlas
        .release
        .techniques
        .iter()
        .find(|t| t.parent.is_some())
        .expect("a sub-technique");
    let li = all
        .select(&sel(&format!(
            "li.subcell[data-technique='{}'] a",
            first_sub.id
        )))
        .next()
        .expect("sub-technique link");
    // The name is the link's text (wrapped in .cell-name only when a long
    // word is set smaller).
    assert_eq!(li.text().collect::<String>().trim(), first_sub.name);
    assert_eq!(
        li.value().attr("title"),
        Some(format!("{} · {}", atlas.display_name(first_sub), first_sub.id).as_str())
    );

    // One parent expanded through ?expand=.
    let (_, one) = app.page("/matrix?expand=AML.T0051").await;
    let open: Vec<&str> = one
        .select(&sel("li.cell:has(> details.subs[open])"))
        .filter_map(|li| li.value().attr("data-technique"))
        .collect();
    assert!(!open.is_empty());
    assert!(open.iter().all(|id| *id == "AML.T0051"), "{open:?}");

    // IDs on.
    let (_, ids) = app.page("/matrix?ids=1").await;
    let cell_ids: Vec<String> = ids.select(&sel(".cell-link .id")).map(text).collect();
    assert_eq!(cell_ids.len(), count(&ids, "li.cell"));
    assert!(cell_ids.iter().any(|id| id == "AML.T0000"));
    // The toggles keep the other option.
    assert_eq!(
        count(&ids, ".toolbar a[href='/matrix?subtechniques=all&ids=1']"),
        1
    );

    // A bad option is a 400 page in the layout, not a bare rejection.
    for bad in [
        "/matrix?subtechniques=sideways",
        "/matrix?ids=perhaps",
        "/matrix?expand=AML.TA0002",
    ] {
        let (status, body) = app.get(bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_layout(&html(&body), bad);
    }
}

#[tokio::test]
async fn a_multi_tactic_technique_is_in_each_of_its_columns() {
    let app = TestApp::spawn().await;
    let atlas = app.state.atlas.get();
    let (_, doc) = app.page("/matrix").await;
    let multi: Vec<_> = atlas
        .release
        .techniques
        .iter()
        .filter(|t| t.parent.is_none() && t.tactics.len() > 1)
        .collect();
    assert!(
        !multi.is_empty(),
        "ATLAS 5.6.0 has techniques serving several tactics"
    );
    for t in multi {
        for tactic in &t.tactics {
            let s = format!(
                "section.tactic[data-tactic='{tactic}'] li.cell[data-technique='{}']",
                t.id
            );
            assert_eq!(count(&doc, &s), 1, "{} in column {tactic}", t.id);
        }
        let everywhere = count(&doc, &format!("li.cell[data-technique='{}']", t.id));
        assert_eq!(
            everywhere,
            t.tactics.len(),
            "{} only in its own columns",
            t.id
        );
    }
}

// ------------------------------------------------------- object pages

#[tokio::test]
async fn technique_tactic_mitigation_and_study_pages_after_a_full_import() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let atlas = app.state.atlas.get();
    assert!(atlas.info.has_descriptions);

    // Technique.
    let (body, doc) = app.page("/techniques/AML.T0051").await;
    assert_layout(&doc, "technique");
    assert_inert(&body, &doc, "technique");
    assert_eq!(first_text(&doc, "h1"), "LLM Prompt Injection");
    let t = atlas.technique("AML.T0051").expect("T0051");
    for tactic in &t.tactics {
        assert_eq!(
            count(&doc, &format!(".object-facts a[href='/tactics/{tactic}']")),
            1,
            "tactic {tactic}"
        );
    }
    for sub in atlas.subtechniques("AML.T0051") {
        assert_eq!(
            count(
                &doc,
                &format!("#h-subs + ul a[href='/techniques/{}']", sub.id)
            ),
            1,
            "sub {}",
            sub.id
        );
    }
    let mitigations: Vec<_> = atlas.mitigations_for("AML.T0051").collect();
    assert!(!mitigations.is_empty());
    for m in &mitigations {
        assert_eq!(
            count(
                &doc,
                &format!(".entry-title a[href='/mitigations/{}']", m.id)
            ),
            1,
            "mitigation {}",
            m.id
        );
    }
    // Usage text of each mitigation, rendered.
    assert_eq!(count(&doc, ".entry .prose"), mitigations.len());
    // The description is rendered Markdown: paragraphs and ATLAS links kept relative.
    assert!(count(&doc, "#h-description + .prose p") >= 2);
    assert_eq!(
        count(
            &doc,
            "#h-description + .prose a[href='/techniques/AML.T0051.000']"
        ),
        1
    );
    assert!(first_text(&doc, ".chips").contains("Maturity: realized"));
    assert!(
        count(&doc, "#h-studies + ul li") > 0,
        "case studies that use it"
    );

    // ATT&CK reference as a link.
    let (_, t0000) = app.page("/techniques/AML.T0000").await;
    assert_eq!(
        count(
            &t0000,
            "a[href='https://attack.mitre.org/techniques/T1596/']"
        ),
        1
    );

    // Sub-technique: display name and parent.
    let (_, sub) = app.page("/techniques/AML.T0051.001").await;
    assert_eq!(first_text(&sub, "h1"), "LLM Prompt Injection: Indirect");
    assert!(count(&sub, ".object-facts a[href='/techniques/AML.T0051']") >= 1);
    assert!(first_text(&sub, ".eyebrow").starts_with("Sub-technique"));

    // Tactic.
    let (body, tactic) = app.page("/tactics/AML.TA0002").await;
    assert_inert(&body, &tactic, "tactic");
    assert_eq!(first_text(&tactic, "h1"), "Reconnaissance");
    assert!(first_text(&tactic, ".eyebrow").contains("1 of 16"));
    assert!(count(&tactic, "#h-description + .prose p") >= 1);
    for t in atlas.techniques_for_tactic("AML.TA0002") {
        assert_eq!(
            count(
                &tactic,
                &format!(".tree > li > a[href='/techniques/{}']", t.id)
            ),
            1,
            "{}",
            t.id
        );
        for s in atlas.subtechniques(&t.id) {
            assert_eq!(
                count(&tactic, &format!(".tree ul a[href='/techniques/{}']", s.id)),
                1,
                "{}",
                s.id
            );
        }
    }
    assert_eq!(
        count(
            &tactic,
            "a[href='https://attack.mitre.org/tactics/TA0043/']"
        ),
        2,
        "chip and facts"
    );
    assert_eq!(
        count(&tactic, ".pager a[href='/tactics/AML.TA0003']"),
        1,
        "next tactic"
    );

    // Mitigation.
    let m = atlas.mitigation("AML.M0000").expect("M0000");
    let (body, mitigation) = app.page("/mitigations/AML.M0000").await;
    assert_inert(&body, &mitigation, "mitigation");
    assert_eq!(first_text(&mitigation, "h1"), m.name);
    assert_eq!(
        count(&mitigation, ".data-table tbody tr"),
        m.techniques.len()
    );
    for u in &m.techniques {
        assert!(
            count(
                &mitigation,
                &format!("tbody th a[href='/techniques/{}']", u.technique)
            ) >= 1,
            "{}",
            u.technique
        );
    }
    assert_eq!(
        count(&mitigation, "tbody td .prose"),
        m.techniques.iter().filter(|u| u.usage.is_some()).count()
    );

    // Case study.
    let cs = atlas
        .release
        .case_studies
        .iter()
        .find(|c| c.id == "AML.CS0000")
        .expect("CS0000");
    let (body, study) = app.page("/studies/AML.CS0000").await;
    assert_inert(&body, &study, "study");
    assert_eq!(first_text(&study, "h1"), cs.name);
    assert_eq!(count(&study, "ol.procedure > li"), cs.procedure.len());
    for step in &cs.procedure {
        assert!(
            count(
                &study,
                &format!("ol.procedure a[href='/techniques/{}']", step.technique)
            ) >= 1
        );
        assert!(
            count(
                &study,
                &format!("ol.procedure a[href='/tactics/{}']", step.tactic)
            ) >= 1
        );
    }
    assert_eq!(
        count(
            &study,
            "ol.references a[href='https://arxiv.org/abs/1802.03162']"
        ),
        1
    );
    assert!(
        first_text(&study, ".facts").contains("2020"),
        "year granularity"
    );

    // Case study list.
    let (_, studies) = app.page("/studies").await;
    assert_eq!(
        count(&studies, "tbody tr"),
        atlas.release.case_studies.len()
    );

    // Releases.
    let (_, releases) = app.page("/atlas/releases").await;
    let row = first_text(&releases, "tr.is-active");
    assert!(
        row.contains("5.6.0") && row.contains("active") && row.contains("170"),
        "{row}"
    );
    assert!(first_text(&releases, ".how-to").contains("atlasview atlas import <file>"));

    // With descriptions, the matrix drops the facts-only notice.
    let (_, matrix) = app.page("/matrix").await;
    assert_eq!(count(&matrix, ".notice"), 0);
}

#[tokio::test]
async fn fresh_install_pages_say_where_descriptions_come_from() {
    let app = TestApp::spawn().await;
    let (_, doc) = app.page("/techniques/AML.T0051").await;
    assert_eq!(first_text(&doc, "h1"), "LLM Prompt Injection");
    assert!(first_text(&doc, "#h-description + .muted-note").contains("atlasview atlas sync"));
    let (_, studies) = app.page("/studies").await;
    assert!(first_text(&studies, ".notice").contains("atlasview atlas import <file>"));
    let (_, releases) = app.page("/atlas/releases").await;
    let row = first_text(&releases, "tr.is-active");
    assert!(
        row.contains("embedded catalog") && row.contains("catalog"),
        "{row}"
    );
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_pages_in_the_layout() {
    let app = TestApp::spawn().await;
    for path in [
        "/techniques/AML.T9999",
        "/techniques/AML.T0051.999",
        "/techniques/not-an-id",
        "/techniques/AML.T0051%20",
        "/techniques/aml.t0051",
        "/techniques/AML.TA0002",
        "/tactics/AML.TA9999",
        "/tactics/AML.T0051",
        "/mitigations/AML.M9999",
        "/mitigations/AML.T0051",
        "/studies/AML.CS9999",
        "/studies/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/no/such/page",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 404, "{path}");
        let doc = html(&body);
        assert_layout(&doc, path);
        assert_inert(&body, &doc, path);
        assert_eq!(count(&doc, ".error-page h1"), 1, "{path}: error page");
    }
}

// --------------------------------------------------------------- safety

#[tokio::test]
async fn every_description_renders_without_script() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let atlas = app.state.atlas.get();
    let mut paths: Vec<String> = Vec::new();
    paths.extend(
        atlas
            .release
            .techniques
            .iter()
            .map(|t| format!("/techniques/{}", t.id)),
    );
    paths.extend(
        atlas
            .release
            .tactics
            .iter()
            .map(|t| format!("/tactics/{}", t.id)),
    );
    paths.extend(
        atlas
            .release
            .mitigations
            .iter()
            .map(|m| format!("/mitigations/{}", m.id)),
    );
    paths.extend(
        atlas
            .release
            .case_studies
            .iter()
            .map(|c| format!("/studies/{}", c.id)),
    );
    for path in &paths {
        let (body, doc) = app.page(path).await;
        assert_inert(&body, &doc, path);
    }
}

#[tokio::test]
async fn a_crafted_release_cannot_inject_script() {
    let app = TestApp::spawn().await;
    let original = std::fs::read_to_string(shared_atlas("ATLAS-5.6.0.yaml")).expect("read 5.6.0");
    let needle = "An adversary may craft malicious prompts as inputs to an LLM";
    assert_eq!(original.matches(needle).count(), 1);
    let payload = "<script>alert(1)</script><img src=x onerror=alert(2)> [click](javascript:alert(3)) \
                   <a href=\"data:text/html,x\" onclick=\"alert(4)\">data</a> <span style=\"color:red\">red</span> ";
    let crafted = original.replacen(needle, &format!("{payload}{needle}"), 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crafted.yaml");
    std::fs::write(&path, crafted).expect("write crafted release");
    app.import(&path).await;
    let atlas = app.state.atlas.get();
    let description = atlas
        .technique("AML.T0051")
        .and_then(|t| t.description.clone())
        .unwrap_or_default();
    assert!(
        description.contains("<script>"),
        "the crafted text was imported as is"
    );

    let (body, doc) = app.page("/techniques/AML.T0051").await;
    assert_inert(&body, &doc, "crafted technique");
    // Script bodies and handler attributes are gone (the text of a link whose
    // URL was refused may stay, as plain text).
    for gone in ["alert(1)", "alert(2)", "alert(4)"] {
        assert!(!body.contains(gone), "{gone} survived");
    }
    let prose = first_text(&doc, "#h-description + .prose");
    assert!(
        prose.contains("click") && prose.contains("red") && prose.contains(needle),
        "{prose}"
    );
}

// ------------------------------------------------------ former releases

#[tokio::test]
async fn a_technique_missing_from_the_active_release_stays_reachable() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    app.import(&shared_atlas("ATLAS-4.8.0.yaml")).await;
    app.store
        .activate_release("4.8.0")
        .await
        .expect("activate 4.8.0");
    app.reload().await;
    assert_eq!(app.state.atlas.get().version(), "4.8.0");

    let old = parse_release(&std::fs::read(shared_atlas("ATLAS-4.8.0.yaml")).expect("read"))
        .expect("parse 4.8.0");
    let new = parse_release(&std::fs::read(shared_atlas("ATLAS-5.6.0.yaml")).expect("read"))
        .expect("parse 5.6.0");
    let gone = new
        .techniques
        .iter()
        .find(|t| old.technique(&t.id).is_none() && t.parent.is_none())
        .expect("a technique of 5.6.0 that 4.8.0 lacks");

    let (body, doc) = app.page(&format!("/techniques/{}", gone.id)).await;
    assert_layout(&doc, "former technique");
    assert_inert(&body, &doc, "former technique");
    let banner = first_text(&doc, ".banner-warning");
    assert!(
        banner.contains("not in the active release 4.8.0; last seen in release 5.6.0"),
        "{banner}"
    );
    assert_eq!(first_text(&doc, "h1"), gone.name);
    assert!(
        count(&doc, "#h-description + .prose") == 1,
        "described as it stood in 5.6.0"
    );

    // The 4.8.0 matrix has its own 14 columns, without that technique.
    let (_, matrix) = app.page("/matrix").await;
    assert_eq!(count(&matrix, "section.tactic"), 14);
    assert_eq!(
        count(&matrix, &format!("a[href='/techniques/{}']", gone.id)),
        0
    );
    // Still unknown everywhere: 404.
    assert_eq!(app.get("/techniques/AML.T0999").await.0, 404);
}

/// Another node, or the CLI beside the server, imports and switches releases
/// in the shared database: the server's next request shows the release
/// switched to, in the API and on the matrix, without a restart.
#[tokio::test]
async fn a_release_switched_outside_the_server_shows_on_its_next_request() {
    let app = TestApp::spawn().await;
    let (_, tactics) = app.get_json("/api/v1/atlas/tactics").await;
    let embedded = tactics["release"].as_str().expect("release").to_string();
    assert_ne!(embedded, "4.8.0");

    // As `atlasview import atlas` and `atlasview atlas activate` would: the
    // store only, nothing told to the running server.
    let path = shared_atlas("ATLAS-4.8.0.yaml");
    let fetched = atlasview::atlas::fetch::read_source(path.to_str().expect("utf-8 path"))
        .await
        .expect("read release");
    atlasview::app::import_release(&app.store, &fetched)
        .await
        .expect("import");
    atlasview::service::releases::activate(&app.store, "4.8.0", "cli", "")
        .await
        .expect("activate");

    let (status, tactics) = app.get_json("/api/v1/atlas/tactics").await;
    assert_eq!(status, 200, "{tactics}");
    assert_eq!(
        tactics["release"], "4.8.0",
        "the server kept its stale release"
    );
    let (_, matrix) = app.get("/matrix").await;
    assert!(
        matrix.contains("MITRE ATLAS 4.8.0"),
        "the matrix is not drawn against 4.8.0"
    );

    // And back: the cached matrix of 4.8.0 is not served for the embedded one.
    atlasview::service::releases::activate(&app.store, &embedded, "cli", "")
        .await
        .expect("activate");
    let (_, tactics) = app.get_json("/api/v1/atlas/tactics").await;
    assert_eq!(tactics["release"], embedded.as_str());
    let (_, matrix) = app.get("/matrix").await;
    assert!(
        matrix.contains(&format!("MITRE ATLAS {embedded}"))
            && !matrix.contains("MITRE ATLAS 4.8.0"),
        "the matrix is still 4.8.0's"
    );
}
