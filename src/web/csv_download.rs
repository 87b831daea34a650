//! The CSV download of the incident list (`?format=csv`, the page and the
//! API alike): every incident the filters select, not one page, read from
//! the store a batch at a time while the body streams out, so memory stays
//! bounded however many incidents there are.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use crate::atlas::ActiveAtlas;
use crate::export::csv::{self, CsvRows};
use crate::service::incidents;
use crate::store::{BatchStart, IncidentQuery};
use crate::web::AppState;

/// Incidents read per batch (one query for their IDs, a few for their rows).
pub const BATCH: u32 = 500;

struct Export {
    state: AppState,
    atlas: Arc<ActiveAtlas>,
    query: IncidentQuery,
    rows: CsvRows,
}

enum Stage {
    Header,
    Batch(BatchStart),
    Done,
}

/// The streamed download, with a file name of today's date.
pub fn response(state: &AppState, query: IncidentQuery, rows: CsvRows) -> Response {
    let export = Arc::new(Export {
        state: state.clone(),
        atlas: state.atlas.get(),
        query,
        rows,
    });
    // Fused: the compression layer polls the body once more after its end,
    // and a bare `unfold` panics then (found by schemathesis, which asks
    // for gzip: the download broke off with an invalid chunk).
    let chunks = futures_util::stream::unfold(Stage::Header, move |stage| {
        let export = export.clone();
        async move { next_chunk(&export, stage).await }
    })
    .fuse();
    let name = format!(
        "{}-{}.csv",
        rows.file_stem(),
        chrono::Utc::now().format("%Y-%m-%d")
    );
    (
        [
            (header::CONTENT_TYPE, csv::CONTENT_TYPE.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::VARY, "accept".to_string()),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// The next piece of the body. A failure after the first byte can only
/// end the body early (the status is sent): the client sees a cut
/// download, and the log says why.
async fn next_chunk(
    export: &Export,
    stage: Stage,
) -> Option<(Result<Bytes, std::io::Error>, Stage)> {
    let from = match stage {
        Stage::Done => return None,
        Stage::Header => {
            let first = csv::header(export.rows).map_err(std::io::Error::other);
            return Some((first.map(Bytes::from), Stage::Batch(BatchStart::default())));
        }
        Stage::Batch(from) => from,
    };
    match batch(export, &from).await {
        Ok((bytes, Some(next))) => Some((Ok(bytes), Stage::Batch(next))),
        Ok((bytes, None)) => Some((Ok(bytes), Stage::Done)),
        Err(e) => {
            tracing::error!(error = %e, "the CSV export stopped part way");
            Some((Err(std::io::Error::other(e)), Stage::Done))
        }
    }
}

async fn batch(
    export: &Export,
    from: &BatchStart,
) -> Result<(Bytes, Option<BatchStart>), Box<dyn std::error::Error + Send + Sync>> {
    let (items, next) =
        incidents::export_batch(&export.state.store, &export.query, from, BATCH).await?;
    let bytes = match export.rows {
        CsvRows::Incidents => csv::incident_rows(&items)?,
        CsvRows::Steps => {
            let ids: Vec<String> = items.iter().map(|s| s.incident.id.clone()).collect();
            let steps = incidents::steps_of(&export.state.store, &ids).await?;
            csv::step_rows(&items, &steps, &export.atlas)?
        }
    };
    Ok((Bytes::from(bytes), next))
}
