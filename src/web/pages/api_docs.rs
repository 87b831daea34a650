//! `/api`: the API reference for people, rendered on the server from the
//! same OpenAPI document `/api/v1/openapi.json` serves (no script, so it
//! works under our CSP).

use axum::routing::get;

use utoipa::openapi::OpenApi;

use crate::render::api_docs::{ApiDocsView, api_docs_view};
use crate::web::Routes;

/// The page of `document` (the API's own, handed over by `web::router`, so
/// that pages do not depend on the API layer).
pub fn routes(document: fn() -> &'static OpenApi) -> Routes {
    Routes::new().public("/api", get(move || api_page(document)))
}

page!(ApiDocsPage, ApiDocsView, "api_docs.html");

async fn api_page(document: fn() -> &'static OpenApi) -> ApiDocsPage {
    let doc = serde_json::to_value(document()).unwrap_or_default();
    api_docs_view(&doc).into()
}
