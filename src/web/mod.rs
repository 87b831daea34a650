//! HTTP: the router, handlers by area, errors and middleware.

pub mod api;
pub mod atlas_pages;
pub mod error;
pub mod filters;
pub mod incident_pages;
pub mod state;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, AppError};
pub use state::{AppState, AtlasCell};

/// Where `static/` is served from: the crate's own folder, so the binary works
/// from any working directory of a source checkout.
const STATIC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static");

/// Every route of the application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/matrix") }))
        .route("/healthz", get(healthz))
        .merge(atlas_pages::routes())
        .merge(incident_pages::routes())
        .nest("/api/v1", api::routes())
        .nest_service("/static", ServeDir::new(STATIC_DIR))
        .fallback(not_found)
        .with_state(state)
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::new())
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn not_found() -> AppError {
    AppError::NotFound("The page you asked for".to_string())
}
