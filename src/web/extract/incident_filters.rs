//! Incident filters from a query string, shared by the HTML list, the JSON
//! API and (later) the matrix: repeated keys or comma lists, each value
//! checked, a bad one refused with a 400 naming the parameter.

use crate::atlas::ids::{is_tactic_id, is_technique_id};
use crate::domain::{DateRule, FuzzyTime, Kind, Severity, Status};
use crate::store::{Assigned, Cursor, IncidentQuery, Sort, TechniqueMatch};
use crate::web::AppError;

/// Longest list accepted for one filter parameter.
pub const MAX_FILTER_VALUES: usize = 50;
/// Largest page size.
pub const MAX_PER_PAGE: u32 = 200;
pub const DEFAULT_PER_PAGE: u32 = 25;

pub use crate::render::incident::filters::FilterParams;

fn split(field: &str, values: &[String]) -> Result<Vec<String>, AppError> {
    let out: Vec<String> = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    if out.len() > MAX_FILTER_VALUES {
        return Err(AppError::bad_request(
            field,
            format!("{field}: at most {MAX_FILTER_VALUES} values"),
        ));
    }
    Ok(out)
}

fn vocabulary<T>(
    field: &str,
    values: &[String],
    parse: fn(&str) -> Option<T>,
    expected: String,
) -> Result<Vec<T>, AppError> {
    split(field, values)?
        .iter()
        .map(|v| {
            parse(v).ok_or_else(|| {
                AppError::bad_request(field, format!("{field}: `{v}` is not {expected}"))
            })
        })
        .collect()
}

fn ids(
    field: &str,
    values: &[String],
    check: fn(&str) -> bool,
    example: &str,
) -> Result<Vec<String>, AppError> {
    let list = split(field, values)?;
    for v in &list {
        if !check(v) {
            return Err(AppError::bad_request(
                field,
                format!("{field}: `{v}` is not an ATLAS ID like {example}"),
            ));
        }
    }
    Ok(list)
}

fn time(field: &str, value: &Option<String>) -> Result<Option<FuzzyTime>, AppError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => FuzzyTime::parse(v)
            .map(Some)
            .map_err(|m| AppError::bad_request(field, format!("{field}: {m}"))),
    }
}

fn text(field: &str, value: &Option<String>) -> Result<Option<String>, AppError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > 200 => Err(AppError::bad_request(
            field,
            format!("{field}: at most 200 characters"),
        )),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// A checkbox: absent, empty, `0` or `false` is off; `1`, `true` or `on` is on.
fn flag(field: &str, value: &Option<String>) -> Result<bool, AppError> {
    match value.as_deref().map(str::trim) {
        None | Some("") | Some("0") | Some("false") => Ok(false),
        Some("1") | Some("true") | Some("on") => Ok(true),
        Some(_) => Err(AppError::bad_request(
            field,
            format!("{field}: must be 1 or 0"),
        )),
    }
}

fn number(field: &str, value: &Option<String>, default: u32, max: u32) -> Result<u32, AppError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(AppError::bad_request(
                field,
                format!("{field}: `{v}` is not a whole number from 1 to {max}"),
            )),
        },
    }
}

impl FilterParams {
    /// Parses a raw query string (`None` = no query).
    pub fn from_query(raw: Option<&str>) -> Result<Self, AppError> {
        serde_html_form::from_str(raw.unwrap_or("")).map_err(|e| AppError::BadRequest {
            message: format!("invalid query string: {e}"),
            field: None,
        })
    }

    pub fn to_query(&self) -> Result<IncidentQuery, AppError> {
        let q = IncidentQuery {
            ids: split("incident", &self.incident)?,
            statuses: vocabulary("status", &self.status, Status::parse, Status::expected())?,
            severities: vocabulary(
                "severity",
                &self.severity,
                Severity::parse,
                Severity::expected(),
            )?,
            kinds: vocabulary("kind", &self.kind, Kind::parse, Kind::expected())?,
            tags: split("tag", &self.tag)?
                .into_iter()
                .map(|t| t.to_lowercase())
                .collect(),
            target: text("target", &self.target)?,
            techniques: ids("technique", &self.technique, is_technique_id, "AML.T0051")?,
            techniques_exact: flag("technique_exact", &self.technique_exact)?,
            techniques_match: match self.techniques_match.as_deref().map(str::trim) {
                None | Some("") => TechniqueMatch::default(),
                Some(m) => TechniqueMatch::parse(m).ok_or_else(|| {
                    let shown: String = m.chars().take(20).collect();
                    AppError::bad_request(
                        "techniques_match",
                        format!("techniques_match: `{shown}` is not one of any, all"),
                    )
                })?,
            },
            tactics: ids("tactic", &self.tactic, is_tactic_id, "AML.TA0002")?,
            occurred_from: time("from", &self.from)?,
            occurred_to: time("to", &self.to)?,
            detected_from: time("detected_from", &self.detected_from)?,
            detected_to: time("detected_to", &self.detected_to)?,
            resolved_from: time("resolved_from", &self.resolved_from)?,
            resolved_to: time("resolved_to", &self.resolved_to)?,
            dates: match self.dates.as_deref().map(str::trim) {
                None | Some("") => DateRule::default(),
                Some(d) => DateRule::parse(d).ok_or_else(|| {
                    let shown: String = d.chars().take(20).collect();
                    AppError::bad_request(
                        "dates",
                        format!("dates: `{shown}` is not one of overlap, middle"),
                    )
                })?,
            },
            text: text("q", &self.q)?,
            assigned: match self.assigned.as_deref().map(str::trim) {
                None | Some("") => None,
                Some("mine") => Some(Assigned::To(crate::render::visitor::user_name())),
                Some("unassigned") => Some(Assigned::Nobody),
                Some(a) => {
                    let shown: String = a.chars().take(20).collect();
                    return Err(AppError::bad_request(
                        "assigned",
                        format!("assigned: `{shown}` is not one of mine, unassigned"),
                    ));
                }
            },
            sort: match self.sort.as_deref().map(str::trim) {
                // A search ranks by relevance unless another order is asked for.
                None | Some("") if text("q", &self.q)?.is_some() => Sort::Relevance,
                None | Some("") => Sort::default(),
                Some(s) => Sort::parse(s).ok_or_else(|| {
                    let names: Vec<&str> = Sort::ALL.iter().map(|s| s.as_str()).collect();
                    AppError::bad_request(
                        "sort",
                        format!("sort: `{s}` is not one of {}", names.join(", ")),
                    )
                })?,
            },
            page: number("page", &self.page, 1, 100_000)?,
            per_page: number("per_page", &self.per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
            after: match self.after.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(token) => Some(Cursor::decode(token).ok_or_else(|| {
                    AppError::bad_request(
                        "after",
                        "after: not a page token of this list (follow the Next link, or use page=)",
                    )
                })?),
            },
        };
        if let Some(c) = &q.after
            && c.sort != q.sort
        {
            return Err(AppError::bad_request(
                "after",
                "after: the page token belongs to another sort order",
            ));
        }
        if let (Some(from), Some(to)) = (&q.occurred_from, &q.occurred_to)
            && to.end() <= from.at
        {
            return Err(AppError::bad_request(
                "to",
                "to: the end of the range is before its start",
            ));
        }
        Ok(q)
    }
}
