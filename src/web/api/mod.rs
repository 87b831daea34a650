//! The JSON API under `/api/v1`. Errors are `{"error": "...", "field": "..."}`
//! with the matching status; times are RFC 3339.

mod alerts;
mod atlas;
mod body;
mod imports;
mod incidents;
mod matrix;
mod views;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use super::{ApiError, AppError, AppState};

/// Largest JSON or YAML body the API reads.
pub const API_BODY_LIMIT: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    use incidents::*;
    Router::new()
        .route("/incidents", get(list_handler).post(create_handler))
        .route(
            "/incidents/import",
            post(imports::import_handler).layer(DefaultBodyLimit::max(imports::IMPORT_BODY_LIMIT)),
        )
        .route(
            "/incidents/import/case-study",
            post(import_case_study_handler),
        )
        .route(
            "/incidents/{id}",
            get(get_handler).put(update_handler).delete(delete_handler),
        )
        .route(
            "/incidents/{id}/case-study.yaml",
            get(export_case_study_handler),
        )
        .route(
            "/incidents/{id}/steps",
            get(list_steps_handler).post(add_step_handler),
        )
        .route("/incidents/{id}/steps/order", put(reorder_handler))
        .route(
            "/incidents/{id}/steps/{step_id}",
            get(get_step_handler)
                .put(update_step_handler)
                .delete(delete_step_handler),
        )
        .route(
            "/case-studies/import",
            post(import_release_case_studies_handler),
        )
        .route("/matrix", get(matrix::matrix_handler))
        .route(
            "/alerts",
            post(alerts::ingest_handler).layer(DefaultBodyLimit::max(alerts::ALERTS_BODY_LIMIT)),
        )
        .route("/alerts/unmapped", get(alerts::unmapped_handler))
        .route("/atlas/techniques/{id}", get(atlas::technique_handler))
        .route("/atlas/tactics", get(atlas::tactics_handler))
        .route("/layers", post(matrix::import_layer_handler))
        .fallback(|| async { ApiError(AppError::NotFound("this API endpoint".to_string())) })
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
}
