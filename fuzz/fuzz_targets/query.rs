//! The query-string parsers of the matrix views and the incident list (API
//! and page). The input's first line is the `Accept` header, the rest the
//! raw query string; each input goes through all three.
#![no_main]

mod common;

use atlasview::web::extract::incident_filters::list_request;
use atlasview::web::extract::matrix_query::MatrixRequest;
use axum::http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (accept, raw) = text.split_once('\n').unwrap_or(("", text));
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(accept) {
        headers.insert(header::ACCEPT, v);
    }
    let raw = (!raw.is_empty()).then_some(raw);
    let _ = MatrixRequest::parse(raw);
    let _ = list_request(raw, &headers, "json");
    let _ = list_request(raw, &headers, "html");
});
