//! The query of every highlighted-matrix view (`/matrix`, `/matrix.svg`,
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

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::atlas::ids::is_technique_id;
use crate::atlas::{KNOWN_PLATFORMS, platform_slug};
use crate::domain::{Kind, Severity, Status};
use crate::render::heat::{Metric, Scale};
use crate::render::{MatrixOptions, SubtechniqueMode};
use crate::store::{IncidentQuery, Sort};
use crate::web::AppError;
use crate::web::extract::incident_filters::{FilterParams, MAX_FILTER_VALUES};

/// Which sub-technique lists are open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubsMode {
    /// Lists holding an observed (or searched-for) sub-technique.
    #[default]
    Observed,
    Collapsed,
    All,
}

impl SubsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SubsMode::Observed => "observed",
            SubsMode::Collapsed => "collapsed",
            SubsMode::All => "all",
        }
    }

    fn parse(s: &str) -> Option<SubsMode> {
        match s {
            "" | "observed" => Some(SubsMode::Observed),
            "collapsed" | "none" => Some(SubsMode::Collapsed),
            "all" | "expanded" => Some(SubsMode::All),
            _ => None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawOptions {
    metric: Option<String>,
    scale: Option<String>,
    rollup: Option<String>,
    observed: Option<String>,
    subtechniques: Option<String>,
    expand: Vec<String>,
    ids: Option<String>,
    search: Option<String>,
    platform: Vec<String>,
}

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

fn flag(field: &'static str, value: Option<&str>) -> Result<bool, AppError> {
    match value.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "0" | "false" | "no" | "off") => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some(_) => Err(AppError::bad_request(
            field,
            format!("{field}: must be 1 or 0"),
        )),
    }
}

fn quoted(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    format!("{short:?}")
}

