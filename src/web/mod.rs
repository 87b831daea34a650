//! HTTP: the router, handlers by area, errors and middleware.

pub mod account_pages;
pub mod admin_atlas;
pub mod admin_security;
pub mod api;
pub mod atlas_pages;
pub mod auth;
pub mod config;
pub mod error;
pub mod filters;
pub mod forms;
pub mod incident_pages;
pub mod ingest_pages;
pub mod matrix_pages;
pub mod rate_limit;
pub mod report_pages;
pub mod security;
pub mod state;
pub mod story_pages;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use config::WebConfig;
pub use error::{ApiError, AppError};
pub use state::{AppState, AtlasCell};

/// Where `static/` is served from: the crate's own folder, so the binary works
/// from any working directory of a source checkout.
const STATIC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static");

/// Body limit of routes that set none of their own (HTML forms).
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;

/// Every route of the application. Layers run from the last listed inward:
/// panic catcher, trace, timeout, compression, security headers, CSRF check,
/// authentication and the role policy, then the audit record of changes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(report_pages::routes())
        .route("/healthz", get(healthz))
        .merge(atlas_pages::routes())
        .merge(incident_pages::routes())
        .merge(ingest_pages::routes())
        .merge(matrix_pages::routes())
        .merge(story_pages::routes())
        .merge(account_pages::routes())
        .merge(admin_security::routes())
        .merge(admin_atlas::routes())
        .nest("/api/v1", api::routes())
        .nest_service("/static", ServeDir::new(STATIC_DIR))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(DEFAULT_BODY_LIMIT))
        .layer(from_fn_with_state(state.clone(), security::audit_changes))
        .layer(from_fn_with_state(state.clone(), auth::guard))
        .layer(CsrfLayer::new().with_rejection_response(security::csrf_rejection))
        .layer(from_fn(security::exempt_token_requests_from_csrf))
        .layer(from_fn_with_state(
            state.clone(),
            security::security_headers,
        ))
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
