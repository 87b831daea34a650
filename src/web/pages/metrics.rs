//! `GET /metrics`: the Prometheus text of [`crate::web::metrics`], with the
//! caches, the database pool and the active release read now. An admin's on
//! the main address; anyone's on the `--metrics-addr` listener.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::web::metrics::{CONTENT_TYPE, Snapshot};
use crate::web::{AppError, AppState};

/// Reads the caches, the pool and the active release of `state` now.
pub fn snapshot(state: &AppState) -> Snapshot {
    let (in_use, idle) = crate::service::admin::pool_use(&state.store);
    let atlas = state.atlas.get();
    Snapshot {
        caches: vec![
            ("responses", crate::web::response_cache::stats()),
            (
                "matrix_aggregates",
                crate::web::pages::matrix::aggregate_cache_stats(),
            ),
            (
                "report_data",
                crate::web::pages::reports::data_cache::stats(),
            ),
            ("incident_pages", crate::web::list_cache::stats()),
            (
                "report_facts",
                crate::web::pages::reports::facts_cache::stats(),
            ),
        ],
        pool_in_use: i64::from(in_use),
        pool_idle: i64::from(idle),
        release: Some((atlas.info.version.clone(), atlas.info.name.clone())),
    }
}

/// `GET /metrics` (the admin's, or the private listener's).
pub async fn metrics_handler(State(state): State<AppState>) -> Result<Response, AppError> {
    let body = state
        .metrics
        .render(&snapshot(&state))
        .map_err(|e| AppError::Internal(format!("cannot write the metrics: {e}")))?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response())
}
