//! `/static` assets under content-hashed names (`/static/app.3f2a1b9c0d.css`),
//! read once from `static/`, precompressed (gzip and brotli at its best
//! quality) and served from memory with
//! `Cache-Control: public, max-age=31536000, immutable`: a browser fetches an
//! asset once per content, and a changed file gets a new name. Templates name
//! assets through [`url`]. The plain names still work (served from the folder
//! with `no-cache`, for bookmarks and old pages). A page links one stylesheet
//! ([`page_stylesheets`]): app.css, layout.css, print.css and the page's own
//! files joined in that order, so a cold load waits for one request, not up
//! to nine (each cost a fresh browser about 8 ms, bench/coldload.sh).

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::compress::{ASSET_QUALITY, Encoding, Forms};

/// Where `static/` is served from: the crate's own folder, so the binary works
/// from any working directory of a source checkout.
pub const STATIC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static");

/// Cache lifetime of a hashed asset: a year, never revalidated.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Plain names may change content: revalidate each time.
pub const REVALIDATE: &str = "no-cache";

struct Asset {
    content_type: &'static str,
    body: Bytes,
    forms: Forms,
}

struct Assets {
    /// Plain name → hashed name.
    hashed: HashMap<String, String>,
    /// Hashed name → the asset.
    by_hashed: HashMap<String, Asset>,
    /// A page's own files ([`PAGE_SHEETS`]) → the URL of its stylesheet.
    sheets: HashMap<&'static str, String>,
}

static ASSETS: LazyLock<Assets> = LazyLock::new(load);

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// `app.css` with content hash `h` → `app.h.css`.
fn hashed_name(name: &str, hash: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

fn load() -> Assets {
    let mut assets = Assets {
        hashed: HashMap::new(),
        by_hashed: HashMap::new(),
        sheets: HashMap::new(),
    };
    let Ok(dir) = std::fs::read_dir(STATIC_DIR) else {
        return assets;
    };
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in dir.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // Only files shipped with the application (benchmarks drop others in).
        if name.starts_with('.') || name.starts_with("bench-") {
            continue;
        }
        let Ok(body) = std::fs::read(entry.path()) else {
            continue;
        };
        files.push((name, body));
    }
    let mut sheets = Vec::new();
    for own in PAGE_SHEETS {
        let read = |name: &str| {
            let (_, body) = files.iter().find(|(n, _)| n == name)?;
            Some(Bytes::copy_from_slice(body))
        };
        if let Some(css) = joined_stylesheet(own, read) {
            let name = match own.replace(".css", "").replace(' ', "-") {
                stem if stem.is_empty() => "page.css".to_string(),
                stem => format!("page-{stem}.css"),
            };
            sheets.push((*own, name.clone()));
            files.push((name, css.into_bytes()));
        }
    }
    let forms = compress_all(&files);
    for ((name, body), forms) in files.into_iter().zip(forms) {
        assets.insert(name, body, forms);
    }
    for (own, name) in sheets {
        if let Some(hashed) = assets.hashed.get(&name) {
            assets.sheets.insert(own, format!("/static/{hashed}"));
        }
    }
    assets
}

/// The precompressed forms of every file, made on every core: brotli at its
/// best quality takes about a second for all of them on one.
fn compress_all(files: &[(String, Vec<u8>)]) -> Vec<Forms> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let made: std::sync::Mutex<Vec<Option<Forms>>> =
        std::sync::Mutex::new(files.iter().map(|_| None).collect());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads.min(files.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((name, body)) = files.get(i) else {
                        break;
                    };
                    let compressible = !name.ends_with(".png") && !name.ends_with(".woff2");
                    let forms = if compressible {
                        Forms::eager(body, ASSET_QUALITY)
                    } else {
                        Forms::default()
                    };
                    if let Ok(mut made) = made.lock() {
                        made[i] = Some(forms);
                    }
                }
            });
        }
    });
    // A form that was not made (a poisoned lock) is served uncompressed.
    let mut made = made.into_inner().unwrap_or_default();
    made.resize_with(files.len(), || None);
    made.into_iter().map(Option::unwrap_or_default).collect()
}

impl Assets {
    fn insert(&mut self, name: String, body: Vec<u8>, forms: Forms) {
        let hash = hex::encode(&Sha256::digest(&body)[..5]);
        let hashed = hashed_name(&name, &hash);
        self.by_hashed.insert(
            hashed.clone(),
            Asset {
                content_type: content_type(&name),
                body: Bytes::from(body),
                forms,
            },
        );
        self.hashed.insert(name, hashed);
    }
}

/// Reads and compresses the assets now rather than on the first request.
pub fn preload() {
    LazyLock::force(&ASSETS);
}

/// The URL of the asset `name` (`app.css`): its hashed name when the file
/// exists, else the plain one.
pub fn url(name: &str) -> String {
    match ASSETS.hashed.get(name) {
        Some(hashed) => format!("/static/{hashed}"),
        None => format!("/static/{name}"),
    }
}

/// The files every page links first, in this order; print.css for print only.
pub const BASE_SHEETS: [&str; 3] = ["app.css", "layout.css", "print.css"];

