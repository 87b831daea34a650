//! The attack path's one-action controls: "move to position N" (a small
//! form per step; the script's drag and keyboard moves submit the same form),
//! the confirmation page of deleting a step when JavaScript is off, and the
//! step form's tactic reload as a POST, so that the description and the
//! evidence never travel in a URL.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::steps::{StepFormPage, conflict_page, find_step, reloaded};
use super::{HtmlForm, load, parse_version, see_other, shorten};
use crate::render::Link;
use crate::render::incident::step_form::StepForm;
use crate::service::{ServiceError, step_order};
use crate::store::StoreError;
use crate::web::{AppError, AppState};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PositionForm {
    position: String,
    version: String,
}

/// `POST /incidents/{id}/steps/{step}/position`: the step to position N.
pub async fn move_to(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
    HtmlForm(form): HtmlForm<PositionForm>,
) -> Result<Response, AppError> {
    let version = parse_version(&form.version)?;
    moved(&state, &id, &step_id, &form.position, version).await
}

/// Moves the step through the service; back to it on the incident's page,
/// or the conflict page when the incident changed meanwhile.
pub(super) async fn moved(
    state: &AppState,
    id: &str,
    step_id: &str,
    position: &str,
    version: Option<i64>,
) -> Result<Response, AppError> {
    match step_order::move_step_to(&state.store, id, step_id, position, version).await {
        Ok(_) => Ok(see_other(&format!("/incidents/{id}#step-{step_id}"))),
        Err(ServiceError::Store(StoreError::Conflict(_))) => {
            conflict_page(state, id, "The step was not moved.", version).await
        }
        Err(ServiceError::Store(StoreError::NotFound(_))) => Err(AppError::NotFound(format!(
            "Step “{}” of this incident",
            shorten(step_id, 40)
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The page that asks before a step is deleted (JavaScript off; with it, the
/// incident page asks in place and posts the same form).
#[derive(Template, WebTemplate)]
#[template(path = "incidents/delete_step.html")]
pub struct DeleteStepPage {
    id: String,
    title: String,
    step_id: String,
    number: i64,
    tactic: Link,
    technique: Link,
    description: String,
    version: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    direction: String,
    version: String,
}

pub async fn move_step(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
    HtmlForm(form): HtmlForm<MoveForm>,
) -> Result<Response, AppError> {
    let version = parse_version(&form.version)?;
    let detail = load(&state, &id).await?;
    let at = find_step(&detail, &step_id)?.position;
    let to = match form.direction.trim() {
        "up" => at - 1,
        "down" => at + 1,
        other => {
            return Err(AppError::bad_request(
                "direction",
                format!("direction: `{}` is not one of up, down", shorten(other, 20)),
            ));
        }
    };
    if to < 1 || to > detail.steps.len() as i64 {
        // Already first (or last): nothing to do.
        return Ok(see_other(&format!("/incidents/{id}#step-{step_id}")));
    }
    moved(&state, &id, &step_id, &to.to_string(), version).await
}

/// `GET /incidents/{id}/steps/{step}/delete`.
pub async fn delete_page(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
) -> Result<DeleteStepPage, AppError> {
    let detail = load(&state, &id).await?;
    let step = detail
        .steps
        .iter()
        .find(|s| s.id == step_id)
        .ok_or_else(|| {
            AppError::NotFound(format!("Step “{}” of this incident", shorten(&step_id, 40)))
        })?;
    let atlas = state.atlas.get();
    Ok(DeleteStepPage {
        id: detail.incident.id.clone(),
        title: detail.incident.title.clone(),
        step_id: step.id.clone(),
        number: step.position,
        tactic: Link::tactic(&atlas, &step.tactic_id),
        technique: Link::technique(&atlas, &step.technique_id),
        description: shorten(step.description.trim(), 300),
        version: detail.incident.version,
    })
}

/// `POST /incidents/{id}/steps/form`: the new-step form again, for the
/// tactic chosen, with everything typed so far (nothing is saved).
pub async fn reload_new(
    State(state): State<AppState>,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<StepForm>,
) -> Result<StepFormPage, AppError> {
    reloaded(&state, &id, None, Some(form)).await
}

/// `POST /incidents/{id}/steps/{step}/form`: the same for a step's edit form.
pub async fn reload_edit(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
    HtmlForm(form): HtmlForm<StepForm>,
) -> Result<StepFormPage, AppError> {
    reloaded(&state, &id, Some(&step_id), Some(form)).await
}
