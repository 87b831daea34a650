//! The steps of an incident: adding and editing one (a two-stage form without
//! JavaScript: choose the tactic, then one of its techniques), deleting one,
//! and moving one up or down the attack path.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::detail::VersionForm;
use super::{
    Failure, HtmlForm, Problems, conflict_text, is_version_clash, load, parse_query, parse_version,
    see_other, shorten, with_status,
};
use crate::atlas::ActiveAtlas;
use crate::domain::{IncidentDetail, Observation};
use crate::render::incident::step_form::{EarlierNames, StepForm, StepFormView, problem_of};
use crate::service::incidents as uc;
use crate::store::StoreError;
use crate::web::{AppError, AppState};

/// Technique names from every stored release, for the picker.
async fn earlier_names(state: &AppState) -> Result<EarlierNames, AppError> {
    let rows = crate::service::releases::technique_names_anywhere(&state.store).await?;
    Ok(EarlierNames::from_rows(rows))
}

page!(StepFormPage, StepFormView, "incidents/step_form.html");

pub(super) fn find_step<'a>(
    detail: &'a IncidentDetail,
    step_id: &str,
) -> Result<&'a Observation, AppError> {
    detail
        .steps
        .iter()
        .find(|s| s.id == step_id)
        .ok_or_else(|| {
            AppError::NotFound(format!("Step “{}” of this incident", shorten(step_id, 40)))
        })
}

pub async fn new_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<StepFormPage, AppError> {
    let form = parse_query::<StepForm>(raw.as_deref())?;
    reloaded(&state, &id, None, Some(form)).await
}

pub async fn edit_page(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<StepFormPage, AppError> {
    // A query string is the form carried through a tactic reload (old links).
    let form = match raw.as_deref().filter(|q| !q.is_empty()) {
        Some(q) => Some(parse_query::<StepForm>(Some(q))?),
        None => None,
    };
    reloaded(&state, &id, Some(&step_id), form).await
}

/// The step form (new when `step_id` is none), filled from `form` when the
/// form was carried through the tactic reload, else the defaults or the step.
pub(super) async fn reloaded(
    state: &AppState,
    id: &str,
    step_id: Option<&str>,
    form: Option<StepForm>,
) -> Result<StepFormPage, AppError> {
    let detail = load(state, id).await?;
    let step = step_id.map(|s| find_step(&detail, s)).transpose()?;
    let atlas = state.atlas.get();
    let earlier = earlier_names(state).await?;
    let form = match (form, step) {
        (None, Some(step)) => StepForm::from_observation(step, detail.incident.version),
        (form, _) => form
            .unwrap_or_default()
            .or_defaults(detail.incident.version)
            .resolve(&atlas, &earlier)
            .for_tactic(&atlas),
    };
    let none = Problems::default();
    Ok(StepFormView::build(&atlas, &detail, step, &form, none, None, &earlier).into())
}

/// Why a step write did not happen.
enum Refusal {
    /// The form's own problems, found before calling the service.
    Shape(Problems),
    Failed(Failure),
}

/// Re-renders the form after a refused write.
fn rejected(
    atlas: &ActiveAtlas,
    detail: &IncidentDetail,
    step: Option<&Observation>,
    form: &StepForm,
    refusal: Refusal,
    earlier: &EarlierNames,
) -> Result<Response, AppError> {
    let (status, problems, conflict) = match refusal {
        Refusal::Shape(problems) => (StatusCode::UNPROCESSABLE_ENTITY, problems, None),
        Refusal::Failed(Failure::Invalid(e)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Problems::one(problem_of(&e)),
            None,
        ),
        Refusal::Failed(Failure::Conflict(_)) => {
            let yours = form.version.trim().parse().ok();
            let message = conflict_text(yours, detail.incident.version);
            (StatusCode::CONFLICT, Problems::default(), Some(message))
        }
        Refusal::Failed(Failure::Other(e)) => return Err(e),
    };
    Ok(with_status(
        status,
        StepFormPage::from(StepFormView::build(
            atlas, detail, step, form, problems, conflict, earlier,
        )),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<StepForm>,
) -> Result<Response, AppError> {
    let atlas = state.atlas.get();
    let earlier = earlier_names(&state).await?;
    let form = form.resolve(&atlas, &earlier);
    let version = parse_version(&form.version)?;
    let (input, problems) = form.to_input(version);
    let result = if problems.is_empty() {
        uc::add_step(&state.store, &atlas, &id, &input)
            .await
            .map_err(|e| Refusal::Failed(e.into()))
    } else {
        Err(Refusal::Shape(problems))
    };
    match result {
        Ok((step_id, _)) if form.next == "step" => Ok(see_other(&format!(
            "/incidents/{id}/steps/new?added={step_id}#f-technique"
        ))),
        Ok((step_id, _)) => Ok(see_other(&format!("/incidents/{id}#step-{step_id}"))),
        Err(refusal) => {
            let detail = load(&state, &id).await?;
            rejected(&atlas, &detail, None, &form, refusal, &earlier)
        }
    }
}

pub async fn update(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
    HtmlForm(form): HtmlForm<StepForm>,
) -> Result<Response, AppError> {
    let atlas = state.atlas.get();
    let earlier = earlier_names(&state).await?;
    let form = form.resolve(&atlas, &earlier);
    let version = parse_version(&form.version)?;
    let (input, problems) = form.to_input(version);
    let result = if problems.is_empty() {
        uc::update_step(&state.store, &atlas, &id, &step_id, &input)
            .await
            .map_err(|e| Refusal::Failed(e.into()))
    } else {
        Err(Refusal::Shape(problems))
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/incidents/{id}#step-{step_id}"))),
        Err(refusal) => {
            let detail = load(&state, &id).await?;
            let step = find_step(&detail, &step_id)?;
            rejected(&atlas, &detail, Some(step), &form, refusal, &earlier)
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
    HtmlForm(form): HtmlForm<VersionForm>,
) -> Result<Response, AppError> {
    let version = parse_version(&form.version)?;
    match uc::delete_step(&state.store, &id, &step_id, version).await {
        Ok(_) => Ok(see_other(&format!("/incidents/{id}#steps"))),
        Err(StoreError::Conflict(m)) if is_version_clash(&m) => {
            conflict_page(&state, &id, "The step was not deleted.", version).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /incidents/{id}/steps`: the steps live on the incident's page.
pub async fn steps_anchor(Path(id): Path<String>) -> Response {
    see_other(&format!("/incidents/{id}#steps"))
}

/// `GET /incidents/{id}/steps/{step}`: the step's place on the incident's page.
pub async fn step_anchor(Path((id, step_id)): Path<(String, String)>) -> Response {
    see_other(&format!("/incidents/{id}#step-{step_id}"))
}

#[derive(Template, WebTemplate)]
#[template(path = "incidents/conflict.html")]
pub struct ConflictPage {
    id: String,
    title: String,
    what: &'static str,
    message: String,
}

pub(super) async fn conflict_page(
    state: &AppState,
    id: &str,
    what: &'static str,
    yours: Option<i64>,
) -> Result<Response, AppError> {
    let detail = load(state, id).await?;
    let page = ConflictPage {
        message: conflict_text(yours, detail.incident.version),
        id: detail.incident.id,
        title: detail.incident.title,
        what,
    };
    Ok(with_status(StatusCode::CONFLICT, page))
}