impl MatrixRequest {
    /// Parses a raw query string; a bad value is a 400 naming its parameter.
    pub fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        let mut filters = FilterParams::from_query(raw)?;
        // The matrix shows every chosen incident: no sort, no pages.
        filters.sort = None;
        filters.page = None;
        filters.per_page = None;
        let mut query = filters.to_query()?;
        query.sort = Sort::default();
        query.page = 1;
        query.per_page = 1;
        let o: RawOptions =
            serde_html_form::from_str(raw.unwrap_or("")).map_err(|e| AppError::BadRequest {
                message: format!("invalid query string: {e}"),
                field: None,
            })?;
        let metric = match o.metric.as_deref().map(str::trim) {
            None | Some("") => Metric::default(),
            Some(m) => Metric::parse(m).ok_or_else(|| {
                AppError::bad_request(
                    "metric",
                    format!("metric: must be incidents or steps, not {}", quoted(m)),
                )
            })?,
        };
        let scale = match o.scale.as_deref().map(str::trim) {
            None | Some("") => Scale::default(),
            Some(m) => Scale::parse(m).ok_or_else(|| {
                AppError::bad_request(
                    "scale",
                    format!("scale: must be log or linear, not {}", quoted(m)),
                )
            })?,
        };
        let subs =
            SubsMode::parse(o.subtechniques.as_deref().unwrap_or("").trim()).ok_or_else(|| {
                AppError::bad_request(
                    "subtechniques",
                    format!(
                        "subtechniques: must be observed, collapsed or all, not {}",
                        quoted(o.subtechniques.as_deref().unwrap_or(""))
                    ),
                )
            })?;
        let mut expand = BTreeSet::new();
        for id in o
            .expand
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if !is_technique_id(id) {
                return Err(AppError::bad_request(
                    "expand",
                    format!(
                        "expand: lists technique IDs such as AML.T0051, not {}",
                        quoted(id)
                    ),
                ));
            }
            expand.insert(id.to_string());
        }
        if expand.len() > MAX_FILTER_VALUES * 4 {
            return Err(AppError::bad_request(
                "expand",
                "expand: too many technique IDs",
            ));
        }
        let search = match o.search.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) if s.chars().count() > 100 => {
                return Err(AppError::bad_request(
                    "search",
                    "search: at most 100 characters",
                ));
            }
            Some(s) if s.chars().any(char::is_control) => {
                return Err(AppError::bad_request(
                    "search",
                    "search: contains control characters",
                ));
            }
            Some(s) => Some(s.to_string()),
        };
        let mut platforms: Vec<String> = Vec::new();
        for slug in o
            .platform
            .iter()
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
        {
            if platform_name(&slug).is_none() {
                let known: Vec<String> = KNOWN_PLATFORMS.iter().map(|p| platform_slug(p)).collect();
                return Err(AppError::bad_request(
                    "platform",
                    format!(
                        "platform: must be one of {}, not {}",
                        known.join(", "),
                        quoted(&slug)
                    ),
                ));
            }
            if !platforms.contains(&slug) {
                platforms.push(slug);
            }
        }
        platforms.sort_by_key(|s| KNOWN_PLATFORMS.iter().position(|p| platform_slug(p) == *s));
        Ok(MatrixRequest {
            platforms,
            filters,
            query,
            metric,
            scale,
            rollup: flag("rollup", o.rollup.as_deref())?,
            observed_only: flag("observed", o.observed.as_deref())?,
            subs,
            expand,
            show_ids: flag("ids", o.ids.as_deref())?,
            search,
        })
    }

    /// The matrix view's own options (which lists start open, IDs).
    pub fn view_options(&self) -> MatrixOptions {
        MatrixOptions {
            subtechniques: match self.subs {
                SubsMode::All => SubtechniqueMode::All,
                _ if self.expand.is_empty() => SubtechniqueMode::Collapsed,
                _ => SubtechniqueMode::Expanded(self.expand.clone()),
            },
            show_ids: self.show_ids,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn field(raw: &str) -> Option<String> {
        MatrixRequest::parse(Some(raw))
            .err()
            .and_then(|e| e.field().map(str::to_string))
    }

    #[test]
    fn defaults_and_canonical_links() {
        let r = MatrixRequest::parse(None).expect("empty");
        assert_eq!(r.query_string(), "");
        assert_eq!(r.href("/matrix"), "/matrix");
        assert_eq!(r.describe(), "All incidents");
        let ids = MatrixRequest::parse(Some("ids=1")).expect("ids");
        assert_eq!(
            ids.with(|r| r.subs = SubsMode::All).href("/matrix"),
            "/matrix?subtechniques=all&ids=1"
        );
        let r = MatrixRequest::parse(Some(
            "ids=yes&severity=high,critical&metric=steps&rollup=on&search=prompt+injection&observed=1&expand=AML.T0051&sort=title&page=3",
        ))
        .expect("full");
        assert_eq!(
            r.query_string(),
            "severity=high%2Ccritical&metric=steps&rollup=1&observed=1&search=prompt+injection&expand=AML.T0051&ids=1"
        );
        assert_eq!(r.describe(), "Incidents: severity high or critical");
        assert_eq!(
            MatrixRequest::parse(Some(&r.query_string()))
                .expect("again")
                .query_string(),
            r.query_string()
        );
    }

    #[test]
    fn bad_values_name_their_parameter() {
        assert_eq!(field("metric=heat").as_deref(), Some("metric"));
        assert_eq!(field("rollup=maybe").as_deref(), Some("rollup"));
        assert_eq!(field("observed=2").as_deref(), Some("observed"));
        assert_eq!(
            field("subtechniques=sideways").as_deref(),
            Some("subtechniques")
        );
        assert_eq!(field("expand=AML.TA0002").as_deref(), Some("expand"));
        assert_eq!(field("ids=perhaps").as_deref(), Some("ids"));
        assert_eq!(field("severity=urgent").as_deref(), Some("severity"));
        assert_eq!(field("from=yesterday").as_deref(), Some("from"));
        assert_eq!(field("search=%07").as_deref(), Some("search"));
        assert_eq!(field("platform=quantum-ai").as_deref(), Some("platform"));
        assert_eq!(
            field(&format!("search={}", "x".repeat(101))).as_deref(),
            Some("search")
        );
    }

    #[test]
    fn platform_slugs_match_the_names() {
        let slugs: Vec<String> = KNOWN_PLATFORMS.iter().map(|p| platform_slug(p)).collect();
        assert_eq!(slugs, PLATFORM_SLUGS);
    }

    #[test]
    fn platforms_parse_in_any_form_and_come_out_canonical() {
        let r = MatrixRequest::parse(Some(
            "platform=agentic-ai&platform=Generative-AI,agentic-ai&ids=1",
        ))
        .expect("valid");
        assert_eq!(r.platforms, ["generative-ai", "agentic-ai"]);
        assert_eq!(
            r.query_string(),
            "platform=generative-ai&platform=agentic-ai&ids=1"
        );
        assert_eq!(
            r.describe(),
            "All incidents; techniques of Generative AI or Agentic AI"
        );
    }

    #[test]
    fn filters_in_words() {
        let r = MatrixRequest::parse(Some(
            "kind=exercise&from=2024-01&to=2024-06&tag=demo&target=bank&q=invoice",
        ))
        .expect("valid");
        assert_eq!(
            r.describe(),
            "Incidents: kind exercise; tagged demo; target containing “bank”; occurred from 2024-01 to 2024-06; mentioning “invoice”"
        );
    }
}
