//! The highlighted matrix as a Navigator layer and as SVG, for the matrix's
//! filters or for one incident.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;

use super::{Cached, Loaded, cached_response, request};
use crate::export::matrix_svg;
use crate::export::navigator;
use crate::render::download::{disposition, incident_file};
use crate::service::incidents as uc;
use crate::web::pages::downloads;
use crate::web::{AppError, AppState};

fn internal(what: &str) -> impl FnOnce(askama::Error) -> AppError + '_ {
    move |e| AppError::Internal(format!("{what}: {e}"))
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

pub async fn matrix_svg(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (inline, raw) = downloads::split_inline(raw)?;
    let req = request(&raw)?;
    let mut res = cached_response(&state, &req, "svg", async |loaded: Loaded| {
        let body =
            matrix_svg::highlighted(&loaded, &req, &today()).map_err(internal("matrix SVG"))?;
        Ok(Cached::svg(body))
    })
    .await?;
    // Set after the cache, which is shared by downloads and inline views.
    if let Ok(value) = HeaderValue::from_str(&disposition("atlasview-matrix.svg", inline)) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(res)
}

pub async fn matrix_layer(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let req = request(&raw)?;
    cached_response(&state, &req, "layer", async |loaded: Loaded| {
        let mut layer = navigator::matrix_layer(
            &loaded.atlas,
            &loaded.scores,
            &loaded.aggregate.incidents,
            &req.describe(),
            req.show_ids,
        );
        if !req.platforms.is_empty() {
            layer.metadata.push(navigator::Metadata {
                name: "platforms".to_string(),
                value: req.platform_names().join(", "),
            });
        }
        Ok(Cached::json(
            layer.to_json(),
            Some("atlasview-matrix-layer.json"),
        ))
    })
    .await
}

pub async fn incident_layer(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let detail = uc::get(&state.store, &id).await?;
    let layer = navigator::incident_layer(&state.atlas.get(), &detail);
    let i = &detail.incident;
    Ok(Cached::respond(Cached::json(
        layer.to_json(),
        Some(&incident_file(&i.id, &i.title, "layer.json")),
    )))
}

pub async fn incident_svg(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (inline, _) = downloads::split_inline(raw)?;
    let detail = uc::get(&state.store, &id).await?;
    let atlas = state.atlas.get();
    let body = matrix_svg::incident(&atlas, &detail, &today()).map_err(internal("incident SVG"))?;
    let i = &detail.incident;
    let file = incident_file(&i.id, &i.title, "matrix.svg");
    Ok(downloads::file("image/svg+xml", &file, inline, body))
}
