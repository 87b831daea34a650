//! The attack-path story of an incident: its page (`/incidents/{id}/story`)
//! and the standalone picture (`/incidents/{id}/story.svg`), both taking
//! `?lanes=reached|all`. The layout is [`crate::render::story`]; other pages
//! embed the same story through `templates/story/_story.html`.

use crate::web::Routes;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::render::story::{LaneMode, StoryOptions, StoryView};
use crate::render::study_story::study_story;
use crate::service::incidents as uc;
use crate::web::pages::downloads;
use crate::web::{AppError, AppState};

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::ReadIncidents;
    Routes::new()
        .require(ReadIncidents, "/incidents/{id}/story", get(page))
        .require(ReadIncidents, "/incidents/{id}/story.svg", get(svg))
        .require(ReadIncidents, "/studies/{id}/story.svg", get(study_svg))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StoryQuery {
    pub lanes: Option<String>,
    /// `1`: show the SVG in place instead of downloading it.
    pub inline: Option<String>,
}

/// The lane mode asked for; a value other than `reached` or `all` is a 400.
fn lane_mode(query: Result<Query<StoryQuery>, QueryRejection>) -> Result<LaneMode, AppError> {
    Ok(options(query)?.0)
}

/// The lane mode and the `inline` flag.
fn options(query: Result<Query<StoryQuery>, QueryRejection>) -> Result<(LaneMode, bool), AppError> {
    let Query(q) = query.map_err(|e| AppError::bad_request("query", e.body_text()))?;
    let lanes = LaneMode::parse(q.lanes.as_deref())
        .map_err(|e| AppError::bad_request("lanes", e.message))?;
    Ok((lanes, downloads::inline_flag(q.inline.as_deref())?))
}

#[derive(Template, WebTemplate)]
#[template(path = "story/page.html")]
pub struct StoryPage {
    pub story: StoryView,
}

/// The standalone SVG (presentation attributes only: no CSS needed).
#[derive(Template)]
#[template(path = "story/story.svg")]
pub struct StorySvg {
    pub story: StoryView,
}

pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<StoryQuery>, QueryRejection>,
) -> Result<StoryPage, AppError> {
    let lanes = lane_mode(query)?;
    let story = incident_story(&state, &id, lanes, false).await?;
    Ok(StoryPage { story })
}

/// The attack path of the incident `id`.
async fn incident_story(
    state: &AppState,
    id: &str,
    lanes: LaneMode,
    titled: bool,
) -> Result<StoryView, AppError> {
    let detail = uc::get(&state.store, id).await?;
    let options = StoryOptions { lanes, titled };
    Ok(StoryView::build(&state.atlas.get(), &detail, options))
}

/// The standalone picture as a download (inline when asked).
fn svg_file(story: StoryView, inline: bool) -> Result<Response, AppError> {
    let file = story.file_name();
    let body = StorySvg { story }
        .render()
        .map_err(|e| AppError::Internal(format!("story SVG: {e}")))?;
    let content_type = "image/svg+xml; charset=utf-8";
    Ok(downloads::file(content_type, &file, inline, body))
}

pub async fn svg(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<StoryQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let (lanes, inline) = options(query)?;
    svg_file(incident_story(&state, &id, lanes, true).await?, inline)
}

/// `GET /studies/{id}/story.svg`: a case study's attack path as the
/// standalone picture (a download unless `?inline=1`).
pub async fn study_svg(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<StoryQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let (_, inline) = options(query)?;
    let atlas = state.atlas.get();
    let cs = atlas
        .release
        .case_studies
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| {
            let shown: String = id.chars().take(60).collect();
            AppError::NotFound(format!("Case study “{shown}”"))
        })?;
    svg_file(study_story(&atlas, cs, true), inline)
}
