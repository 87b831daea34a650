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

#[utoipa::path(
    get,
    operation_id = "teamwork_activity",
    path = "/api/v1/incidents/{id}/activity",
    tag = "teamwork",
    summary = "The incident's activity timeline",
    params(("id" = String, Path, description = "Incident ID")),
    responses((status = 200, description = "Events", body = Vec<crate::domain::teamwork::Event>),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn activity_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = uc::load(&state.store, &id).await?;
    Ok(Json(t.events).into_response())
}

#[utoipa::path(
    get,
    operation_id = "teamwork_members",
    path = "/api/v1/incidents/{id}/members",
    tag = "teamwork",
    summary = "Owner and participants",
    params(("id" = String, Path, description = "Incident ID")),
    responses((status = 200, description = "Members", body = crate::domain::teamwork::Members),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn members_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = uc::load(&state.store, &id).await?;
    Ok(Json(t.members).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersBody {
    owner: Option<String>,
    #[serde(default)]
    participants: Vec<String>,
}

/// Body: `{"owner": "name" | null, "participants": [...]}`; answers the new members.
#[utoipa::path(
    put,
    operation_id = "teamwork_set_members",
    path = "/api/v1/incidents/{id}/members",
    tag = "teamwork",
    summary = "Set owner and participants",
    params(("id" = String, Path, description = "Incident ID")),
    request_body(content = MembersBody, content_type = "application/json"),
    responses((status = 200, description = "Members as stored", body = crate::domain::teamwork::Members),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
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

#[utoipa::path(
    get,
    operation_id = "teamwork_comments",
    path = "/api/v1/incidents/{id}/comments",
    tag = "teamwork",
    summary = "Comments",
    params(("id" = String, Path, description = "Incident ID")),
    responses((status = 200, description = "Comments", body = Vec<crate::domain::teamwork::Comment>),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn comments_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = uc::load(&state.store, &id).await?;
    Ok(Json(t.comments).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    body: Option<String>,
}

/// Body: `{"body": "Markdown"}`; answers 201 with the comment.
#[utoipa::path(
    post,
    operation_id = "teamwork_add_comment",
    path = "/api/v1/incidents/{id}/comments",
    tag = "teamwork",
    summary = "Add a comment (Markdown)",
    params(("id" = String, Path, description = "Incident ID")),
    request_body(content = CommentBody, content_type = "application/json"),
    responses((status = 201, description = "The comment", body = crate::domain::teamwork::Comment),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
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

#[utoipa::path(
    get,
    operation_id = "teamwork_tasks",
    path = "/api/v1/incidents/{id}/tasks",
    tag = "teamwork",
    summary = "Tasks",
    params(("id" = String, Path, description = "Incident ID")),
    responses((status = 200, description = "Tasks", body = Vec<crate::domain::teamwork::Task>),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn tasks_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = uc::load(&state.store, &id).await?;
    Ok(Json(t.tasks).into_response())
}

/// Body: `{"title", "owner", "due_on", "mitigation_id", "step_id"}`; answers 201 with the task.
#[utoipa::path(
    post,
    operation_id = "teamwork_add_task",
    path = "/api/v1/incidents/{id}/tasks",
    tag = "teamwork",
    summary = "Add a task",
    params(("id" = String, Path, description = "Incident ID")),
    request_body(content = crate::domain::teamwork::TaskInput, content_type = "application/json"),
    responses((status = 201, description = "The task", body = crate::domain::teamwork::Task),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
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
#[utoipa::path(
    put,
    operation_id = "teamwork_update_task",
    path = "/api/v1/incidents/{id}/tasks/{task}",
    tag = "teamwork",
    summary = "Replace a task",
    params(("id" = String, Path, description = "Incident ID"), ("task" = String, Path, description = "Task ID")),
    request_body(content = crate::domain::teamwork::TaskInput, content_type = "application/json"),
    responses((status = 200, description = "The task", body = crate::domain::teamwork::Task),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_task_handler(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    who: SignedIn,
    ApiJson(body): ApiJson<TaskInput>,
) -> ApiResult<Response> {
    uc::update_task(&state.store, &id, &task, &body, &who.by()).await?;
    Ok(Json(uc::task(&state.store, &id, &task).await?).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: String,
}

/// Body: `{"status": "open" | "done"}`.
#[utoipa::path(
    put,
    operation_id = "teamwork_task_status",
    path = "/api/v1/incidents/{id}/tasks/{task}/status",
    tag = "teamwork",
    summary = "Open or close a task",
    params(("id" = String, Path, description = "Incident ID"), ("task" = String, Path, description = "Task ID")),
    request_body(content = StatusBody, content_type = "application/json"),
    responses((status = 200, description = "The task", body = crate::domain::teamwork::Task),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn task_status_handler(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    who: SignedIn,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<Response> {
    uc::set_task_status(&state.store, &id, &task, &body.status, &who.by()).await?;
    tasks_handler(State(state), Path(id)).await
}

#[utoipa::path(
    get,
    operation_id = "teamwork_observables",
    path = "/api/v1/incidents/{id}/observables",
    tag = "teamwork",
    summary = "Observables",
    params(("id" = String, Path, description = "Incident ID")),
    responses((status = 200, description = "Observables", body = Vec<crate::domain::observable::Observable>),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
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
#[utoipa::path(
    post,
    operation_id = "teamwork_add_observable",
    path = "/api/v1/incidents/{id}/observables",
    tag = "teamwork",
    summary = "Add an observable",
    params(("id" = String, Path, description = "Incident ID")),
    request_body(content = crate::domain::observable::ObservableInput, content_type = "application/json"),
    responses((status = 201, description = "Added; the incident's observables", body = Vec<crate::domain::observable::Observable>),
        (status = 200, description = "Already there; the incident's observables", body = Vec<crate::domain::observable::Observable>),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
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
