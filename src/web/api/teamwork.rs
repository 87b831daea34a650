//! `/api/v1/incidents/{id}/…`: an incident's owner and participants, its
//! activity timeline, comments and tasks. Writes go through
//! `service::teamwork`, like the pages'.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::teamwork::TaskInput;
use crate::service::teamwork as uc;
use crate::web::extract::auth::SignedIn;
use crate::web::extract::json_body::ApiJson;
use crate::web::{ApiError, AppState};

type ApiResult<T> = Result<T, ApiError>;

pub async fn activity_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = uc::load(&state.store, &id).await?;
    Ok(Json(t.events).into_response())
}

pub async fn members_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = uc::load(&state.store, &id).await?;
    Ok(Json(t.members).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersBody {
    owner: Option<String>,
    #[serde(default)]
    participants: Vec<String>,
}

/// Body: `{"owner": "name" | null, "participants": [...]}`; answers the new members.
pub async fn set_members_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
    ApiJson(body): ApiJson<MembersBody>,
) -> ApiResult<Response> {
    uc::assign(
        &state.store,
        &id,
        body.owner.as_deref(),
        &body.participants,
        &who.by(),
    )
    .await?;
    members_handler(State(state), Path(id)).await
}

pub async fn comments_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = uc::load(&state.store, &id).await?;
    Ok(Json(t.comments).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    body: Option<String>,
}

/// Body: `{"body": "Markdown"}`; answers 201 with the comment.
pub async fn add_comment_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
    ApiJson(body): ApiJson<CommentBody>,
) -> ApiResult<Response> {
    let c = uc::add_comment(&state.store, &id, body.body.as_deref(), &who.by()).await?;
    let t = uc::load(&state.store, &id).await?;
    let comment = t.comments.into_iter().find(|x| x.id == c);
    Ok((StatusCode::CREATED, Json(comment)).into_response())
}

pub async fn tasks_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = uc::load(&state.store, &id).await?;
    Ok(Json(t.tasks).into_response())
}

/// Body: `{"title", "owner", "due_on", "mitigation_id", "step_id"}`; answers 201 with the task.
pub async fn add_task_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
    ApiJson(body): ApiJson<TaskInput>,
) -> ApiResult<Response> {
    let task = uc::add_task(&state.store, &id, &body, &who.by()).await?;
    let t = uc::load(&state.store, &id).await?;
    let task = t.tasks.into_iter().find(|x| x.id == task);
    Ok((StatusCode::CREATED, Json(task)).into_response())
}

/// Replaces a task's title, owner, due date and links (absent ones are cleared).
pub async fn update_task_handler(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    who: SignedIn,
    ApiJson(body): ApiJson<TaskInput>,
) -> ApiResult<Response> {
    uc::update_task(&state.store, &id, &task, &body, &who.by()).await?;
    Ok(Json(uc::task(&state.store, &id, &task).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: String,
}

/// Body: `{"status": "open" | "done"}`.
pub async fn task_status_handler(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    who: SignedIn,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<Response> {
    uc::set_task_status(&state.store, &id, &task, &body.status, &who.by()).await?;
    tasks_handler(State(state), Path(id)).await
}

pub async fn observables_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    crate::service::incidents::get(&state.store, &id).await?;
    let list = crate::service::observables::of_incident(&state.store, &id).await?;
    Ok(Json(list).into_response())
}

/// Body: `{"kind": "ip", "value": "10[.]0[.]0[.]1", "step_id": …}`; answers
/// 201 with the incident's observables (200 when it had this one already).
pub async fn add_observable_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
    ApiJson(body): ApiJson<crate::domain::observable::ObservableInput>,
) -> ApiResult<Response> {
    let added = crate::service::observables::add(&state.store, &id, &body, &who.by()).await?;
    let list = crate::service::observables::of_incident(&state.store, &id).await?;
    let status = if added.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(list)).into_response())
}
