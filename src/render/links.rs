//! Links with query strings, for view models that point at filtered lists.

use super::report;

/// `key=value&…`, percent-encoded.
pub fn query_string(pairs: &[(&str, String)]) -> String {
    serde_html_form::to_string(pairs).unwrap_or_default()
}

/// `path?query`, or `path` alone for an empty query.
pub fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    let q = query_string(pairs);
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{q}")
    }
}

/// The `kind` filters of the incident list for a report's kinds.
pub fn kind_pairs(case_studies: bool) -> Vec<(&'static str, String)> {
    report::kinds(case_studies)
        .into_iter()
        .map(|k| ("kind", k.as_str().to_string()))
        .collect()
}

/// One link of a segmented control (the current choice is marked).
pub struct ChoiceView {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}
