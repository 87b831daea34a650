//! The query of every highlighted-matrix view, as parsed (`/matrix`, `/matrix.svg`,
//! `/matrix/layer.json`, `/api/v1/matrix`): the incident filters shared with
//! the incident list ([`FilterParams`]) plus the matrix's own options.
//!
//! | parameter | values | meaning |
//! | --- | --- | --- |
//! | `incident`, `status`, `severity`, `kind`, `tag`, `technique`, `tactic`, `target`, `from`, `to`, `detected_from`, `detected_to`, `resolved_from`, `resolved_to`, `dates`, `q` | as on `/incidents` | which incidents count (`q` searches the incidents' text) |
//! | `metric` | `incidents` (default), `steps` | the score that colours the cells |
//! | `scale` | `log` (default), `linear` | how scores map to the five heat levels |
//! | `rollup` | `1`/`0` | add sub-technique scores to their parent |
//! | `observed` | `1`/`0` | show only techniques with observations |
//! | `subtechniques` | `observed` (default), `collapsed`, `all` | which sub-technique lists are open |
//! | `expand` | technique IDs | parents whose lists are open as well |
//! | `ids` | `1`/`0` | show ATLAS IDs |
//! | `search` | words | mark the techniques whose ID or name holds every word |
//! | `platform` | `predictive-ai`, `generative-ai`, `agentic-ai`, `enterprise` (several allowed) | show only the techniques of these platforms |
//!
//! `q` keeps its meaning from the incident list (which incidents); `search`
//! is about techniques, so one URL can say "incidents mentioning 'invoice',
//! and show me where 'prompt' techniques are".
//!
//! Parsing it from a request (a 400 naming a bad parameter) is the web
//! extractor's (`web::extract::matrix_query`); here is what the page and
//! its links make of it.

use std::collections::BTreeSet;

use crate::atlas::{KNOWN_PLATFORMS, platform_slug};
use crate::domain::{Kind, Severity, Status};
use crate::render::MatrixOptions;
use crate::render::heat::{Metric, Scale};
use crate::render::incident::filters::FilterParams;
use crate::render::matrix_query::{MatrixQuery, SubsMode};
use crate::store::IncidentQuery;

/// A parsed matrix query.
#[derive(Debug, Clone)]
pub struct MatrixRequest {
    /// The filters as given, for links and the form.
    pub filters: FilterParams,
    /// The filters parsed.
    pub query: IncidentQuery,
    pub metric: Metric,
    /// How scores map to heat levels.
    pub scale: Scale,
    pub rollup: bool,
    pub observed_only: bool,
    pub subs: SubsMode,
    pub expand: BTreeSet<String>,
    pub show_ids: bool,
    pub search: Option<String>,
    /// Platform slugs (`generative-ai`), sorted: only their techniques are shown.
    pub platforms: Vec<String>,
}

/// The URL forms of [`KNOWN_PLATFORMS`], in the same order.
pub const PLATFORM_SLUGS: [&str; 4] =
    ["predictive-ai", "generative-ai", "agentic-ai", "enterprise"];

/// The platform whose slug is `slug`, as upstream names it.
pub fn platform_name(slug: &str) -> Option<&'static str> {
    KNOWN_PLATFORMS
        .iter()
        .copied()
        .find(|p| platform_slug(p) == slug)
}

impl MatrixRequest {
    /// The matrix view's own options (which lists start open, IDs).
    pub fn view_options(&self) -> MatrixOptions {
        MatrixQuery {
            subs: self.subs,
            expand: self.expand.clone(),
            show_ids: self.show_ids,
        }
        .view_options()
    }

    /// Identifies the chosen incidents: equal keys, equal aggregates.
    pub fn filter_key(&self) -> String {
        format!("{:?}", self.query)
    }

    /// The filter parameters as a query string (no leading `?`).
    pub fn filter_query(&self) -> String {
        self.filters.query_string_with_page(None)
    }

    /// The whole query, canonical: filters, then options that differ from
    /// their defaults, in a fixed order.
    pub fn query_string(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if self.metric != Metric::default() {
            pairs.push(("metric", self.metric.as_str().to_string()));
        }
        if self.scale != Scale::default() {
            pairs.push(("scale", self.scale.as_str().to_string()));
        }
        if self.rollup {
            pairs.push(("rollup", "1".to_string()));
        }
        if self.observed_only {
            pairs.push(("observed", "1".to_string()));
        }
        if let Some(s) = &self.search {
            pairs.push(("search", s.clone()));
        }
        for p in &self.platforms {
            pairs.push(("platform", p.clone()));
        }
        if self.subs != SubsMode::default() {
            pairs.push(("subtechniques", self.subs.as_str().to_string()));
        }
        if !self.expand.is_empty() && self.subs != SubsMode::All {
            pairs.push((
                "expand",
                self.expand.iter().cloned().collect::<Vec<_>>().join(","),
            ));
        }
        if self.show_ids {
            pairs.push(("ids", "1".to_string()));
        }
        let options = serde_html_form::to_string(&pairs).unwrap_or_default();
        join_queries(&self.filter_query(), &options)
    }

