//! The reporting pages: the dashboard (`/`), the executive briefing
//! (`/briefing`, one printed page), the incident retrospective
//! (`/incidents/{id}/retrospective`), and their PDF downloads, printed by a
//! headless Chromium when the server has one ([`crate::export::pdf`]).
//!
//! | route | role | what |
//! | --- | --- | --- |
//! | `GET /` | viewer | dashboard: `period`, `from`, `to`, `case_studies`, `refresh`, `top`, `scale` |
//! | `GET /briefing` | viewer | briefing: the same period parameters and `paper` |
//! | `GET /briefing.pdf` | viewer | the briefing as PDF (`paper=a4` or `letter`) |
//! | `GET /incidents/{id}/retrospective` | viewer | the review document |
//! | `GET /incidents/{id}/retrospective.pdf` | viewer | the same as PDF |
//! | `POST /incidents/{id}/retrospective/notes` | analyst | save the review notes |
//! | `POST /incidents/{id}/retrospective/checklist` | analyst | save the mitigation checklist |

mod briefing;
mod dashboard;
pub mod data_cache;
pub mod facts_cache;
mod retrospective;
pub mod routes;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::{DateRule, Kind};
use crate::render::heat::Scale;
use crate::render::period::{Period, Preset};
use crate::render::report;
use std::sync::Arc;

use crate::store::{IncidentQuery, ReportData};
use crate::web::response_cache::{Cached, ResponseSlot};
use crate::web::{AppError, AppState};
use axum::response::Response;

/// Rows the dashboard ranks by default, and at most.
pub use crate::render::dashboard::DEFAULT_TOP;
pub const MAX_TOP: usize = 50;

/// The query of the reporting pages (unknown parameters are ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportParams {
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub case_studies: Option<String>,
    pub refresh: Option<String>,
    /// How many rows the dashboard's "seen most" lists show.
    pub top: Option<String>,
    /// The small matrix's heat scale: `log` (default) or `linear`.
    pub scale: Option<String>,
    pub paper: Option<String>,
    /// `unavailable`: a PDF was asked for and this server cannot print one.
    pub pdf: Option<String>,
}

pub use crate::render::paper::Paper;

/// A yes/no parameter, spelled as the matrix's are.
pub fn flag(field: &'static str, value: Option<&str>) -> Result<bool, AppError> {
    crate::render::matrix_query::parse_flag(field, value)
        .map_err(|e| AppError::bad_request(e.field, e.message))
}

impl ReportParams {
    pub fn parse(raw: Option<&str>) -> Result<ReportParams, AppError> {
        serde_html_form::from_str(raw.unwrap_or("")).map_err(|e| AppError::BadRequest {
            message: format!("invalid query string: {e}"),
            field: None,
        })
    }

    pub fn period(&self, today: NaiveDate, default: Preset) -> Result<Period, AppError> {
        Period::parse(
            self.period.as_deref(),
            self.from.as_deref(),
            self.to.as_deref(),
            today,
            default,
        )
        .map_err(|e| AppError::bad_request(e.field, e.message))
    }

    pub fn case_studies(&self) -> Result<bool, AppError> {
        flag("case_studies", self.case_studies.as_deref())
    }

    /// `None`, `a4` or `letter`.
    pub fn paper(&self) -> Result<Option<Paper>, AppError> {
        match self
            .paper
            .as_deref()
            .map(|p| p.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("") => Ok(None),
            Some("a4") => Ok(Some(Paper::A4)),
            Some("letter" | "us-letter") => Ok(Some(Paper::Letter)),
            Some(_) => Err(AppError::bad_request(
                "paper",
                "paper: must be a4 or letter",
            )),
        }
    }

    /// Seconds between reloads of a wall screen (10 to 3600), if asked.
    pub fn refresh(&self) -> Result<Option<u32>, AppError> {
        match self.refresh.as_deref().map(str::trim) {
            None | Some("" | "0" | "off") => Ok(None),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (10..=3600).contains(&n) => Ok(Some(n)),
                _ => Err(AppError::bad_request(
                    "refresh",
                    "refresh: seconds between reloads, from 10 to 3600 (or 0 for off)",
                )),
            },
        }
    }

    /// Rows of the dashboard's ranked lists: 1 to [`MAX_TOP`], [`DEFAULT_TOP`] when absent.
    pub fn top(&self) -> Result<usize, AppError> {
        match self.top.as_deref().map(str::trim) {
            None | Some("") => Ok(DEFAULT_TOP),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=MAX_TOP).contains(&n) => Ok(n),
                _ => Err(AppError::bad_request(
                    "top",
                    format!("top: how many techniques and tactics to rank, from 1 to {MAX_TOP}"),
                )),
            },
        }
    }

    /// The heat scale of the small matrix.
    pub fn scale(&self) -> Result<Scale, AppError> {
        match self.scale.as_deref().map(str::trim) {
            None | Some("") => Ok(Scale::default()),
            Some(v) => Scale::parse(v)
                .ok_or_else(|| AppError::bad_request("scale", "scale: must be log or linear")),
        }
    }

    pub fn pdf_unavailable(&self) -> bool {
        self.pdf.as_deref() == Some("unavailable")
    }
}

/// The incidents of a period and kinds, as the store filters them.
pub fn period_query(period: &Period, kinds: Vec<Kind>) -> IncidentQuery {
    let (occurred_from, occurred_to) = match period.preset {
        Some(Preset::All) => (None, None),
        _ => period.bounds(),
    };
    IncidentQuery {
        kinds,
        occurred_from,
        occurred_to,
        // Each incident in exactly one of two adjacent periods.
        dates: DateRule::Middle,
        ..IncidentQuery::default()
    }
}

/// A period's report data and, where the period has one, the previous
/// period's (for trends).
pub async fn period_data(
    state: &AppState,
    period: &Period,
    case_studies: bool,
) -> Result<(Arc<ReportData>, Option<Arc<ReportData>>), AppError> {
    let kinds = report::kinds(case_studies);
    let data = period_report(state, &period_query(period, kinds.clone()), true).await?;
    let previous = match period.previous() {
        Some(p) => Some(period_report(state, &period_query(&p, kinds), true).await?),
        None => None,
    };
    Ok((data, previous))
}

/// The report data of `query` (with steps when `steps`) as it is now, from
/// the reports' data cache.
pub async fn period_report(
    state: &AppState,
    query: &IncidentQuery,
    steps: bool,
) -> Result<Arc<ReportData>, AppError> {
    let stamp = crate::service::matrix::data_stamp(&state.store).await?;
    data_cache::report_data(&state.store, &stamp, query, steps).await
}

pub use crate::render::links::{kind_pairs, query_string, with_query};

/// Serves a report page from the response cache, or renders it with
/// `render` and keeps it. Its body is a function of the data, the release,
/// the query, the visitor and today's date (periods are relative), and
/// nothing else, so it stays valid until one of them changes.
pub async fn cached_report<F>(
    state: &AppState,
    kind: &'static str,
    raw: Option<&str>,
    render: F,
) -> Result<Response, AppError>
where
    F: AsyncFnOnce() -> Result<String, AppError>,
{
    let stamp = crate::service::matrix::data_stamp(&state.store).await?;
    let atlas = state.atlas.get();
    let key = format!("{}\n{}", raw.unwrap_or(""), today());
    let slot = ResponseSlot::for_visitor(&stamp, &atlas, kind, key);
    let body = slot
        .get_or_render(async || Ok(Cached::html(render().await?)))
        .await?;
    Ok(body.respond())
}

/// Today in UTC (the reports' clock).
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}
