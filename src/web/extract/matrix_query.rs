//! Reading the query of a highlighted-matrix view (`/matrix`, `/matrix.svg`,
//! `/matrix/layer.json`, `/api/v1/matrix`) into a [`MatrixRequest`]: the
//! incident filters shared with the incident list plus the matrix's own
//! options; a bad value is a 400 naming its parameter. The parameters are
//! listed in `render::matrix_page::request`.

use serde::Deserialize;

use crate::atlas::{KNOWN_PLATFORMS, platform_slug};
use crate::render::heat::{Metric, Scale};
use crate::render::matrix_query::{MatrixQuery, OptionError, parse_flag, quoted};
use crate::store::Sort;
use crate::web::AppError;
use crate::web::extract::incident_filters::FilterParams;

pub use crate::render::matrix_page::request::{
    MatrixRequest, PLATFORM_SLUGS, join_queries, platform_name, with_query,
};
pub use crate::render::matrix_query::SubsMode;

/// The matrix's own query parameters (beside the incident filters); also
/// their OpenAPI description.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct RawOptions {
    /// What a cell counts.
    #[param(value_type = Option<String>, pattern = r"^\s*(incidents|steps)?\s*$")]
    metric: Option<String>,
    #[param(value_type = Option<String>, pattern = r"^\s*(log|linear)?\s*$")]
    scale: Option<String>,
    /// `1`: a parent technique's cell also counts its sub-techniques.
    #[param(schema_with = crate::render::matrix_query::flag_schema, required = false)]
    rollup: Option<String>,
    /// `1`: only techniques observed in the chosen incidents.
    #[param(schema_with = crate::render::matrix_query::flag_schema, required = false)]
    observed: Option<String>,
    /// How sub-techniques are shown.
    subtechniques: Option<String>,
    /// Techniques whose sub-techniques are shown expanded.
    expand: Vec<String>,
    #[param(schema_with = crate::render::matrix_query::flag_schema, required = false)]
    ids: Option<String>,
    #[param(max_length = 200)]
    search: Option<String>,
    platform: Vec<String>,
}

fn flag(field: &'static str, value: Option<&str>) -> Result<bool, AppError> {
    parse_flag(field, value).map_err(option_error)
}

fn option_error(e: OptionError) -> AppError {
    AppError::bad_request(e.field, e.message)
}

impl MatrixRequest {
    /// Parses a raw query string; a bad value is a 400 naming its parameter.
    pub fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        // The matrix shows every chosen incident: no sort, no pages. Those
        // parameters (carried over from a list link) are still checked as
        // the list checks them, so a bad one is a 400, not silently dropped.
        let mut filters = FilterParams::from_query(raw)?;
        let mut query = filters.to_query()?;
        // ...and left out of the matrix's own links.
        filters.sort = None;
        filters.page = None;
        filters.per_page = None;
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
        let display = MatrixQuery::parse(o.subtechniques.as_deref(), &o.expand, o.ids.as_deref())
            .map_err(option_error)?;
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
            subs: display.subs,
            expand: display.expand,
            show_ids: display.show_ids,
            search,
        })
    }
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
