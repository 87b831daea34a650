//! Keeps the server's loaded ATLAS release the stored active one: several
//! nodes share one database, and the CLI may import or switch releases
//! while a server runs. Each request reads the releases' stamp (one
//! primary-key read) and reloads the release when it moved, so a switch on
//! one node is what every node shows on its next request.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::web::AppState;

pub async fn keep_current(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Static files draw on no release.
    if !req.uri().path().starts_with("/static/")
        && let Err(e) = state.atlas.refresh(&state.store).await
    {
        // The request goes on with the release loaded; the store's own
        // failure shows in whatever the handler reads next.
        tracing::warn!(error = %e, "cannot check whether the active ATLAS release changed");
    }
    next.run(req).await
}
