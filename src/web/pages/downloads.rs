//! Downloads: every file route answers `Content-Disposition: attachment`
//! with a meaningful name ([`crate::render::download`]), unless the query
//! says `inline=1` (for an `<img>` or a preview in the tab).

use axum::http::header::{self, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::render::download::{attachment_disposition, disposition, repr_digest};
use crate::web::AppError;

/// The `inline` flag's value: absent, `0` → download; `1` → show in place.
pub fn inline_flag(value: Option<&str>) -> Result<bool, AppError> {
    match value.map(str::trim) {
        None | Some("" | "0") => Ok(false),
        Some("1") => Ok(true),
        Some(_) => Err(AppError::bad_request("inline", "inline: must be 1 or 0")),
    }
}

/// Takes `inline=…` out of a raw query string: the flag and the rest of the
/// query (for routes whose own parser refuses parameters it does not know).
pub fn split_inline(raw: Option<String>) -> Result<(bool, Option<String>), AppError> {
    let Some(raw) = raw else {
        return Ok((false, None));
    };
    let mut inline = None;
    let mut rest = Vec::new();
    for pair in raw.split('&') {
        match pair.split_once('=').unwrap_or((pair, "")) {
            ("inline", value) => {
                if inline.is_some() {
                    return Err(AppError::bad_request("inline", "inline: given twice"));
                }
                inline = Some(inline_flag(Some(value))?);
            }
            _ => rest.push(pair),
        }
    }
    let rest = rest.join("&");
    Ok((inline.unwrap_or(false), (!rest.is_empty()).then_some(rest)))
}

/// A file response: its type, and saved as `file_name` unless `inline`.
pub fn file(
    content_type: &str,
    file_name: &str,
    inline: bool,
    body: impl IntoResponse,
) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition(file_name, inline)),
        ],
        body,
    )
        .into_response()
}

/// What a browser may do with an attached file: nothing but save it. Served
/// as bytes whatever was declared, never sniffed, sandboxed with nothing
/// allowed should it be opened anyway, and not to be embedded by other sites.
const ATTACHMENT_HEADERS: &[(&str, &str)] = &[
    ("content-type", "application/octet-stream"),
    ("x-content-type-options", "nosniff"),
    ("content-security-policy", "default-src 'none'; sandbox"),
    ("cross-origin-resource-policy", "same-origin"),
    ("cache-control", "private, no-store"),
];

/// An attached file as a download, with its hash (RFC 9530 `Repr-Digest`)
/// for the client to check.
pub fn attachment(a: &crate::domain::attachment::Attachment, bytes: Vec<u8>) -> Response {
    let headers = [
        (
            header::CONTENT_DISPOSITION,
            attachment_disposition(&a.file_name),
        ),
        (
            HeaderName::from_static("repr-digest"),
            repr_digest(&a.sha256),
        ),
    ];
    let mut res = (headers, bytes).into_response();
    for (name, value) in ATTACHMENT_HEADERS {
        res.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inline_flag_is_taken_out_of_the_query() {
        let split = |q: &str| split_inline(Some(q.to_string())).map_err(|e| e.to_string());
        assert_eq!(split("inline=1"), Ok((true, None)));
        assert_eq!(
            split("metric=steps&inline=0&ids=1"),
            Ok((false, Some("metric=steps&ids=1".to_string())))
        );
        assert_eq!(
            split("metric=steps"),
            Ok((false, Some("metric=steps".into())))
        );
        assert!(split("inline=yes").is_err());
        assert!(split("inline=1&inline=1").is_err());
        assert_eq!(
            split_inline(None).map_err(|e| e.to_string()),
            Ok((false, None))
        );
    }
}
