//! Which form of the incident list a request asks for: the route's own
//! (HTML page or JSON) or CSV, by `?format=` or, without it, by `Accept:
//! text/csv`; and which rows a CSV holds (`?rows=incidents|steps`). A value
//! outside these is a 400 naming `format` or `rows`.

use axum::http::{HeaderMap, header};
use serde::Deserialize;

use crate::export::csv::CsvRows;
use crate::web::AppError;

/// The route's usual form (`html` for the page, `json` for the API) or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Native,
    Csv(CsvRows),
}

/// `?format=` and `?rows=`; also their OpenAPI description.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// `json` (the default) or `csv`; without it `Accept: text/csv` asks for CSV.
    #[param(value_type = Option<String>, pattern = r"^\s*(json|csv)?\s*$")]
    format: Vec<String>,
    /// CSV rows: `incidents` (default) or `steps`.
    #[param(value_type = Option<String>, pattern = r"^\s*(incidents|steps)?\s*$")]
    rows: Vec<String>,
}

impl ListFormat {
    /// `native` is the route's own format word (`html` or `json`), whose
    /// media type (`text/html`, `application/json`) the `Accept` header is
    /// weighed against.
    pub fn of(
        raw: Option<&str>,
        headers: &HeaderMap,
        native: &'static str,
    ) -> Result<ListFormat, AppError> {
        // Only these two keys: every other key is the filters' (whose own
        // reader reports the query string's syntax errors).
        // Read as lists, so that a key given twice is refused rather than
        // the pair silently ignored (found by schemathesis: `format=x&format=x`
        // answered JSON).
        let params: Params = serde_html_form::from_str(raw.unwrap_or("")).unwrap_or_default();
        let mut bad = Vec::new();
        let once = |field: &str, values: &[String], bad: &mut Vec<AppError>| -> Option<String> {
            match values {
                [] => None,
                [one] => Some(one.clone()),
                _ => {
                    bad.push(AppError::bad_request(
                        field,
                        format!("{field}: give it once, not {} times", values.len()),
                    ));
                    None
                }
            }
        };
        let rows_value = once("rows", &params.rows, &mut bad);
        let format_value = once("format", &params.format, &mut bad);
        let rows = match rows_value.as_deref().map(str::trim) {
            None | Some("") => CsvRows::default(),
            Some(r) => CsvRows::parse(r).unwrap_or_else(|| {
                let shown: String = r.chars().take(20).collect();
                bad.push(AppError::bad_request(
                    "rows",
                    format!("rows: `{shown}` is not one of incidents, steps"),
                ));
                CsvRows::default()
            }),
        };
        let format = match format_value.as_deref().map(str::trim) {
            None | Some("") => {
                if prefers_csv(headers, native) {
                    ListFormat::Csv(rows)
                } else {
                    ListFormat::Native
                }
            }
            Some("csv") => ListFormat::Csv(rows),
            Some(f) if f == native => ListFormat::Native,
            Some(f) => {
                let shown: String = f.chars().take(20).collect();
                bad.push(AppError::bad_request(
                    "format",
                    format!("format: `{shown}` is not one of {native}, csv"),
                ));
                ListFormat::Native
            }
        };
        if bad.is_empty() {
            Ok(format)
        } else {
            Err(AppError::all(bad))
        }
    }
}

fn media_type(native: &str) -> &'static str {
    match native {
        "html" => "text/html",
        _ => "application/json",
    }
}

/// Whether `Accept` names `text/csv` (with a weight above 0) at least as
/// highly as the route's own type. Wildcards do not choose CSV: a browser's
/// `text/html,…,*/*;q=0.8` keeps the page.
fn prefers_csv(headers: &HeaderMap, native: &str) -> bool {
    let own = media_type(native);
    let own_range = format!("{}/*", own.split('/').next().unwrap_or(""));
    let mut csv: Option<f32> = None;
    let mut theirs: Option<f32> = None;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let range = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if range == "text/csv" {
                csv = Some(csv.map_or(q, |c| c.max(q)));
            } else if range == own || range == own_range {
                theirs = Some(theirs.map_or(q, |t| t.max(q)));
            }
        }
    }
    match csv {
        Some(c) if c > 0.0 => theirs.is_none_or(|t| c >= t),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    /// Found by schemathesis: a repeated key was ignored (JSON answered).
    #[test]
    fn a_key_given_twice_is_refused() {
        let none = HeaderMap::new();
        let err = ListFormat::of(Some("format=null&format=null"), &none, "json").unwrap_err();
        assert_eq!(err.field(), Some("format"));
        let err =
            ListFormat::of(Some("format=csv&rows=steps&rows=steps"), &none, "json").unwrap_err();
        assert_eq!(err.field(), Some("rows"));
        assert_eq!(
            ListFormat::of(Some("format=csv&rows=steps"), &none, "json").unwrap(),
            ListFormat::Csv(CsvRows::Steps)
        );
    }

    #[test]
    fn format_and_accept_choose_csv() {
        let none = HeaderMap::new();
        assert_eq!(
            ListFormat::of(None, &none, "json").unwrap(),
            ListFormat::Native
        );
        assert_eq!(
            ListFormat::of(Some("format=csv&rows=steps"), &none, "json").unwrap(),
            ListFormat::Csv(CsvRows::Steps)
        );
        assert_eq!(
            ListFormat::of(Some("format=json"), &accept("text/csv"), "json").unwrap(),
            ListFormat::Native
        );
        assert_eq!(
            ListFormat::of(None, &accept("text/csv"), "json").unwrap(),
            ListFormat::Csv(CsvRows::Incidents)
        );
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(
            ListFormat::of(None, &accept(browser), "html").unwrap(),
            ListFormat::Native
        );
        assert_eq!(
            ListFormat::of(None, &accept("text/html;q=0.5, text/csv"), "html").unwrap(),
            ListFormat::Csv(CsvRows::Incidents)
        );
        assert_eq!(
            ListFormat::of(None, &accept("text/csv;q=0"), "json").unwrap(),
            ListFormat::Native
        );
    }

    #[test]
    fn unknown_values_name_their_parameter() {
        let none = HeaderMap::new();
        let e = ListFormat::of(Some("format=xlsx"), &none, "json").unwrap_err();
        assert_eq!(e.field(), Some("format"));
        let e = ListFormat::of(Some("format=html"), &none, "json").unwrap_err();
        assert!(e.to_string().contains("json, csv"), "{e}");
        let e = ListFormat::of(Some("format=pdf&rows=tactics"), &none, "json").unwrap_err();
        assert!(
            e.to_string().contains("rows") && e.to_string().contains("format"),
            "{e}"
        );
    }
}
