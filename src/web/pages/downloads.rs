//! Downloads: every file route answers `Content-Disposition: attachment`
//! with a meaningful name ([`crate::render::download`]), unless the query
//! says `inline=1` (for an `<img>` or a preview in the tab).

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::render::download::disposition;
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
