//! Compression done once: a cached body keeps its gzip and brotli forms,
//! each made the first time a client asks for it and then served as is for
//! as long as the body stays cached (one data version). Responses that are
//! not cached are compressed by tower-http's `CompressionLayer`, which leaves
//! a response alone that already has a `Content-Encoding`.
//!
//! flate2 (the Rust project's zlib binding, miniz backend) and brotli
//! (Dropbox's pure-Rust port, the one async-compression uses) do the work.

use std::io::Write;
use std::sync::OnceLock;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, VARY};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

tokio::task_local! {
    static ENCODING: Encoding;
}

/// Middleware: notes the encoding the client prefers, for [`current`].
pub async fn negotiate(req: Request, next: Next) -> Response {
    let encoding = Encoding::preferred(req.headers());
    ENCODING.scope(encoding, next.run(req)).await
}

/// The encoding the current request's client prefers (identity outside one).
pub fn current() -> Encoding {
    ENCODING.try_with(|e| *e).unwrap_or(Encoding::Identity)
}

/// Marks a response whose body is in `encoding` (and varies by it).
pub fn mark(res: &mut Response, encoding: Encoding) {
    res.headers_mut()
        .insert(VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(e) = encoding.header() {
        res.headers_mut()
            .insert(CONTENT_ENCODING, HeaderValue::from_static(e));
    }
}

/// A body's encoding, as chosen from `Accept-Encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The `Content-Encoding` value (`None` for identity).
    pub fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }

    /// The client's preference: brotli, then gzip, among those it accepts
    /// with a weight above zero (`br;q=0` refuses brotli).
    pub fn preferred(headers: &HeaderMap) -> Encoding {
        let mut br = false;
        let mut gzip = false;
        for value in headers.get_all(ACCEPT_ENCODING) {
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
                let refused = parts.any(|p| {
                    let p = p.trim();
                    p.strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                if refused {
                    continue;
                }
                match name.as_str() {
                    "br" => br = true,
                    "gzip" | "x-gzip" => gzip = true,
                    "*" => {
                        br = true;
                        gzip = true;
                    }
                    _ => {}
                }
            }
        }
        if br {
            Encoding::Brotli
        } else if gzip {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }
}

/// Brotli quality of bodies compressed while a visitor waits (about as fast
/// as gzip's default and smaller); static assets, compressed at start-up, use 11.
pub const PAGE_QUALITY: u32 = 5;
pub const ASSET_QUALITY: u32 = 11;

pub fn gzip(body: &[u8]) -> Bytes {
    let mut out = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::default(),
    );
    // Writing into a Vec cannot fail.
    let _ = out.write_all(body);
    Bytes::from(out.finish().unwrap_or_default())
}

pub fn brotli(body: &[u8], quality: u32) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 4);
    let params = brotli::enc::BrotliEncoderParams {
        quality: quality as i32,
        lgwin: 22,
        ..Default::default()
    };
    let mut input = body;
    // Reading a slice and writing into a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut input, &mut out, &params);
    Bytes::from(out)
}

/// The compressed forms of one body, each made at most once.
#[derive(Debug, Default)]
pub struct Forms {
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl Forms {
    /// Both forms made now (for bodies known before any request: assets).
    pub fn eager(body: &[u8], quality: u32) -> Forms {
        let forms = Forms::default();
        let _ = forms.gzip.set(gzip(body));
        let _ = forms.brotli.set(brotli(body, quality));
        forms
    }

    /// `body` in `encoding`, compressing it the first time.
    pub fn get(&self, body: &Bytes, encoding: Encoding) -> Bytes {
        match encoding {
            Encoding::Identity => body.clone(),
            Encoding::Gzip => self.gzip.get_or_init(|| gzip(body)).clone(),
            Encoding::Brotli => self
                .brotli
                .get_or_init(|| brotli(body, PAGE_QUALITY))
                .clone(),
        }
    }

    /// Bytes held by the forms made so far.
    pub fn len(&self) -> usize {
        self.gzip.get().map_or(0, Bytes::len) + self.brotli.get().map_or(0, Bytes::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::io::Read;

    fn accept(v: &str) -> Encoding {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        Encoding::preferred(&h)
    }

    #[test]
    fn prefers_brotli_then_gzip_and_honours_zero_weights() {
        assert_eq!(accept("gzip, deflate, br"), Encoding::Brotli);
        assert_eq!(accept("gzip"), Encoding::Gzip);
        assert_eq!(accept("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(accept("identity"), Encoding::Identity);
        assert_eq!(Encoding::preferred(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn forms_decompress_to_the_body_and_are_made_once() {
        let body = Bytes::from("<p>matrix</p>".repeat(500));
        let forms = Forms::default();
        let gz = forms.get(&body, Encoding::Gzip);
        assert!(gz.len() < body.len() / 10);
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain.as_bytes(), &body[..]);
        let br = forms.get(&body, Encoding::Brotli);
        let mut plain = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut plain).unwrap();
        assert_eq!(plain, &body[..]);
        assert_eq!(
            forms.get(&body, Encoding::Gzip).as_ptr(),
            gz.as_ptr(),
            "the same bytes, not compressed again"
        );
    }
}
