//! Working an incident as a team: assigning it, comments, tasks, and the
//! "My tasks" page. Each handler parses, calls one `service::teamwork`
//! function and answers 303 to the incident page (POST-redirect-GET).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;

use super::{HtmlForm, load, see_other};
use crate::domain::teamwork::TaskInput;
use crate::render::incident::task_form::TaskFormView;
use crate::render::teamwork::{
    MyTasksView, TeamInput, TeamView, my_tasks_view, team_view as build,
};
use crate::service::teamwork::{self as uc, TeamError};
use crate::web::extract::auth::SignedIn;
use crate::web::{AppError, AppState};

impl From<TeamError> for AppError {
    fn from(e: TeamError) -> Self {
        match e {
            TeamError::Invalid(errors) => AppError::Invalid {
                message: errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
                field: errors
                    .iter()
                    .map(|e| e.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            TeamError::Forbidden(m) => AppError::Forbidden(m),
            TeamError::Store(s) => s.into(),
        }
    }
}

/// The team section of the incident page, for the visitor.
pub(crate) fn team_view(t: &uc::Teamwork) -> TeamView {
    let visitor = crate::render::visitor::current();
    build(&TeamInput {
        members: &t.members,
        events: &t.events,
        comments: &t.comments,
        tasks: &t.tasks,
        workers: &t.workers,
        observables: &t.observables,
        viewer: visitor.user.as_ref().map(|(n, r)| (n.as_str(), *r)),
        now: Utc::now(),
    })
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    owner: String,
    #[serde(default)]
    participants: Vec<String>,
}

pub async fn assign(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
    HtmlForm(form): HtmlForm<AssignForm>,
) -> Result<Response, AppError> {
    uc::assign(
        &state.store,
        &id,
        Some(&form.owner),
        &form.participants,
        &who.by(),
    )
    .await?;
    Ok(see_other(&format!("/incidents/{id}#assign")))
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
}

pub async fn add_comment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
    HtmlForm(form): HtmlForm<CommentForm>,
) -> Result<Response, AppError> {
    let c = uc::add_comment(&state.store, &id, Some(&form.body), &who.by()).await?;
    Ok(see_other(&format!("/incidents/{id}#comment-{c}")))
}

#[derive(Template, WebTemplate)]
#[template(path = "incidents/comment_edit.html")]
pub struct CommentEditPage {
    id: String,
    title: String,
    comment_id: String,
    body: String,
    minutes: i64,
}

pub async fn edit_comment_page(
    State(state): State<AppState>,
    Path((id, comment)): Path<(String, String)>,
    who: SignedIn,
) -> Result<CommentEditPage, AppError> {
    let detail = load(&state, &id).await?;
    let c = uc::editable_comment(&state.store, &id, &comment, &who.by(), Utc::now()).await?;
    Ok(CommentEditPage {
        id,
        title: detail.incident.title,
        comment_id: c.id,
        body: c.body,
        minutes: crate::domain::teamwork::COMMENT_EDIT_WINDOW.num_minutes(),
    })
}

pub async fn edit_comment(
    State(state): State<AppState>,
    Path((id, comment)): Path<(String, String)>,
    who: SignedIn,
    HtmlForm(form): HtmlForm<CommentForm>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    uc::edit_comment(
        &state.store,
        &id,
        &comment,
        Some(&form.body),
        &who.by(),
        now,
    )
    .await?;
    Ok(see_other(&format!("/incidents/{id}#comment-{comment}")))
}

pub async fn remove_comment(
    State(state): State<AppState>,
    Path((id, comment)): Path<(String, String)>,
    who: SignedIn,
) -> Result<Response, AppError> {
    uc::remove_comment(&state.store, &id, &comment, &who.by()).await?;
    Ok(see_other(&format!("/incidents/{id}#comment-{comment}")))
}

pub async fn add_task(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
    HtmlForm(form): HtmlForm<TaskInput>,
) -> Result<Response, AppError> {
    let t = uc::add_task(&state.store, &id, &form, &who.by()).await?;
    Ok(see_other(&format!("/incidents/{id}#task-{t}")))
}

page!(TaskEditPage, TaskFormView, "incidents/task_edit.html");

pub async fn edit_task_page(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
) -> Result<TaskEditPage, AppError> {
    let detail = load(&state, &id).await?;
    let task = uc::task(&state.store, &id, &task).await?;
    let workers = uc::workers(&state.store).await?;
    Ok(TaskFormView::build(&state.atlas.get(), &detail, &task, &workers).into())
}

pub async fn edit_task(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    who: SignedIn,
    HtmlForm(form): HtmlForm<TaskInput>,
) -> Result<Response, AppError> {
    uc::update_task(&state.store, &id, &task, &form, &who.by()).await?;
    Ok(see_other(&format!("/incidents/{id}#task-{task}")))
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

pub async fn task_status(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    who: SignedIn,
    HtmlForm(form): HtmlForm<StatusForm>,
) -> Result<Response, AppError> {
    uc::set_task_status(&state.store, &id, &task, &form.status, &who.by()).await?;
    Ok(see_other(&format!("/incidents/{id}#task-{task}")))
}

#[derive(Template, WebTemplate)]
#[template(path = "incidents/my_tasks.html")]
pub struct MyTasksPage {
    user: String,
    tasks: MyTasksView,
}

pub async fn my_tasks(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<MyTasksPage, AppError> {
    let tasks = uc::my_tasks(&state.store, who.0.username()).await?;
    Ok(MyTasksPage {
        user: who.0.username().to_string(),
        tasks: my_tasks_view(&tasks, Utc::now().date_naive()),
    })
}
