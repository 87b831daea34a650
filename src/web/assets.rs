//! `/static` assets under content-hashed names (`/static/app.3f2a1b9c0d.css`),
//! read once from `static/`, precompressed (gzip and brotli at its best
//! quality) and served from memory with
//! `Cache-Control: public, max-age=31536000, immutable`: a browser fetches an
//! asset once per content, and a changed file gets a new name. Templates name
//! assets through [`url`]. The plain names still work (served from the folder
//! with `no-cache`, for bookmarks and old pages).

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
        let hash = hex::encode(&Sha256::digest(&body)[..5]);
        let hashed = hashed_name(&name, &hash);
        let compressible = !name.ends_with(".png") && !name.ends_with(".woff2");
        let forms = if compressible {
            Forms::eager(&body, ASSET_QUALITY)
        } else {
            Forms::default()
        };
        assets.by_hashed.insert(
            hashed.clone(),
            Asset {
                content_type: content_type(&name),
                body: Bytes::from(body),
                forms,
            },
        );
        assets.hashed.insert(name, hashed);
    }
    assets
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
}
