//! The executive briefing (`/briefing`): one page for a board, built by
//! [`crate::render::briefing`]: calendar quarter and month presets, this
//! quarter against the last with the four-quarter trend, the most serious
//! incidents in plain words, the techniques seen most with the ATLAS
//! mitigations beside the team's own actions from its retrospectives, and
//! the story of the most serious incident. It prints on exactly one A4 or US
//! Letter page (the sheet has the height of the smaller page and clips, so a
//! long title can never spill onto a second), and `/briefing.pdf` prints it
//! server-side when a Chromium is installed.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use super::{
    Paper, ReportParams, cached_report, facts_cache, period_data, period_query, period_report,
    today,
};
use crate::export::pdf::{self, PRINT_CSP};
use crate::render::briefing::controls::BriefingControlsView;
use crate::render::briefing::sheet::story_incident;
use crate::render::briefing::{BriefingSheetView, SheetInput, quarters};
use crate::render::period::{Period, Preset};
use crate::render::report::kinds;
use crate::service::reports;
use crate::web::{AppError, AppState};

#[derive(Template)]
#[template(path = "reports/briefing.html")]
pub struct BriefingPage {
    pub sheet: BriefingSheetView,
    pub controls: BriefingControlsView,
    pub pdf_available: bool,
    pub pdf_hint: bool,
}

impl std::ops::Deref for BriefingPage {
    type Target = BriefingControlsView;
    fn deref(&self) -> &BriefingControlsView {
        &self.controls
    }
}

/// The briefing as a self-contained document for Chromium to print.
#[derive(Template)]
#[template(path = "reports/briefing_document.html")]
pub struct BriefingDocument {
    pub sheet: BriefingSheetView,
    pub csp: &'static str,
    /// Our own stylesheets, inlined (trusted: files of this crate).
    pub css: String,
}

struct Loaded {
    period: Period,
    case_studies: bool,
    sheet: BriefingSheetView,
}

fn paper_class(paper: Option<Paper>) -> &'static str {
    match paper {
        Some(Paper::A4) => "paper-a4",
        Some(Paper::Letter) => "paper-letter",
        None => "paper-any",
    }
}

async fn load(
    state: &AppState,
    params: &ReportParams,
    paper: Option<Paper>,
) -> Result<Loaded, AppError> {
    let period = params.period(today(), Preset::Days90)?;
    let case_studies = params.case_studies()?;
    let atlas = state.atlas.get();
    let (data, previous) = period_data(state, &period, case_studies).await?;
    let facts = facts_cache::facts(&atlas, &data);
    let before = previous.map(|p| facts_cache::facts(&atlas, &p));
    let serious = facts.most_serious(&data, 3);
    let story_id = story_incident(&facts, &serious).map(|i| data.incidents[i].id.as_str());
    let trend = period_query(&quarters::span(&period), kinds(case_studies));
    let trend = period_report(state, &trend, false).await?;
    let extras = reports::briefing_extras(&state.store, story_id).await?;
    let sheet = BriefingSheetView::build(&SheetInput {
        atlas: &atlas,
        period: &period,
        case_studies,
        data: &data,
        facts: &facts,
        before: before.as_deref(),
        trend: &trend.incidents,
        retros: &extras.retros,
        serious: &serious,
        story: extras.story.as_ref(),
        paper_class: paper_class(paper),
        tasks: extras.tasks,
    });
    Ok(Loaded {
        period,
        case_studies,
        sheet,
    })
}

pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    cached_report(&state, "briefing", raw.as_deref(), async || {
        let page = build(&state, raw.as_deref()).await?;
        page.render()
            .map_err(|e| AppError::Internal(format!("briefing: {e}")))
    })
    .await
}

async fn build(state: &AppState, raw: Option<&str>) -> Result<BriefingPage, AppError> {
    let params = ReportParams::parse(raw)?;
    let paper = params.paper()?;
    let loaded = load(state, &params, paper).await?;
    Ok(BriefingPage {
        controls: BriefingControlsView::build(&loaded.period, loaded.case_studies, paper),
        pdf_available: pdf::chromium().is_some(),
        pdf_hint: params.pdf_unavailable(),
        sheet: loaded.sheet,
    })
}

/// `/briefing.pdf`: the sheet printed by Chromium, or (without one) the
/// print view with a hint.
pub async fn pdf(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = ReportParams::parse(raw.as_deref())?;
    let paper = params.paper()?.unwrap_or(Paper::A4);
    let Some(chromium) = pdf::chromium() else {
        return Ok(Redirect::to(&print_view("/briefing", raw.as_deref(), paper)).into_response());
    };
    let loaded = load(&state, &params, Some(paper)).await?;
    let mut css = pdf::base_css();
    css.push_str(include_str!("../../../../static/briefing.css"));
    css.push_str(paper.css());
    let html = BriefingDocument {
        sheet: loaded.sheet,
        csp: PRINT_CSP,
        css,
    }
    .render()
    .map_err(|e| AppError::Internal(format!("briefing document: {e}")))?;
    let bytes = pdf::print(&chromium, &html).await.map_err(pdf_error)?;
    let name = format!(
        "atlasview-briefing-{}-{}.pdf",
        loaded.period.last_day().format("%Y-%m-%d"),
        paper.as_str()
    );
    Ok(pdf_response(bytes, &name))
}

/// The print view of a page whose PDF was asked for on a server without
/// Chromium: the same query, the paper kept, and the hint flag.
pub fn print_view(path: &str, raw: Option<&str>, paper: Paper) -> String {
    let mut pairs: Vec<(String, String)> =
        serde_html_form::from_str(raw.unwrap_or("")).unwrap_or_default();
    pairs.retain(|(k, _)| k != "pdf" && k != "paper");
    pairs.push(("paper".into(), paper.as_str().into()));
    pairs.push(("pdf".into(), "unavailable".into()));
    format!(
        "{path}?{}",
        serde_html_form::to_string(&pairs).unwrap_or_default()
    )
}

pub fn pdf_error(e: pdf::PdfError) -> AppError {
    match e {
        pdf::PdfError::Busy => AppError::TooManyRequests(e.to_string()),
        other => AppError::Internal(format!("PDF: {other}")),
    }
}

pub fn pdf_response(bytes: Vec<u8>, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
