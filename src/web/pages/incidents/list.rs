//! `GET /incidents`: the filterable, paginated table. The filter form is a GET
//! form, so every view is a URL to share; a bad filter is the 400 of
//! [`FilterParams::to_query`]. With `?format=csv` (or `Accept: text/csv`)
//! the same filters download every matching incident as CSV.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use crate::render::incident::list::ListView;
use crate::service::incidents;
use crate::web::extract::incident_filters::{FilterParams, list_request};
use crate::web::extract::list_format::ListFormat;
use crate::web::{AppError, AppState};
use crate::web::{csv_download, list_cache};

pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (query, format) = list_request(raw.as_deref(), &headers, "html")?;
    if let ListFormat::Csv(rows) = format {
        return Ok(csv_download::response(&state, query, rows));
    }
    let params = FilterParams::from_query(raw.as_deref())?;
    let page = list_cache::list(&state.store, &query).await?;
    let tags = incidents::top_tags(&state.store).await?;
    let view = ListView::build(&state.atlas.get(), &params, page, tags);
    // The body depends on `Accept` (CSV or HTML).
    Ok(([(header::VARY, "accept")], ListPage::from(view)).into_response())
}

page!(ListPage, ListView, "incidents/list.html");
