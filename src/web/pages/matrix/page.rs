//! `/matrix`: the highlighted matrix page with its filter form, display
//! toggles (each a plain link: every view is a shareable URL), legend and
//! export links. Works without JavaScript.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;

use super::{Cached, Loaded, cached_response, request};
use crate::render::matrix_page::MatrixPageView;
use crate::web::{AppError, AppState};

pub async fn matrix(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let req = request(&raw)?;
    cached_response(&state, &req, "html", async |loaded: Loaded| {
        let tags = crate::service::incidents::top_tags(&state.store).await?;
        let page = MatrixPage {
            view: MatrixPageView::build(&loaded, &req, tags),
        };
        let body = page
            .render()
            .map_err(|e| AppError::Internal(format!("matrix page: {e}")))?;
        Ok(Cached::html(body))
    })
    .await
}

#[derive(Template)]
#[template(path = "atlas/matrix.html", whitespace = "minimize")]
pub struct MatrixPage {
    view: MatrixPageView,
}

impl std::ops::Deref for MatrixPage {
    type Target = MatrixPageView;
    fn deref(&self) -> &MatrixPageView {
        &self.view
    }
}
