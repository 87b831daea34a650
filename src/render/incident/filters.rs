//! The incident filters as the visitor gave them (text, as typed): what the
//! filter form shows again and what its links carry. Reading them into a
//! store query, with a 400 naming a bad parameter, is the web extractor's
//! (`web::extract::incident_filters`).

use serde::Deserialize;

use crate::store::Cursor;

/// The raw parameters; every list may be given as repeated keys or commas.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query, style = Form)]
pub struct FilterParams {
    /// Incident IDs.
    pub incident: Vec<String>,
    #[param(schema_with = crate::domain::Status::filter_schema, required = false, explode)]
    pub status: Vec<String>,
    #[param(schema_with = crate::domain::Severity::filter_schema, required = false, explode)]
    pub severity: Vec<String>,
    #[param(schema_with = crate::domain::Kind::filter_schema, required = false, explode)]
    pub kind: Vec<String>,
    pub tag: Vec<String>,
    /// Technique IDs like AML.T0051 (with their sub-techniques unless `technique_exact`).
    pub technique: Vec<String>,
    /// `1`: only the techniques named, not their sub-techniques.
    #[param(value_type = Option<String>, pattern = r"^\s*(0|1|true|false|on)?\s*$")]
    pub technique_exact: Option<String>,
    /// `any` (default) or `all` of several techniques.
    #[param(value_type = Option<String>, pattern = r"^\s*(any|all)?\s*$")]
    pub techniques_match: Option<String>,
    /// Tactic IDs like AML.TA0002.
    pub tactic: Vec<String>,
    #[param(max_length = 200)]
    pub target: Option<String>,
    /// Occurred from: `2020`, `2020-03`, `2020-03-15`, `2020-03-15T10:30` or RFC 3339.
    #[param(value_type = Option<String>, pattern = r"^\s*(\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:\d{2})?)?)?)?)?\s*$")]
    pub from: Option<String>,
    #[param(value_type = Option<String>, pattern = r"^\s*(\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:\d{2})?)?)?)?)?\s*$")]
    pub to: Option<String>,
    #[param(value_type = Option<String>, pattern = r"^\s*(\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:\d{2})?)?)?)?)?\s*$")]
    pub detected_from: Option<String>,
    #[param(value_type = Option<String>, pattern = r"^\s*(\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:\d{2})?)?)?)?)?\s*$")]
    pub detected_to: Option<String>,
    #[param(value_type = Option<String>, pattern = r"^\s*(\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:\d{2})?)?)?)?)?\s*$")]
    pub resolved_from: Option<String>,
    #[param(value_type = Option<String>, pattern = r"^\s*(\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:\d{2})?)?)?)?)?\s*$")]
    pub resolved_to: Option<String>,
    /// `overlap` (default): a range holds every incident whose stated period
    /// overlaps it; `middle`: those whose period's middle lies in it (as the
    /// dashboard and the briefing count, so their numbers link to the same list).
    #[param(value_type = Option<String>, pattern = r"^\s*(overlap|middle)?\s*$")]
    pub dates: Option<String>,
    /// Full-text search.
    #[param(max_length = 200)]
    pub q: Option<String>,
    #[param(value_type = Option<String>, pattern = r"^\s*(-occurred|occurred|-updated|-severity|title|relevance)?\s*$")]
    pub sort: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
    /// Keyset pagination: the opaque token of the row the page starts after
    /// (`next_after` of the previous page, or the `Link` header's).
    pub after: Option<String>,
    /// `mine` (owned by or with the visitor taking part) or `unassigned` (no owner).
    #[param(value_type = Option<String>, pattern = r"^\s*(mine|unassigned)?\s*$")]
    pub assigned: Option<String>,
}

impl FilterParams {
    /// The same filters as a query string, with `page` replaced (for pagination
    /// links); empty parameters are left out.
    pub fn query_string_with_page(&self, page: Option<u32>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for (k, vs) in [
            ("incident", &self.incident),
            ("status", &self.status),
            ("severity", &self.severity),
            ("kind", &self.kind),
            ("tag", &self.tag),
            ("technique", &self.technique),
            ("tactic", &self.tactic),
        ] {
            for v in vs.iter().filter(|v| !v.trim().is_empty()) {
                pairs.push((k, v.clone()));
            }
        }
        for (k, v) in [
            ("target", &self.target),
            ("from", &self.from),
            ("to", &self.to),
            ("detected_from", &self.detected_from),
            ("detected_to", &self.detected_to),
            ("resolved_from", &self.resolved_from),
            ("resolved_to", &self.resolved_to),
            ("dates", &self.dates),
            ("technique_exact", &self.technique_exact),
            ("techniques_match", &self.techniques_match),
            ("q", &self.q),
            ("assigned", &self.assigned),
            ("sort", &self.sort),
            ("per_page", &self.per_page),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.trim().is_empty()) {
                pairs.push((k, v.clone()));
            }
        }
        if let Some(p) = page {
            pairs.push(("page", p.to_string()));
        }
        serde_html_form::to_string(&pairs).unwrap_or_default()
    }

    /// The same filters with the keyset token of the page after this one
    /// (and its number, for display).
    pub fn query_string_after(&self, after: &Cursor, page: u32) -> String {
        let mut q = self.query_string_with_page(Some(page));
        q.push_str("&after=");
        q.push_str(&after.encode());
        q
    }
}
