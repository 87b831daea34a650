//! `GET /admin`: the active ATLAS release and the button that turns its case
//! studies into incidents. (Authentication comes with the security work.)

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::atlas::ReleaseInfo;
use crate::render::timestamp;
use crate::service::case_studies::{self, CaseStudyImport};
use crate::web::extract::html_form::see_other;
use crate::web::pages::incidents::{Failure, with_status};
use crate::web::{AppError, AppState, Routes};

/// Largest body of the import form (it has no fields; the limit of the
/// incident forms, as before this page had a module of its own).
const FORM_BODY_LIMIT: usize = 1024 * 1024;

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::*;
    Routes::new()
        .require(ManageReleases, "/admin", get(page))
        .require(
            ManageReleases,
            "/admin/case-studies/import",
            get(|| async { Redirect::to("/admin") }).post(import),
        )
        .body_limit(FORM_BODY_LIMIT)
}

/// The outcome of the last import, carried in the redirect's query string.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Flash {
    imported: String,
    created: String,
    updated: String,
    unchanged: String,
    steps: String,
}

impl Flash {
    /// The counts, when all are present and numbers; anything else shows nothing.
    fn counts(&self) -> Option<CaseStudyImport> {
        let n = |s: &str| s.trim().parse::<usize>().ok();
        let counts = CaseStudyImport {
            created: n(&self.created)?,
            updated: n(&self.updated)?,
            unchanged: n(&self.unchanged)?,
            steps: n(&self.steps)?,
        };
        (n(&self.imported)? == counts.created + counts.updated + counts.unchanged).then_some(counts)
    }
}

pub struct ImportedView {
    total: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    steps: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/index.html")]
pub struct AdminPage {
    release: ReleaseInfo,
    imported_at: String,
    incidents: i64,
    steps: i64,
    imported: Option<ImportedView>,
    error: Option<String>,
}

async fn build(
    state: &AppState,
    imported: Option<CaseStudyImport>,
    error: Option<String>,
) -> Result<AdminPage, AppError> {
    let atlas = state.atlas.get();
    let (incidents, steps) = crate::service::incidents::counts(&state.store).await?;
    let mut release = atlas.info.clone();
    // Admins see the whole source (credentials are never stored).
    if let Some(full) = crate::service::releases::source(&state.store, &release.version).await? {
        release.source = full;
    }
    Ok(AdminPage {
        release,
        imported_at: timestamp(&atlas.info.imported_at),
        incidents,
        steps,
        imported: imported.map(|c| ImportedView {
            total: c.created + c.updated + c.unchanged,
            created: c.created,
            updated: c.updated,
            unchanged: c.unchanged,
            steps: c.steps,
        }),
        error,
    })
}

pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    // A malformed flash is ignored: it is only a message.
    let flash: Flash = serde_html_form::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    Ok(build(&state, flash.counts(), None).await?.into_response())
}

pub async fn import(State(state): State<AppState>) -> Result<Response, AppError> {
    let atlas = state.atlas.get();
    match case_studies::import_release_case_studies(&state.store, &atlas)
        .await
        .map_err(Failure::from)
    {
        Ok(c) => Ok(see_other(&format!(
            "/admin?imported={}&created={}&updated={}&unchanged={}&steps={}",
            c.created + c.updated + c.unchanged,
            c.created,
            c.updated,
            c.unchanged,
            c.steps
        ))),
        Err(Failure::Invalid(e)) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            build(&state, None, Some(e.message)).await?,
        )),
        Err(Failure::Conflict(m)) => Err(AppError::Conflict(m)),
        Err(Failure::Other(e)) => Err(e),
    }
}
