//! HTTP: the router ([`all_routes`], each route declared with its guard in
//! [`Routes`]), extractors ([`extract`]), middleware ([`middleware`]), HTML
//! pages by area ([`pages`]), the JSON API by resource ([`api`]) and the one
//! error type ([`error`]).

pub mod api;
pub mod assets;
pub mod client_addr;
pub mod compress;
pub mod config;
pub mod csv_download;
pub mod error;
pub mod extract;
pub mod list_cache;
pub mod lru;
pub mod metrics;
pub mod middleware;
pub mod pages;
pub mod rate_limit;
pub mod response_cache;
pub mod routes;
pub mod state;

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
pub use error::{ApiError, AppError, ErrorBody};
pub use routes::Routes;
pub use state::{AppState, AtlasCell};

use extract::auth;
use middleware::{audit, csrf, current_release, request_log, request_metrics, security_headers};

use assets::STATIC_DIR;

/// Body limit of routes that set none of their own (HTML forms).
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;

/// Every route of the application. Layers run from the last listed inward:
/// the client's address (behind trusted proxies, the forwarded one), request log, request metrics, panic catcher, trace, timeout, compression, security headers,
/// authentication, the CSRF check (which needs to know whether the guard
/// accepted a bearer token), the audit record of changes, the active release
/// brought up to date (another node may have switched it), then each route's
/// own guard (declared with the route, see [`Routes`]).
pub fn router(state: AppState) -> Router {
    assets::preload();
    let metrics = state.metrics.clone();
    let trusted_proxies = std::sync::Arc::new(state.config.trusted_proxies.clone());
    all_routes()
        .into_router()
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(DEFAULT_BODY_LIMIT))
        .layer(from_fn_with_state(
            state.clone(),
            current_release::keep_current,
        ))
        .layer(from_fn_with_state(state.clone(), audit::audit_changes))
        .layer(CsrfLayer::new().with_rejection_response(csrf::csrf_rejection))
        .layer(from_fn(csrf::exempt_token_requests_from_csrf))
        .layer(from_fn_with_state(state.clone(), auth::guard))
        .layer(from_fn_with_state(
            state.clone(),
            security_headers::security_headers,
        ))
        .with_state(state)
        // Cached bodies come already compressed (see `compress`); this layer
        // compresses the others and leaves those alone.
        .layer(from_fn(compress::negotiate))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::new())
        .layer(from_fn_with_state(metrics, request_metrics::count_requests))
        .layer(from_fn(request_log::log_requests))
        .layer(from_fn_with_state(trusted_proxies, client_addr::resolve))
}

/// Only `/metrics`, unauthenticated: for the `--metrics-addr` listener, on
/// an address only the scraper reaches (a private interface).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(pages::metrics::metrics_handler))
        .with_state(state)
}

/// Every route of the application, each with its guard.
pub fn all_routes() -> Routes {
    Routes::new()
        .merge(pages::reports::routes::routes())
        .public("/healthz", get(healthz))
        .public("/readyz", get(readyz))
        .require(
            crate::domain::auth::Capability::ReadMetrics,
            "/metrics",
            get(pages::metrics::metrics_handler),
        )
        .public("/favicon.ico", get(pages::favicon::favicon))
        .merge(pages::atlas::routes())
        .merge(pages::incidents::routes::routes())
        .merge(pages::admin::case_studies::routes())
        .merge(pages::admin::ingest::routes())
        .merge(pages::matrix::routes::routes())
        .merge(pages::story::routes())
        .merge(pages::account::routes())
        .merge(pages::api_docs::routes(api::openapi::document))
        .merge(pages::notifications::routes())
        .merge(pages::admin::accounts::routes())
        .merge(pages::admin::atlas_releases::routes())
        .merge(pages::admin::upgrade::routes())
        .merge(pages::admin::webhooks::routes())
        .merge(pages::atlas::release_diff::routes())
        .nest("/api/v1", api::routes())
        .public_tree("/static", static_files())
}

/// The longest file name a file system takes; a longer `/static/` name would
/// make the file system answer an error that `ServeDir` turns into a 500.
const MAX_STATIC_NAME: usize = 255;

/// `/static/*` from [`STATIC_DIR`]; names no file system can hold are a 404.
fn static_files() -> Router<AppState> {
    Router::new()
        .nest_service("/static", ServeDir::new(STATIC_DIR))
        .layer(from_fn(assets::serve))
        .layer(from_fn(refuse_impossible_static_names))
}

async fn refuse_impossible_static_names(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = req.uri().path();
    let too_long = path.len() > 4 * MAX_STATIC_NAME
        || path
            .split('/')
            .any(|segment| percent_encoding::percent_decode_str(segment).count() > MAX_STATIC_NAME);
    if too_long {
        return AppError::NotFound("The file you asked for".to_string()).into_response();
    }
    next.run(req).await
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match crate::service::admin::ping(&state.store).await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// 200 when the database answers, every migration is applied and a
/// release is active; else 503. Either way the JSON names each check.
async fn readyz(State(state): State<AppState>) -> axum::response::Response {
    let readiness = crate::service::readiness::readiness(&state.store).await;
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::Json(readiness),
    )
        .into_response()
}

/// A path no route declares: refused as reading or writing would be, else a 404.
async fn not_found(req: axum::extract::Request) -> axum::response::Response {
    match auth::refusal(auth::access_of_unknown(req.method()), &req) {
        None => AppError::NotFound("The page you asked for".to_string()).into_response(),
        Some(refused) => refused,
    }
}
