//! The attack-path story of an incident: its page (`/incidents/{id}/story`)
//! and the standalone picture (`/incidents/{id}/story.svg`), both taking
//! `?lanes=reached|all`. The layout is [`crate::render::story`]; other pages
//! embed the same story through `templates/story/_story.html`.

use crate::web::Routes;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::domain::IncidentDetail;
use crate::render::story::{LaneMode, StoryOptions, StoryView};
use crate::web::{AppError, AppState};

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::ReadIncidents;
    Routes::new()
        .require(ReadIncidents, "/incidents/{id}/story", get(page))
        .require(ReadIncidents, "/incidents/{id}/story.svg", get(svg))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StoryQuery {
    pub lanes: Option<String>,
}

/// The lane mode asked for; a value other than `reached` or `all` is a 400.
fn lane_mode(query: Result<Query<StoryQuery>, QueryRejection>) -> Result<LaneMode, AppError> {
    let Query(q) = query.map_err(|e| AppError::bad_request("query", e.body_text()))?;
    LaneMode::parse(q.lanes.as_deref()).map_err(|e| AppError::bad_request("lanes", e.message))
}

async fn load(state: &AppState, id: &str) -> Result<IncidentDetail, AppError> {
    state.store.get_incident(id).await?.ok_or_else(|| {
        let shown: String = id.chars().take(60).collect();
        AppError::NotFound(format!("Incident “{shown}”"))
    })
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
    let detail = load(&state, &id).await?;
    let story = StoryView::build(
        &state.atlas.get(),
        &detail,
        StoryOptions {
            lanes,
            titled: false,
        },
    );
    Ok(StoryPage { story })
}

pub async fn svg(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<StoryQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let lanes = lane_mode(query)?;
    let detail = load(&state, &id).await?;
    let story = StoryView::build(
        &state.atlas.get(),
        &detail,
        StoryOptions {
            lanes,
            titled: true,
        },
    );
    let file = story.file_name();
    let body = StorySvg { story }
        .render()
        .map_err(|e| AppError::Internal(format!("story SVG: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "image/svg+xml; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response())
}
