//! The highlighted matrix: `/matrix` (HTML), `/matrix.svg`,
//! `/matrix/layer.json`, an incident's own `layer.json` and `matrix.svg`,
//! the Navigator-layer upload form, and the shared loading that
//! `/api/v1/matrix` uses too.
//!
//! Every view is a pure function of (incident data, active release, query):
//! the aggregate is cached by filter and the finished response by URL, both
//! keyed by the store's [`DataStamp`](crate::store::DataStamp), so a repeated
//! view costs one primary-key read.

mod cache;
mod exports;
mod layer_import;
mod page;
pub mod routes;
pub mod technique_incidents;

use std::sync::Arc;

use axum::response::Response;

pub use crate::render::matrix_page::highlight::{
    Loaded, highlighted_view, scores_of, technique_search,
};
use crate::web::extract::matrix_query::MatrixRequest;
use crate::web::response_cache::ResponseSlot;
pub use crate::web::response_cache::{Cached, MAX_RESPONSE_BYTES, MAX_RESPONSES};
pub use cache::{MAX_AGGREGATE_BYTES, MAX_AGGREGATES, cache_sizes, stats as aggregate_cache_stats};

use crate::atlas::ActiveAtlas;
use crate::store::{DataStamp, MatrixAggregate};
use crate::web::{AppError, AppState};

/// The aggregate of the request's filters (cached) and its scores.
pub async fn load(state: &AppState, req: &MatrixRequest) -> Result<Loaded, AppError> {
    let stamp = crate::service::matrix::data_stamp(&state.store).await?;
    let atlas = for_platforms(state.atlas.get(), req);
    let aggregate = aggregate_for(state, &stamp, req).await?;
    let scores = scores_of(&atlas, &aggregate, req);
    let earlier = earlier_names(state, req).await?;
    Ok(Loaded {
        stamp,
        atlas,
        aggregate,
        scores,
        earlier,
    })
}

/// Every name of every technique in the stored releases, for the technique
/// search (only loaded when there is one).
async fn earlier_names(
    state: &AppState,
    req: &MatrixRequest,
) -> Result<Vec<(String, String)>, AppError> {
    if req.search.is_none() {
        return Ok(Vec::new());
    }
    let rows = crate::service::releases::technique_names_anywhere(&state.store).await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, parent)| match parent {
            Some(p) => (id, format!("{p}: {name}")),
            None => (id, name),
        })
        .collect())
}

async fn aggregate_for(
    state: &AppState,
    stamp: &DataStamp,
    req: &MatrixRequest,
) -> Result<Arc<MatrixAggregate>, AppError> {
    cache::aggregate(&state.store, stamp, req.filter_key(), &req.query).await
}

/// The active release, cut down to the request's platforms if it names any.
fn for_platforms(atlas: Arc<ActiveAtlas>, req: &MatrixRequest) -> Arc<ActiveAtlas> {
    if req.platforms.is_empty() {
        atlas
    } else {
        Arc::new(atlas.for_platforms(&req.platforms))
    }
}

/// Serves from the response cache, or renders with `render` and keeps it.
pub async fn cached_response<F>(
    state: &AppState,
    req: &MatrixRequest,
    kind: &'static str,
    render: F,
) -> Result<Response, AppError>
where
    F: AsyncFnOnce(Loaded) -> Result<Cached, AppError>,
{
    let stamp = crate::service::matrix::data_stamp(&state.store).await?;
    let atlas = state.atlas.get();
    let query = req.query_string();
    let slot = if kind == "html" {
        // The page's header and controls depend on who is looking.
        ResponseSlot::for_visitor(&stamp, &atlas, kind, query)
    } else {
        ResponseSlot::new(&stamp, &atlas, kind, query)
    };
    let body = slot
        .get_or_render(async || {
            let aggregate = aggregate_for(state, &stamp, req).await?;
            let atlas = for_platforms(atlas, req);
            let scores = scores_of(&atlas, &aggregate, req);
            let earlier = earlier_names(state, req).await?;
            render(Loaded {
                stamp,
                atlas,
                aggregate,
                scores,
                earlier,
            })
            .await
        })
        .await?;
    Ok(body.respond())
}

/// Parses the raw query of a matrix route.
pub fn request(raw: &Option<String>) -> Result<MatrixRequest, AppError> {
    MatrixRequest::parse(raw.as_deref())
}
