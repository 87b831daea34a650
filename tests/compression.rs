//! Issue 14: compression done once and long-lived static assets. Cached
//! pages are served in the encoding the client prefers (brotli, gzip or
//! none) from forms made once; `/static` assets have content-hashed names,
//! `Cache-Control: public, max-age=31536000, immutable` and precompressed
//! bodies; the caches stay within their bounds however many filter URLs
//! are asked for.

use std::io::Read;

use atlasview::web::pages::matrix::{
    MAX_AGGREGATE_BYTES, MAX_AGGREGATES, MAX_RESPONSE_BYTES, MAX_RESPONSES, cache_sizes,
};

use crate::support::TestApp;

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unbrotli(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &b[..], &mut out).unwrap();
    out
}

async fn fetch(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept-encoding", accept)
        .send()
        .await
        .unwrap()
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn the_cached_matrix_is_served_in_the_preferred_encoding() {
    let app = TestApp::spawn().await;
    let plain = fetch(&app, "/matrix?metric=steps", "identity").await;
    assert_eq!(header(&plain, "content-encoding"), "");
    let plain = plain.bytes().await.unwrap();
    assert!(plain.starts_with(b"<!DOCTYPE html>") || plain.starts_with(b"<!doctype html>"));
    for _ in 0..2 {
        let gz = fetch(&app, "/matrix?metric=steps", "gzip").await;
        assert_eq!(header(&gz, "content-encoding"), "gzip");
        assert!(
            header(&gz, "vary")
                .to_ascii_lowercase()
                .contains("accept-encoding")
        );
        let gz = gz.bytes().await.unwrap();
        assert!(gz.len() < plain.len() / 3);
        assert_eq!(gunzip(&gz), plain);
        let br = fetch(&app, "/matrix?metric=steps", "gzip, deflate, br").await;
        assert_eq!(header(&br, "content-encoding"), "br");
        assert_eq!(unbrotli(&br.bytes().await.unwrap()), plain);
    }
}

#[tokio::test]
async fn static_assets_have_hashed_names_long_lived_caching_and_precompressed_bodies() {
    let app = TestApp::spawn().await;
    // The stylesheet of a page with no files of its own: app.css first.
    let page = fetch(&app, "/techniques", "identity")
        .await
        .text()
        .await
        .unwrap();
    let url = atlasview::web::assets::page_stylesheets("").remove(0).href;
    assert!(
        page.contains(&format!("href=\"{url}\"")),
        "pages link {url}"
    );
    let hash = url
        .trim_start_matches("/static/page.")
        .trim_end_matches(".css");
    assert_eq!(hash.len(), 10, "{url}");
    let app_css = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/app.css")).unwrap();
    let file = fetch(&app, &url, "identity").await.bytes().await.unwrap();
    assert!(file.starts_with(b"/* app.css */\n"), "{url}");
    assert_eq!(
        &file[14..14 + app_css.len()],
        &app_css[..],
        "{url}: app.css whole"
    );
    for (accept, encoding) in [("identity", ""), ("gzip", "gzip"), ("br, gzip", "br")] {
        let res = fetch(&app, &url, accept).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            header(&res, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&res, "content-encoding"), encoding);
        assert!(header(&res, "content-type").starts_with("text/css"));
        let body = res.bytes().await.unwrap();
        let plain = match encoding {
            "gzip" => gunzip(&body),
            "br" => unbrotli(&body),
            _ => body.to_vec(),
        };
        assert_eq!(plain, file, "{accept}");
    }
    // The plain name still works, revalidated each time.
    let res = fetch(&app, "/static/app.css", "identity").await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "cache-control"), "no-cache");
    // A wrong hash is not the asset.
    assert_eq!(
        fetch(&app, "/static/app.0000000000.css", "identity")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn many_distinct_filter_urls_do_not_grow_the_caches_past_their_bounds() {
    let app = TestApp::spawn().await;
    for n in 0..(2 * MAX_RESPONSES) {
        let res = fetch(&app, &format!("/matrix?target=t{n}"), "gzip").await;
        assert_eq!(res.status(), 200);
        let _ = res.bytes().await.unwrap();
        let (aggregates, aggregate_bytes, responses, response_bytes) = cache_sizes();
        assert!(aggregates <= MAX_AGGREGATES, "{aggregates} aggregates");
        assert!(aggregate_bytes <= MAX_AGGREGATE_BYTES);
        assert!(responses <= MAX_RESPONSES, "{responses} responses");
        assert!(response_bytes <= MAX_RESPONSE_BYTES);
    }
    let (aggregates, _, responses, _) = cache_sizes();
    assert_eq!(aggregates, MAX_AGGREGATES, "the aggregate cache filled up");
    assert_eq!(responses, MAX_RESPONSES, "the response cache filled up");
}

#[tokio::test]
async fn many_distinct_report_periods_do_not_grow_the_report_data_past_its_bound() {
    use atlasview::web::pages::reports::data_cache::{
        MAX_REPORT_DATA, MAX_REPORT_DATA_BYTES, sizes,
    };
    let app = TestApp::spawn().await;
    // Each period reads itself and the period before: two entries a view.
    for year in 1990..1990 + MAX_REPORT_DATA {
        let res = fetch(
            &app,
            &format!("/?from={year}-01-01&to={year}-12-31"),
            "gzip",
        )
        .await;
        assert_eq!(res.status(), 200);
        let _ = res.bytes().await.unwrap();
        let (entries, bytes) = sizes();
        assert!(entries <= MAX_REPORT_DATA, "{entries} entries");
        assert!(bytes <= MAX_REPORT_DATA_BYTES, "{bytes} bytes");
    }
    assert_eq!(sizes().0, MAX_REPORT_DATA, "the report data filled up");
}

#[tokio::test]
async fn many_distinct_list_filters_do_not_grow_the_list_cache_past_its_bound() {
    use atlasview::web::list_cache::{MAX_PAGE_BYTES, MAX_PAGES, sizes};
    let app = TestApp::spawn().await;
    for n in 0..MAX_PAGES + 40 {
        let path = if n % 2 == 0 {
            format!("/incidents?q=word{n}")
        } else {
            format!("/api/v1/incidents?target=t{n}")
        };
        let res = fetch(&app, &path, "identity").await;
        assert_eq!(res.status(), 200, "{path}");
        let _ = res.bytes().await.unwrap();
        let (entries, bytes) = sizes();
        assert!(entries <= MAX_PAGES, "{entries} pages");
        assert!(bytes <= MAX_PAGE_BYTES, "{bytes} bytes");
    }
    assert_eq!(sizes().0, MAX_PAGES, "the list cache filled up");
}

/// The dashboard and the briefing are kept whole per data version, release,
/// query, visitor and day: a repeated view is the same bytes, a write made
/// by another connection to the database (another process or node) shows at
/// once, and one visitor's page is never served to another.
#[tokio::test]
async fn cached_reports_follow_every_write_and_every_visitor() {
    let app = TestApp::spawn().await;
    let (status, created) = app
        .post_json(
            "/api/v1/incidents",
            &serde_json::json!({
                "title": "Cached dashboard row", "severity": "critical",
                "occurred_at": chrono::Utc::now().format("%Y-%m-%d").to_string(),
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    for path in ["/", "/briefing?period=all"] {
        let first = fetch(&app, path, "gzip").await;
        assert_eq!(header(&first, "content-encoding"), "gzip");
        let first = gunzip(&first.bytes().await.unwrap());
        let again = gunzip(&fetch(&app, path, "gzip").await.bytes().await.unwrap());
        assert_eq!(first, again, "{path}: a repeated view is the same page");
        assert!(
            String::from_utf8_lossy(&first).contains("Cached dashboard row"),
            "{path}"
        );
    }

    // A write through another connection, as another process would make it.
    let other = app.other_connection().await;
    other
        .execute(
            "UPDATE incidents SET title = 'Renamed elsewhere' WHERE id = $1",
            &[(&id).into()],
        )
        .await
        .unwrap();
    other.close().await;
    for path in ["/", "/briefing?period=all"] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 200);
        assert!(body.contains("Renamed elsewhere"), "{path} shows the write");
        assert!(
            !body.contains("Cached dashboard row"),
            "{path} is not stale"
        );
    }

    // The admin's page (with the admin menu) is not the viewer's.
    let (_, admin_page) = app.get("/").await;
    assert!(
        admin_page.contains("href=\"/admin"),
        "the admin sees the admin menu"
    );
    let viewer = app.client_as(atlasview::domain::auth::Role::Viewer).await;
    let (_, viewer_page) = app.get_with(&viewer, "/").await;
    assert!(viewer_page.contains("Renamed elsewhere"));
    assert!(
        !viewer_page.contains("href=\"/admin"),
        "a viewer never gets the admin's cached page"
    );
}
