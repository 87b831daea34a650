//! Writing an incident: the new and edit forms, and creating one from a pasted
//! ATLAS case-study YAML file.
//!
//! The form and its view are `render::incident::form`'s. A rejected form comes
//! back with the user's text and the message beside its field (422); a stale
//! `version` comes back with their text and an explanation (409).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{
    Failure, HtmlForm, Problem, Problems, conflict_text, load, parse_version, see_other,
    with_status,
};
use crate::domain::ValidationError;
use crate::render::incident::form::{
    ConflictView, Editing, FormView, ImportView, IncidentForm, not_imported,
};
use crate::service::case_studies;
use crate::service::incidents as uc;
use crate::web::{AppError, AppState};

async fn render(
    state: &AppState,
    status: StatusCode,
    editing: Option<Editing>,
    form: &IncidentForm,
    problems: Problems,
    conflict: Option<ConflictView>,
) -> Result<Response, AppError> {
    let releases = crate::service::releases::list(&state.store).await?;
    let page = FormPage::from(FormView::build(
        &state.atlas.get(),
        &releases,
        editing,
        form,
        problems,
        conflict,
    ));
    Ok(with_status(status, page))
}

pub async fn new_page(State(state): State<AppState>) -> Result<Response, AppError> {
    render(
        &state,
        StatusCode::OK,
        None,
        &IncidentForm::defaults(),
        Problems::default(),
        None,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    HtmlForm(form): HtmlForm<IncidentForm>,
) -> Result<Response, AppError> {
    let input = form.to_input(parse_version(&form.version)?);
    let problems = form.problems(&input);
    if !problems.is_empty() {
        return render(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            &form,
            problems,
            None,
        )
        .await;
    }
    match uc::create(&state.store, &state.atlas.get(), &input, &[])
        .await
        .map_err(Failure::from)
    {
        Ok(id) => Ok(see_other(&format!("/incidents/{id}"))),
        Err(Failure::Invalid(e)) => {
            let problems = Problems::one(form.problem(&e));
            render(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &form,
                problems,
                None,
            )
            .await
        }
        Err(Failure::Conflict(m)) => Err(AppError::Conflict(m)),
        Err(Failure::Other(e)) => Err(e),
    }
}

pub async fn edit_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let detail = load(&state, &id).await?;
    let i = &detail.incident;
    let editing = Editing::of(i);
    render(
        &state,
        StatusCode::OK,
        Some(editing),
        &IncidentForm::from_incident(i),
        Problems::default(),
        None,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<IncidentForm>,
) -> Result<Response, AppError> {
    let current = load(&state, &id).await?;
    let editing = Editing::of(&current.incident);
    let input = form.to_input(parse_version(&form.version)?);
    if input.version.is_none() {
        return Err(AppError::bad_request(
            "version",
            "version: the form did not say which version it edits",
        ));
    }
    let problems = form.problems(&input);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if !problems.is_empty() {
        return render(&state, unprocessable, Some(editing), &form, problems, None).await;
    }
    match uc::update(&state.store, &state.atlas.get(), &id, &input)
        .await
        .map_err(Failure::from)
    {
        Ok(_) => Ok(see_other(&format!("/incidents/{id}"))),
        Err(Failure::Invalid(e)) => {
            let problems = Problems::one(form.problem(&e));
            render(&state, unprocessable, Some(editing), &form, problems, None).await
        }
        Err(Failure::Conflict(_)) => conflict(&state, editing, &form, input.version).await,
        Err(Failure::Other(e)) => Err(e),
    }
}

/// The form again beside what the incident says now, when someone else
/// saved it first (409).
async fn conflict(
    state: &AppState,
    editing: Editing,
    form: &IncidentForm,
    sent_version: Option<i64>,
) -> Result<Response, AppError> {
    let now = load(state, &editing.id).await?;
    let conflict = ConflictView {
        message: conflict_text(sent_version, now.incident.version),
        current_version: now.incident.version,
        differences: form.differences(&IncidentForm::from_incident(&now.incident)),
    };
    let none = Problems::default();
    render(
        state,
        StatusCode::CONFLICT,
        Some(editing),
        form,
        none,
        Some(conflict),
    )
    .await
}

// ------------------------------------------------------------------ import

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ImportForm {
    yaml: String,
}

pub async fn import_page(State(state): State<AppState>) -> ImportPage {
    ImportView::build(&state.atlas.get(), "", None).into()
}

pub async fn import(
    State(state): State<AppState>,
    HtmlForm(form): HtmlForm<ImportForm>,
) -> Result<Response, AppError> {
    let atlas = state.atlas.get();
    let refused = |problem: Problem| {
        let page = ImportPage::from(ImportView::build(&atlas, &form.yaml, Some(problem)));
        Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, page))
    };
    let rejected = |e: ValidationError| refused(not_imported(&e));
    if form.yaml.trim().is_empty() {
        let why = "is empty: paste the YAML of an ATLAS case study";
        return refused(Problem::on("yaml", "The case study", why));
    }
    let doc = match case_studies::parse_case_study(form.yaml.as_bytes()) {
        Ok(doc) => doc,
        Err(e) => return rejected(e),
    };
    match case_studies::import_case_study(&state.store, &atlas, &doc)
        .await
        .map_err(Failure::from)
    {
        Ok(id) => Ok(see_other(&format!("/incidents/{id}"))),
        Err(Failure::Invalid(e)) => rejected(e),
        Err(Failure::Conflict(m)) => Err(AppError::Conflict(m)),
        Err(Failure::Other(e)) => Err(e),
    }
}

page!(FormPage, FormView, "incidents/form.html");
page!(ImportPage, ImportView, "incidents/import.html");
