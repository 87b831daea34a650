//! `GET /techniques`: every technique of the active release in matrix order,
//! filterable by ID (any spelling), name or words of the description, with
//! how many incidents and steps record each.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;

use crate::render::technique_index::TechniqueIndexView;
use crate::service::releases;
use crate::web::{AppError, AppState};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IndexQuery {
    q: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "atlas/techniques.html")]
pub struct TechniqueIndexPage {
    view: TechniqueIndexView,
}

impl std::ops::Deref for TechniqueIndexPage {
    type Target = TechniqueIndexView;
    fn deref(&self) -> &TechniqueIndexView {
        &self.view
    }
}

pub async fn index(
    State(state): State<AppState>,
    Query(query): Query<IndexQuery>,
) -> Result<TechniqueIndexPage, AppError> {
    let usage: HashMap<String, (i64, i64)> = releases::technique_usage(&state.store)
        .await?
        .into_iter()
        .map(|(id, i, s)| (id, (i, s)))
        .collect();
    Ok(TechniqueIndexPage {
        view: TechniqueIndexView::build(&state.atlas.get(), &query.q, &usage),
    })
}
