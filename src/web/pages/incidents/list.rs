//! `GET /incidents`: the filterable, paginated table. The filter form is a GET
//! form, so every view is a URL to share; a bad filter is the 400 of
//! [`FilterParams::to_query`].

use axum::extract::{RawQuery, State};

use crate::render::incident::list::ListView;
use crate::service::incidents;
use crate::web::extract::incident_filters::FilterParams;
use crate::web::{AppError, AppState};

pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<ListPage, AppError> {
    let params = FilterParams::from_query(raw.as_deref())?;
    let query = params.to_query()?;
    let page = incidents::list(&state.store, &query).await?;
    let tags = incidents::top_tags(&state.store).await?;
    Ok(ListView::build(&state.atlas.get(), &params, page, tags).into())
}

page!(ListPage, ListView, "incidents/list.html");
