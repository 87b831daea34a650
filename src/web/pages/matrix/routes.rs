//! The routes of the matrix views and the layer upload, each with its guard.

use axum::routing::get;

use super::{exports, layer_import, page};
use crate::web::Routes;

/// Largest body of the layer upload form (a 1 MB layer, percent-encoded).
const IMPORT_BODY_LIMIT: usize = 4 * 1024 * 1024;

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::*;
    let pages = Routes::new()
        .require(ReadIncidents, "/matrix", get(page::matrix))
        .require(ReadIncidents, "/matrix.svg", get(exports::matrix_svg))
        .require(
            ReadIncidents,
            "/matrix/layer.json",
            get(exports::matrix_layer),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/layer.json",
            get(exports::incident_layer),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/matrix.svg",
            get(exports::incident_svg),
        );
    let import = Routes::new()
        .require(
            WriteIncidents,
            "/incidents/layer/import",
            get(layer_import::form).post(layer_import::submit),
        )
        .body_limit(IMPORT_BODY_LIMIT);
    pages.merge(import)
}