/// The pages' own stylesheets, as the templates name them
/// (`ui::stylesheet("reports.css dashboard.css")`): each set is joined after
/// [`BASE_SHEETS`] into one stylesheet when the assets load. A set not listed
/// here still works, as separate links.
pub const PAGE_SHEETS: &[&str] = &[
    "",
    "analyst.css",
    "ingest.css",
    "story.css",
    "ingest.css analyst.css story.css",
    "reports.css dashboard.css",
    "reports.css briefing.css",
    "reports.css briefing.css paper-a4.css",
    "reports.css briefing.css paper-letter.css",
    "story.css reports.css retrospective.css",
    "story.css reports.css retrospective.css paper-a4.css",
    "story.css reports.css retrospective.css paper-letter.css",
];

/// [`BASE_SHEETS`] and then the files `own` names (space-separated), as one
/// stylesheet with the cascade of separate links in that order: print.css
/// inside `@media print`, as its link had `media="print"`. `None` when a
/// file is missing.
fn joined_stylesheet(own: &str, read: impl Fn(&str) -> Option<Bytes>) -> Option<String> {
    let mut css = String::new();
    for name in BASE_SHEETS.iter().copied().chain(own.split_whitespace()) {
        let body = read(name)?;
        let text = std::str::from_utf8(&body).ok()?;
        css.push_str(&format!("/* {name} */\n"));
        if name == "print.css" {
            css.push_str("@media print {\n");
            css.push_str(text);
            css.push_str("\n}\n");
        } else {
            css.push_str(text);
            css.push('\n');
        }
    }
    Some(css)
}

/// One `<link rel="stylesheet">` of a page.
pub struct Stylesheet {
    pub href: String,
    /// `print` for print.css when it is linked on its own.
    pub media: Option<&'static str>,
}

/// The stylesheet links of a page whose own files are `own` (space-separated
/// names of `static/`, after [`BASE_SHEETS`]): one, when `own` is in
/// [`PAGE_SHEETS`]; else each file on its own, in the same order.
pub fn page_stylesheets(own: &str) -> Vec<Stylesheet> {
    if let Some(href) = ASSETS.sheets.get(own) {
        return vec![Stylesheet {
            href: href.clone(),
            media: None,
        }];
    }
    BASE_SHEETS
        .iter()
        .copied()
        .chain(own.split_whitespace())
        .map(|name| Stylesheet {
            href: url(name),
            media: (name == "print.css").then_some("print"),
        })
        .collect()
}

/// Serves a hashed asset from memory; anything else goes on to the folder,
/// marked for revalidation.
pub async fn serve(req: Request, next: Next) -> Response {
    let name = req.uri().path().trim_start_matches("/static/");
    let Some(asset) = ASSETS.by_hashed.get(name) else {
        let mut res = next.run(req).await;
        if res.status() == StatusCode::OK {
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
        }
        return res;
    };
    let encoding = if asset.forms.is_empty() {
        Encoding::Identity
    } else {
        Encoding::preferred(req.headers())
    };
    let body = asset.forms.get(&asset.body, encoding);
    let mut res = (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, IMMUTABLE),
            (header::VARY, "accept-encoding"),
        ],
        Body::from(body),
    )
        .into_response();
    if let Some(e) = encoding.header() {
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_keep_the_extension() {
        assert_eq!(hashed_name("app.css", "ab12"), "app.ab12.css");
        assert_eq!(hashed_name("LICENSE", "ab12"), "LICENSE.ab12");
        assert!(url("app.css").starts_with("/static/app."));
        assert_ne!(url("app.css"), "/static/app.css");
        assert_eq!(url("missing.css"), "/static/missing.css");
    }

    /// A page's stylesheet is its files, joined in order, each whole.
    #[test]
    fn a_page_stylesheet_is_its_files_in_order() {
        let read = |name: &str| {
            std::fs::read(format!("{STATIC_DIR}/{name}"))
                .ok()
                .map(Bytes::from)
        };
        let text = |name: &str| String::from_utf8(read(name).unwrap().to_vec()).unwrap();
        let css = joined_stylesheet("reports.css dashboard.css", read).unwrap();
        let mut at = 0;
        for name in [
            "app.css",
            "layout.css",
            "print.css",
            "reports.css",
            "dashboard.css",
        ] {
            let found = css[at..].find(&text(name)).map(|i| i + at);
            assert!(found.is_some(), "{name} whole, after the files before it");
            at = found.unwrap() + text(name).len();
        }
        assert!(css.contains(&format!("@media print {{\n{}\n}}", text("print.css"))));
        assert!(joined_stylesheet("missing.css", read).is_none());
        // Every listed set is bundled: one link.
        for own in PAGE_SHEETS {
            let links = page_stylesheets(own);
            assert_eq!(links.len(), 1, "{own:?}");
            assert!(links[0].href.starts_with("/static/page"), "{own:?}");
        }
        // A set not listed: every file on its own, print.css for print.
        let links = page_stylesheets("story.css analyst.css");
        let media: Vec<_> = links.iter().map(|l| l.media).collect();
        assert_eq!(media, [None, None, Some("print"), None, None]);
    }

    /// Every set a template names is bundled (so no page links nine files).
    #[test]
    fn every_stylesheet_a_template_names_is_bundled() {
        let mut named = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates"
        ))];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for call in text.split("ui::stylesheet(\"").skip(1) {
                    let own = call.split('"').next().unwrap().to_string();
                    named.push((path.display().to_string(), own));
                }
            }
        }
        assert!(named.len() > 5, "{named:?}");
        for (path, own) in named {
            assert!(
                PAGE_SHEETS.contains(&own.as_str()),
                "{path}: {own:?} is not in PAGE_SHEETS"
            );
        }
    }
}
