//! The highlighted matrix as a Navigator layer and as SVG, for the matrix's
//! filters or for one incident.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;

use super::{Cached, Loaded, cached_response, highlighted_view, request};
use crate::atlas::ActiveAtlas;
use crate::export::navigator;
use crate::export::svg::{self as svg_export, SvgInput};
use crate::render::download::{disposition, incident_file};
use crate::render::grid::{IncidentMatrix, MatrixGrid};
use crate::render::heat::{self, Metric};
use crate::service::incidents as uc;
use crate::web::extract::matrix_query::MatrixRequest;
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
        let body = matrix_svg_body(&loaded, &req).map_err(internal("matrix SVG"))?;
        Ok(Cached::svg(body))
    })
    .await?;
    // Set after the cache, which is shared by downloads and inline views.
    if let Ok(value) = HeaderValue::from_str(&disposition("atlasview-matrix.svg", inline)) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(res)
}

fn matrix_svg_body(loaded: &Loaded, req: &MatrixRequest) -> Result<String, askama::Error> {
    let view = MatrixGrid::new(highlighted_view(loaded, req), req.observed_only).view;
    let noun = match req.metric {
        Metric::Incidents => "Incidents",
        Metric::Steps => "Steps",
    };
    let agg = &loaded.aggregate;
    let legend = loaded
        .scores
        .legend()
        .iter()
        .map(|e| (e.level, e.range()))
        .collect();
    svg_export::render(&SvgInput {
        view: &view,
        title: format!("MITRE ATLAS matrix: {} per technique", noun.to_lowercase()),
        subtitle: format!(
            "{} — {} incident{}, {} step{}{}",
            req.describe(),
            agg.incident_total,
            if agg.incident_total == 1 { "" } else { "s" },
            agg.step_total,
            if agg.step_total == 1 { "" } else { "s" },
            if req.rollup {
                "; sub-techniques rolled up into their parent"
            } else {
                ""
            }
        ),
        legend_title: format!("{noun} per technique:"),
        legend,
        footer: footer(&loaded.atlas),
        all_subtechniques: req.subs == crate::web::extract::matrix_query::SubsMode::All,
    })
}

fn footer(atlas: &ActiveAtlas) -> String {
    format!(
        "MITRE ATLAS {} · drawn by atlasview on {}",
        atlas.version(),
        today()
    )
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
    let m = IncidentMatrix::build(&atlas, &detail.incident.id, &detail.steps);
    let i = &detail.incident;
    let body = svg_export::render(&SvgInput {
        view: &m.grid.view,
        title: i.title.clone(),
        subtitle: format!(
            "{} {} · {} · {} step{}{}",
            i.kind.label(),
            i.id,
            i.severity.label(),
            m.step_count,
            if m.step_count == 1 { "" } else { "s" },
            i.occurred
                .map(|t| format!(" · occurred {}", t.display()))
                .unwrap_or_default()
        ),
        legend_title: "The numbers are the step numbers:".to_string(),
        legend: vec![(heat::INCIDENT_LEVEL, "technique used".to_string())],
        footer: footer(&atlas),
        all_subtechniques: false,
    })
    .map_err(internal("incident SVG"))?;
    let file = incident_file(&i.id, &i.title, "matrix.svg");
    Ok(downloads::file("image/svg+xml", &file, inline, body))
}
