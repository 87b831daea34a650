//! `/static` assets under content-hashed names (`/static/app.3f2a1b9c0d.css`),
//! read once from `static/`, precompressed (gzip and brotli at its best
//! quality) and served from memory with
//! `Cache-Control: public, max-age=31536000, immutable`: a browser fetches an
//! asset once per content, and a changed file gets a new name. Templates name
//! assets through [`url`]. The plain names still work (served from the folder
//! with `no-cache`, for bookmarks and old pages). app.css is also served in
//! parts (`app-core.css`, …, cut at its `@part` lines) so that a page can
//! block its first paint on what it shows only ([`app_stylesheets`]).

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
    };
    let Ok(dir) = std::fs::read_dir(STATIC_DIR) else {
        return assets;
    };
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
        if name == "app.css" {
            for (part, css) in app_parts(&String::from_utf8_lossy(&body)) {
                assets.insert(format!("app-{part}.css"), css.as_bytes().to_vec());
            }
        }
        assets.insert(name, body);
    }
    assets
}

impl Assets {
    fn insert(&mut self, name: String, body: Vec<u8>) {
        let hash = hex::encode(&Sha256::digest(&body)[..5]);
        let hashed = hashed_name(&name, &hash);
        let compressible = !name.ends_with(".png") && !name.ends_with(".woff2");
        let forms = if compressible {
            Forms::eager(&body, ASSET_QUALITY)
        } else {
            Forms::default()
        };
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

/// The parts of app.css in its order, by name: the text before the first
/// `/* @part NAME */` line is `core`, each such line starts the part NAME.
/// Concatenated, the parts are the file, so their cascade is the file's.
fn app_parts(css: &str) -> Vec<(&str, &str)> {
    let mut parts = Vec::new();
    let (mut name, mut start) = ("core", 0);
    let mut at = 0;
    for line in css.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("/* @part ") {
            parts.push((name, &css[start..at]));
            name = rest.trim_end().trim_end_matches("*/").trim();
            start = at;
        }
        at += line.len();
    }
    parts.push((name, &css[start..]));
    parts
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

/// The parts of app.css (see [`app_parts`]), in the file's order.
pub const APP_PARTS: [&str; 5] = ["core", "grid", "pages", "incidents", "heat"];

/// One `<link rel="stylesheet">` of a page that loads app.css in parts.
pub struct Stylesheet {
    pub href: String,
    /// Blocks the first paint; otherwise loaded without blocking (the
    /// `media="print"` link that static/styles.js switches to all media,
    /// with a `<noscript>` link for pages read without JavaScript).
    pub blocking: bool,
}

/// The links of a page whose first paint needs the parts `blocking` (names
/// of [`APP_PARTS`], space-separated; `core` always blocks): every part, in
/// the file's order so the cascade stays the file's.
pub fn app_stylesheets(blocking: &str) -> Vec<Stylesheet> {
    APP_PARTS
        .iter()
        .map(|part| Stylesheet {
            href: url(&format!("app-{part}.css")),
            blocking: *part == "core" || blocking.split_whitespace().any(|b| b == *part),
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

    /// The parts of app.css are the whole file in order, one per name of
    /// APP_PARTS, each served under its own hashed name.
    #[test]
    fn app_css_parts_are_the_file_in_order() {
        let css = std::fs::read_to_string(format!("{STATIC_DIR}/app.css")).unwrap();
        let parts = app_parts(&css);
        let names: Vec<&str> = parts.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, APP_PARTS);
        assert_eq!(parts.iter().map(|(_, text)| *text).collect::<String>(), css);
        assert!(parts.iter().all(|(_, text)| !text.trim().is_empty()));
        for part in APP_PARTS {
            assert!(url(&format!("app-{part}.css")).starts_with(&format!("/static/app-{part}.")));
        }
    }

    #[test]
    fn only_the_named_parts_and_core_block() {
        let blocking: Vec<bool> = app_stylesheets("grid heat")
            .iter()
            .map(|s| s.blocking)
            .collect();
        assert_eq!(blocking, [true, true, false, false, true]);
        assert_eq!(app_stylesheets("").iter().filter(|s| s.blocking).count(), 1);
    }
}
