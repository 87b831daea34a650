//! Light pages (issue #14): a page waits for one stylesheet before its first
//! paint, not for up to nine (each request cost a fresh browser about 8 ms):
//! app.css, layout.css, print.css (for print only) and the page's own files,
//! joined in that order, so the cascade is that of separate links.

use scraper::{Html, Selector};

use crate::support::TestApp;

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

/// What the stylesheet of a page with `own` files must read: each file whole,
/// after a comment naming it, print.css as `@media print`.
fn joined(own: &[&str]) -> String {
    let mut want = String::new();
    for name in ["app.css", "layout.css", "print.css"].iter().chain(own) {
        let path = format!("{}/static/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect(name);
        want.push_str(&format!("/* {name} */\n"));
        if *name == "print.css" {
            want.push_str(&format!("@media print {{\n{text}\n}}\n"));
        } else {
            want.push_str(&format!("{text}\n"));
        }
    }
    want
}

/// The one stylesheet `path` links (checked: one in the whole document, in
/// its head, for every medium).
fn the_stylesheet(doc: &Html, path: &str) -> String {
    let links: Vec<_> = doc.select(&sel("link[rel~='stylesheet']")).collect();
    assert_eq!(links.len(), 1, "{path}: one stylesheet");
    assert_eq!(
        doc.select(&sel("head link[rel~='stylesheet']")).count(),
        1,
        "{path}: in the head"
    );
    assert_eq!(links[0].value().attr("media"), None, "{path}: every medium");
    links[0].value().attr("href").expect("href").to_string()
}

#[tokio::test]
async fn every_page_waits_for_one_stylesheet_of_its_files_in_order() {
    let app = TestApp::spawn().await;
    let incident = app.two_step_incident("Light page").await;
    let id = incident["id"].as_str().expect("id");
    let pages: Vec<(String, Vec<&str>)> = vec![
        ("/matrix".into(), vec![]),
        ("/techniques".into(), vec![]),
        ("/incidents".into(), vec![]),
        ("/".into(), vec!["reports.css", "dashboard.css"]),
        ("/briefing".into(), vec!["reports.css", "briefing.css"]),
        (
            "/briefing?paper=a4".into(),
            vec!["reports.css", "briefing.css", "paper-a4.css"],
        ),
        (
            format!("/incidents/{id}"),
            vec!["ingest.css", "analyst.css", "story.css"],
        ),
        (format!("/incidents/{id}/story"), vec!["story.css"]),
        (
            format!("/incidents/{id}/retrospective?paper=letter"),
            vec![
                "story.css",
                "reports.css",
                "retrospective.css",
                "paper-letter.css",
            ],
        ),
    ];
    for (path, own) in pages {
        let (_, doc) = app.page(&path).await;
        let href = the_stylesheet(&doc, &path);
        assert!(href.starts_with("/static/page"), "{path}: {href}");
        let res = app.client.get(app.url(&href)).send().await.expect("css");
        assert_eq!(res.status(), 200, "{path}: {href}");
        let cache = res.headers()["cache-control"].to_str().unwrap_or_default();
        assert!(cache.contains("immutable"), "{href}: {cache}");
        let css = res.text().await.expect("css");
        assert!(
            css == joined(&own),
            "{path}: {href} is not {own:?} after the base files"
        );
    }
}

/// A page as a browser without scripts builds it: what waits in a
/// `<noscript data-lazy>` (static/lazy.js) in place. scraper parses as a
/// browser with scripts on, which keeps it as text.
pub fn as_without_scripts(body: &str) -> String {
    body.replace("<noscript data-lazy>", "")
        .replace("</noscript>", "")
}

/// The matrix's filter form, 28 fields in a closed panel, waits in a
/// `<noscript data-lazy>` (built by static/lazy.js when the panel opens, at
/// once by a browser without scripts): with scripts on, a browser keeps it as
/// text, not as fields to lay out. Open filters are built at once.
#[tokio::test]
async fn the_closed_matrix_filter_form_waits_unbuilt_and_open_filters_are_built() {
    let app = TestApp::spawn().await;
    app.import(&crate::support::shared_atlas("ATLAS-5.6.0.yaml"))
        .await;
    let fields = |doc: &Html| {
        doc.select(&sel("form.matrix-filter-form input"))
            .filter_map(|i| i.value().attr("name").map(String::from))
            .collect::<Vec<_>>()
    };
    let (status, closed) = app.get("/matrix").await;
    assert_eq!(status, 200);
    // scraper parses as a browser with scripts on: the noscript is text.
    assert!(fields(&Html::parse_document(&closed)).is_empty());
    assert_eq!(closed.matches("<noscript data-lazy>").count(), 1);
    assert!(
        closed.contains("/static/lazy."),
        "the script that builds it"
    );
    let later = fields(&Html::parse_document(&as_without_scripts(&closed)));

    let (status, open) = app.get("/matrix?severity=high").await;
    assert_eq!(status, 200);
    assert!(!open.contains("<noscript data-lazy>"));
    let doc = Html::parse_document(&open);
    assert_eq!(doc.select(&sel("details.matrix-filters[open]")).count(), 1);
    assert_eq!(fields(&doc), later, "the same fields either way");
    assert!(later.len() >= 20, "{later:?}");
    assert_eq!(doc.select(&sel("#mf-severity-high[checked]")).count(), 1);
}
