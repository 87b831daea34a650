//! One incident: its page with the step timeline, the case-study download,
//! and deleting it (a confirmation page, then a POST naming the version).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{Failure, HtmlForm, conflict_text, load, parse_version, see_other, with_status};
use crate::render::attachments::attachments_view;
use crate::render::incident::detail::{DeleteView, DetailView};
use crate::service::case_studies;
use crate::service::incidents as uc;
use crate::web::{AppError, AppState};

pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<DetailPage, AppError> {
    let detail = load(&state, &id).await?;
    let extras = uc::detail_extras(&state.store, &id).await?;
    let work = crate::service::teamwork::load(&state.store, &id).await?;
    let max = state.config.attachment_max_bytes;
    let attachments = attachments_view(&work.attachments, &detail.steps, max);
    let team = super::team::team_view(&work);
    let mut view = DetailView::build(&state.atlas.get(), detail, extras, team);
    view.attachments = attachments;
    Ok(view.into())
}

page!(DetailPage, DetailView, "incidents/detail.html");
page!(DeletePage, DeleteView, "incidents/delete.html");

pub async fn case_study_yaml(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let detail = load(&state, &id).await?;
    let yaml = case_studies::to_yaml(&case_studies::export_case_study(&detail))?;
    let i = &detail.incident;
    let file = crate::render::download::incident_file(&i.id, &i.title, "case-study.yaml");
    Ok(crate::web::pages::downloads::file(
        "application/yaml; charset=utf-8",
        &file,
        false,
        yaml,
    ))
}

/// The incident as a STIX 2.1 bundle with its Attack Flow.
pub async fn stix_json(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let exported = crate::service::stix::incident_for_export(&state.store, &id).await?;
    let bundle = crate::export::stix::bundle(&state.atlas.get(), std::slice::from_ref(&exported));
    let i = &exported.detail.incident;
    let file = crate::render::download::incident_file(&i.id, &i.title, "stix.json");
    Ok(crate::web::pages::downloads::file(
        crate::export::stix::MEDIA_TYPE,
        &file,
        false,
        crate::export::stix::to_json(&bundle),
    ))
}

pub async fn delete_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<DeletePage, AppError> {
    let detail = load(&state, &id).await?;
    Ok(DeleteView::build(&detail, None).into())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VersionForm {
    pub version: String,
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<VersionForm>,
) -> Result<Response, AppError> {
    let version = parse_version(&form.version)?.ok_or_else(|| {
        AppError::bad_request("version", "version: is required to delete an incident")
    })?;
    match uc::delete(&state.store, &id, Some(version))
        .await
        .map_err(Failure::from)
    {
        Ok(()) => Ok(see_other("/incidents")),
        Err(Failure::Conflict(_)) => {
            let detail = load(&state, &id).await?;
            let message = conflict_text(Some(version), detail.incident.version);
            Ok(with_status(
                StatusCode::CONFLICT,
                DeletePage::from(DeleteView::build(&detail, Some(message))),
            ))
        }
        Err(Failure::Invalid(v)) => Err(v.into()),
        Err(Failure::Other(e)) => Err(e),
    }
}