    /// `path` with this query.
    pub fn href(&self, path: &str) -> String {
        with_query(path, &self.query_string())
    }

    /// A copy with one thing changed, for toggle links.
    pub fn with(&self, change: impl FnOnce(&mut MatrixRequest)) -> MatrixRequest {
        let mut copy = self.clone();
        change(&mut copy);
        copy
    }

    /// The chosen incidents in words ("All incidents" when unfiltered), and
    /// the platforms whose techniques are shown.
    pub fn describe(&self) -> String {
        let incidents = describe_filters(&self.query);
        match self.platform_names().as_slice() {
            [] => incidents,
            names => format!("{incidents}; techniques of {}", or_list(names)),
        }
    }

    /// The chosen platforms as upstream names them.
    pub fn platform_names(&self) -> Vec<&'static str> {
        self.platforms
            .iter()
            .filter_map(|s| platform_name(s))
            .collect()
    }

    pub fn is_filtered(&self) -> bool {
        !self.filter_query().is_empty()
    }
}

/// `a&b`, leaving out empty halves.
pub fn join_queries(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}&{b}"),
    }
}

/// `path?query`, or `path` for an empty query.
pub fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

fn or_list(values: &[&str]) -> String {
    match values {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Filters in words: "Incidents of severity high or critical, occurred from
/// 2024-01 to 2024-06, tagged demo".
pub fn describe_filters(q: &IncidentQuery) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !q.ids.is_empty() {
        let ids: Vec<&str> = q.ids.iter().map(String::as_str).collect();
        parts.push(format!("incident {}", or_list(&ids)));
    }
    if !q.kinds.is_empty() {
        let v: Vec<&str> = q.kinds.iter().map(|k| k.label()).collect();
        parts.push(format!("kind {}", or_list(&v).to_lowercase()));
    }
    if !q.severities.is_empty() {
        let v: Vec<&str> = q.severities.iter().map(|s| s.as_str()).collect();
        parts.push(format!("severity {}", or_list(&v)));
    }
    if !q.statuses.is_empty() {
        let v: Vec<&str> = q.statuses.iter().map(|s| s.as_str()).collect();
        parts.push(format!("status {}", or_list(&v)));
    }
    if !q.tags.is_empty() {
        let v: Vec<&str> = q.tags.iter().map(String::as_str).collect();
        parts.push(format!("tagged {}", or_list(&v)));
    }
    if let Some(t) = &q.target {
        parts.push(format!("target containing “{t}”"));
    }
    if !q.techniques.is_empty() {
        let v: Vec<&str> = q.techniques.iter().map(String::as_str).collect();
        parts.push(format!("using technique {}", or_list(&v)));
    }
    if !q.tactics.is_empty() {
        let v: Vec<&str> = q.tactics.iter().map(String::as_str).collect();
        parts.push(format!("with a step under tactic {}", or_list(&v)));
    }
    for (word, from, to) in [
        ("occurred", &q.occurred_from, &q.occurred_to),
        ("detected", &q.detected_from, &q.detected_to),
        ("resolved", &q.resolved_from, &q.resolved_to),
    ] {
        let word = match q.dates {
            crate::domain::DateRule::Overlap => word.to_string(),
            crate::domain::DateRule::Middle => format!("{word} (by the middle of its date)"),
        };
        match (from, to) {
            (Some(f), Some(t)) => parts.push(format!("{word} from {f} to {t}")),
            (Some(f), None) => parts.push(format!("{word} from {f} on")),
            (None, Some(t)) => parts.push(format!("{word} up to {t}")),
            (None, None) => {}
        }
    }
    if let Some(text) = &q.text {
        parts.push(format!("mentioning “{text}”"));
    }
    if parts.is_empty() {
        "All incidents".to_string()
    } else {
        format!("Incidents: {}", parts.join("; "))
    }
}

/// The vocabularies the filter form offers.
pub fn severities() -> &'static [Severity] {
    Severity::ALL
}

pub fn statuses() -> &'static [Status] {
    Status::ALL
}

pub fn kinds() -> &'static [Kind] {
    Kind::ALL
}
