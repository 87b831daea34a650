//! Knowledge-base pages: matrix, techniques, tactics, mitigations, releases.

use axum::Router;

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
