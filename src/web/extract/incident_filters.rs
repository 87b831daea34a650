//! Incident filters from a query string, shared by the HTML list, the JSON
//! API and (later) the matrix: repeated keys or comma lists, each value
//! checked, a bad one refused with a 400 naming the parameter.

use crate::atlas::ids::{is_tactic_id, is_technique_id};
use crate::domain::{DateRule, FuzzyTime, Kind, Severity, Status};
use crate::store::{Assigned, Cursor, IncidentQuery, Sort, TechniqueMatch};
use crate::web::AppError;
use crate::web::extract::list_format::ListFormat;
use axum::http::HeaderMap;

/// The list's filters and the form asked for (see [`ListFormat::of`]),
/// every bad parameter of either named in the one 400.
pub fn list_request(
    raw: Option<&str>,
    headers: &HeaderMap,
    native: &'static str,
) -> Result<(IncidentQuery, ListFormat), AppError> {
    let format = ListFormat::of(raw, headers, native);
    let query = FilterParams::from_query(raw).and_then(|p| p.to_query());
    match (query, format) {
        (Ok(q), Ok(f)) => Ok((q, f)),
        (Err(a), Err(b)) => Err(AppError::all(vec![a, b])),
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

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
    if out.iter().any(|v| has_control(v)) {
        return Err(control_refused(field));
    }
    Ok(out)
}

/// Control characters (NUL among them, which PostgreSQL refuses in text
/// and answered as a 500) are in no tag, ID or searchable text.
fn has_control(v: &str) -> bool {
    v.chars().any(char::is_control)
}

fn control_refused(field: &str) -> AppError {
    AppError::bad_request(
        field,
        format!("{field}: control characters are not allowed"),
    )
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
        Some(v) if has_control(v) => Err(control_refused(field)),
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

/// The value of a parameter that parsed, else its default, the problem kept.
fn keep<T: Default>(parsed: Result<T, AppError>, bad: &mut Vec<AppError>) -> T {
    parsed.unwrap_or_else(|e| {
        bad.push(e);
        T::default()
    })
}

/// One word of a closed list (`expected` names them); absent is the default.
fn one_of<T: Default>(
    field: &str,
    value: &Option<String>,
    parse: fn(&str) -> Option<T>,
    expected: &str,
) -> Result<T, AppError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(T::default()),
        Some(v) => parse(v).ok_or_else(|| {
            let shown: String = v.chars().take(20).collect();
            AppError::bad_request(
                field,
                format!("{field}: `{shown}` is not one of {expected}"),
            )
        }),
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

    /// The store query; every bad parameter is named in the one 400 (not
    /// only the first).
    pub fn to_query(&self) -> Result<IncidentQuery, AppError> {
        let mut bad = Vec::new();
        let q = IncidentQuery {
            ids: keep(split("incident", &self.incident), &mut bad),
            statuses: keep(
                vocabulary("status", &self.status, Status::parse, Status::expected()),
                &mut bad,
            ),
            severities: keep(
                vocabulary(
                    "severity",
                    &self.severity,
                    Severity::parse,
                    Severity::expected(),
                ),
                &mut bad,
            ),
            kinds: keep(
                vocabulary("kind", &self.kind, Kind::parse, Kind::expected()),
                &mut bad,
            ),
            tags: keep(split("tag", &self.tag), &mut bad)
                .into_iter()
                .map(|t| t.to_lowercase())
                .collect(),
            target: keep(text("target", &self.target), &mut bad),
            techniques: keep(
                ids("technique", &self.technique, is_technique_id, "AML.T0051"),
                &mut bad,
            ),
            techniques_exact: keep(flag("technique_exact", &self.technique_exact), &mut bad),
            techniques_match: keep(
                one_of(
                    "techniques_match",
                    &self.techniques_match,
                    TechniqueMatch::parse,
                    "any, all",
                ),
                &mut bad,
            ),
            tactics: keep(
                ids("tactic", &self.tactic, is_tactic_id, "AML.TA0002"),
                &mut bad,
            ),
            occurred_from: keep(time("from", &self.from), &mut bad),
            occurred_to: keep(time("to", &self.to), &mut bad),
            detected_from: keep(time("detected_from", &self.detected_from), &mut bad),
            detected_to: keep(time("detected_to", &self.detected_to), &mut bad),
            resolved_from: keep(time("resolved_from", &self.resolved_from), &mut bad),
            resolved_to: keep(time("resolved_to", &self.resolved_to), &mut bad),
            dates: keep(
                one_of("dates", &self.dates, DateRule::parse, "overlap, middle"),
                &mut bad,
            ),
            text: keep(text("q", &self.q), &mut bad),
            assigned: keep(self.assigned(), &mut bad),
            sort: keep(self.sort(), &mut bad),
            page: keep(number("page", &self.page, 1, 100_000), &mut bad),
            per_page: keep(
                number("per_page", &self.per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE),
                &mut bad,
            ),
            after: keep(self.after(), &mut bad),
        };
        if !bad.is_empty() {
            return Err(AppError::all(bad));
        }
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

    fn assigned(&self) -> Result<Option<Assigned>, AppError> {
        match self.assigned.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some("mine") => Ok(Some(Assigned::To(crate::render::visitor::user_name()))),
            Some("unassigned") => Ok(Some(Assigned::Nobody)),
            Some(a) => {
                let shown: String = a.chars().take(20).collect();
                Err(AppError::bad_request(
                    "assigned",
                    format!("assigned: `{shown}` is not one of mine, unassigned"),
                ))
            }
        }
    }

    fn sort(&self) -> Result<Sort, AppError> {
        match self.sort.as_deref().map(str::trim) {
            // A search ranks by relevance unless another order is asked for.
            None | Some("") if text("q", &self.q).ok().flatten().is_some() => Ok(Sort::Relevance),
            None | Some("") => Ok(Sort::default()),
            Some(s) => Sort::parse(s).ok_or_else(|| {
                let names: Vec<&str> = Sort::ALL.iter().map(|s| s.as_str()).collect();
                AppError::bad_request(
                    "sort",
                    format!("sort: `{s}` is not one of {}", names.join(", ")),
                )
            }),
        }
    }

    fn after(&self) -> Result<Option<Cursor>, AppError> {
        match self.after.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(token) => Cursor::decode(token).map(Some).ok_or_else(|| {
                AppError::bad_request(
                    "after",
                    "after: not a page token of this list (follow the Next link, or use page=)",
                )
            }),
        }
    }
}
