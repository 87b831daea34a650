//! `GET /api/v1/matrix` (the highlighted matrix as data, for dashboards) and
//! `POST /api/v1/layers` (a Navigator layer becomes an incident draft).

use axum::Json;
use axum::extract::{RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::atlas::ActiveAtlas;
use crate::export::navigator;
use crate::export::tactic_short_name;
use crate::render::heat::Scores;
use crate::render::{MatrixOptions, MatrixView, SubtechniqueMode};
use crate::service::layers;
use crate::store::MatrixAggregate;
use crate::web::extract::json_body::{read_body, require_content_type};
use crate::web::extract::matrix_query::MatrixRequest;
use crate::web::pages::matrix::{self, Loaded, cached_response};
use crate::web::{ApiError, AppError, AppState};

#[derive(Serialize, utoipa::ToSchema)]
struct LegendJson {
    level: u8,
    from: usize,
    to: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = MatrixCellJson)]
struct CellJson<'a> {
    technique: &'a str,
    name: String,
    /// The parent technique of a sub-technique listed under it.
    parent: Option<&'a str>,
    incidents: usize,
    steps: usize,
    /// The chosen metric's value, and its bucket (0 = not observed).
    score: usize,
    level: u8,
    incident_ids: Vec<&'a str>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = MatrixTacticJson)]
struct TacticJson<'a> {
    id: &'a str,
    name: &'a str,
    short_name: String,
    cells: Vec<CellJson<'a>>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct MatrixJson<'a> {
    release: &'a str,
    metric: &'static str,
    scale: &'static str,
    rollup: bool,
    filters: String,
    query: String,
    incident_total: i64,
    step_total: usize,
    max: usize,
    legend: Vec<LegendJson>,
    tactics: Vec<TacticJson<'a>>,
}

fn cell_json<'a>(
    atlas: &'a ActiveAtlas,
    agg: &'a MatrixAggregate,
    scores: &Scores,
    key: &crate::render::CellKey,
    technique: &'a str,
    parent: Option<&'a str>,
) -> CellJson<'a> {
    let s = scores.get(key);
    let score = s.map_or(0, |s| s.value(scores.metric));
    CellJson {
        technique,
        name: atlas
            .technique(technique)
            .map_or_else(|| technique.to_string(), |t| atlas.display_name(t)),
        parent,
        incidents: s.map_or(0, |s| s.incidents),
        steps: s.map_or(0, |s| s.steps),
        score,
        level: scores.level(score),
        incident_ids: s
            .map(|s| {
                s.incident_indexes()
                    .into_iter()
                    .filter_map(|i| agg.incidents.get(i as usize).map(|x| x.id.as_str()))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn matrix_json(loaded: &Loaded, req: &MatrixRequest) -> String {
    let atlas = &loaded.atlas;
    let agg = &loaded.aggregate;
    let scores = &loaded.scores;
    let view = MatrixView::build(
        atlas,
        &MatrixOptions {
            subtechniques: SubtechniqueMode::All,
            show_ids: true,
        },
    );
    let keep = |c: &CellJson<'_>| !req.observed_only || c.score > 0;
    let tactics = view
        .columns
        .iter()
        .map(|column| {
            let mut cells = Vec::new();
            for cell in &column.cells {
                let top = cell_json(atlas, agg, scores, &cell.key, &cell.id, None);
                let subs: Vec<CellJson<'_>> = cell
                    .subtechniques
                    .iter()
                    .map(|s| cell_json(atlas, agg, scores, &s.key, &s.id, Some(&cell.id)))
                    .filter(keep)
                    .collect();
                if keep(&top) || !subs.is_empty() {
                    cells.push(top);
                }
                cells.extend(subs);
            }
            TacticJson {
                id: column.tactic_id.as_str(),
                name: column.name.as_str(),
                short_name: tactic_short_name(&column.name),
                cells,
            }
        })
        .collect();
    let body = MatrixJson {
        release: atlas.version(),
        metric: scores.metric.as_str(),
        scale: scores.scale.as_str(),
        rollup: scores.rollup,
        filters: req.describe(),
        query: req.query_string(),
        incident_total: agg.incident_total,
        step_total: agg.step_total,
        max: scores.max,
        legend: scores
            .legend()
            .into_iter()
            .map(|e| LegendJson {
                level: e.level,
                from: e.from,
                to: e.to,
            })
            .collect(),
        tactics,
    };
    serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_string())
}

#[utoipa::path(
    get,
    operation_id = "matrix_matrix",
    path = "/api/v1/matrix",
    tag = "matrix",
    summary = "The ATLAS matrix with the filtered incidents' counts",
    params(crate::web::extract::incident_filters::FilterParams, crate::web::extract::matrix_query::RawOptions),
    responses((status = 200, description = "The matrix", body = MatrixJson),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn matrix_handler(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let req = matrix::request(&raw)?;
    Ok(
        cached_response(&state, &req, "api", async |loaded: Loaded| {
            Ok(matrix::Cached::json(matrix_json(&loaded, &req), None))
        })
        .await?,
    )
}

#[derive(Serialize, utoipa::ToSchema)]
struct LayerCreated {
    incident: String,
    href: String,
    api: String,
    steps: usize,
    unknown_techniques: Vec<String>,
    skipped: Vec<layers::Skipped>,
}

/// A layer that is not JSON is a bad request; a layer that is, but not a
/// valid one, names the field.
fn layer_error(e: navigator::LayerError) -> AppError {
    if e.field == "layer" && e.message.starts_with("is not valid JSON") {
        AppError::BadRequest {
            message: format!("{}: {}", e.field, e.message),
            field: Some(e.field),
        }
    } else {
        AppError::invalid(e.field.clone(), format!("{}: {}", e.field, e.message))
    }
}

/// Body: a Navigator layer (JSON). 201 with the new incident's location.
#[utoipa::path(
    post,
    operation_id = "matrix_import_layer",
    path = "/api/v1/layers",
    tag = "matrix",
    summary = "A Navigator layer becomes an incident",
    request_body(content = serde_json::Value, content_type = "application/json", description = "An ATT&CK Navigator layer (4.x)"),
    responses((status = 201, description = "The new incident", headers(("location" = String)), body = LayerCreated),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn import_layer_handler(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, ApiError> {
    require_content_type(&req, &["application/json"])?;
    let bytes = read_body(req).await?;
    let parsed = navigator::parse_layer(&bytes).map_err(layer_error)?;
    let atlas = state.atlas.get();
    let plan = crate::export::layer_plan::plan(&atlas, &parsed);
    let done = layers::import_layer(&state.store, &atlas, &plan).await?;
    let location = format!("/api/v1/incidents/{}", done.incident);
    let body = LayerCreated {
        href: format!("/incidents/{}", done.incident),
        api: location.clone(),
        incident: done.incident,
        steps: done.steps,
        unknown_techniques: done.unknown_techniques,
        skipped: done.skipped,
    };
    let headers = [(header::LOCATION, location)];
    Ok((StatusCode::CREATED, headers, Json(body)).into_response())
}
