//! Light pages (issue #14): the pages read most (/matrix, /, /briefing, an
//! incident) block their first paint on the parts of app.css they show only
//! and load the other parts without blocking, with a `<noscript>` link for
//! pages read without JavaScript. The parts, in order, are app.css itself.

use atlasview::web::assets::APP_PARTS;
use scraper::{Html, Selector};

use crate::support::TestApp;

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

/// One `<link rel="stylesheet">` of app.css (whole or a part) in the head.
struct Sheet {
    href: String,
    /// `media` and `data-async`, when present.
    media: Option<String>,
    data_async: bool,
}

fn app_sheets(doc: &Html) -> Vec<Sheet> {
    doc.select(&sel("head link[rel='stylesheet']"))
        .filter_map(|l| {
            let href = l.value().attr("href")?;
            href.starts_with("/static/app").then(|| Sheet {
                href: href.to_string(),
                media: l.value().attr("media").map(str::to_string),
                data_async: l.value().attr("data-async").is_some(),
            })
        })
        .collect()
}

/// The part a link names (`/static/app-grid.1a2b3c.css` → `grid`).
fn part_of(href: &str) -> &str {
    href.trim_start_matches("/static/app-")
        .split('.')
        .next()
        .unwrap_or_default()
}

/// Checks the head of `path` and returns the parts it blocks on.
async fn blocking_parts(app: &TestApp, path: &str) -> Vec<String> {
    let (body, doc) = app.page(path).await;
    let sheets = app_sheets(&doc);
    let parts: Vec<&str> = sheets.iter().map(|s| part_of(&s.href)).collect();
    assert_eq!(parts, APP_PARTS, "{path}: every part of app.css, in order");
    let first = doc
        .select(&sel("head link[rel='stylesheet']"))
        .next()
        .and_then(|l| l.value().attr("href"));
    assert_eq!(first, Some(sheets[0].href.as_str()), "{path}: core first");
    assert!(sheets[0].media.is_none(), "{path}: core blocks");
    let mut blocking = Vec::new();
    for s in &sheets {
        match s.media.as_deref() {
            None => blocking.push(part_of(&s.href).to_string()),
            Some(media) => {
                assert!(media == "print" && s.data_async, "{path}: {}", s.href);
                let fallback = format!(
                    "<noscript><link rel=\"stylesheet\" href=\"{}\"></noscript>",
                    s.href
                );
                assert!(
                    body.contains(&fallback),
                    "{path}: no fallback for {}",
                    s.href
                );
            }
        }
    }
    assert!(blocking.len() < APP_PARTS.len(), "{path}: something waits");
    let script = doc
        .select(&sel("script[src^='/static/styles.'][defer]"))
        .count();
    assert_eq!(
        script, 1,
        "{path}: the script that applies the waiting parts"
    );
    blocking
}

#[tokio::test]
async fn light_pages_block_their_first_paint_on_the_parts_they_show() {
    let app = TestApp::spawn().await;
    let incident = app.two_step_incident("Light page").await;
    let id = incident["id"].as_str().expect("id");
    // What the first screen of each shows (tests/browser/light.rs checks
    // that nothing on it moves when the other parts arrive).
    let pages = [
        ("/matrix".to_string(), vec!["core", "grid", "heat"]),
        ("/".to_string(), vec!["core"]),
        ("/briefing".to_string(), vec!["core", "incidents"]),
        (
            format!("/incidents/{id}"),
            vec!["core", "pages", "incidents"],
        ),
    ];
    for (path, want) in pages {
        assert_eq!(blocking_parts(&app, &path).await, want, "{path}");
    }
}

/// Served one by one under hashed names, the parts add up to app.css: the
/// cascade of a page in parts is the stylesheet's.
#[tokio::test]
async fn the_parts_of_app_css_add_up_to_the_file() {
    let app = TestApp::spawn().await;
    let (_, doc) = app.page("/matrix").await;
    let mut joined = String::new();
    for sheet in app_sheets(&doc) {
        let res = app
            .client
            .get(app.url(&sheet.href))
            .send()
            .await
            .expect("part");
        assert_eq!(res.status(), 200, "{}", sheet.href);
        let cache = res.headers()["cache-control"].to_str().unwrap_or_default();
        assert!(cache.contains("immutable"), "{}: {cache}", sheet.href);
        joined.push_str(&res.text().await.expect("css"));
    }
    let (status, whole) = app.get("/static/app.css").await;
    assert_eq!(status, 200);
    assert_eq!(joined, whole);
}
