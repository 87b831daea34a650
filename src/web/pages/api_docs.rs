//! `/api`: the API reference for people, rendered on the server from the
//! same OpenAPI document `/api/v1/openapi.json` serves (no script, so it
//! works under our CSP).

use axum::routing::get;

use crate::render::api_docs::{ApiDocsView, api_docs_view};
use crate::web::Routes;
use crate::web::api::openapi;

pub fn routes() -> Routes {
    Routes::new().public("/api", get(api_page))
}

page!(ApiDocsPage, ApiDocsView, "api_docs.html");

async fn api_page() -> ApiDocsPage {
    let doc = serde_json::to_value(openapi::document()).unwrap_or_default();
    api_docs_view(&doc).into()
}
