//! `/api/v1/webhooks` (admins): register hooks (the secret is answered
//! once, on creation), list them, read one with its delivery log, remove
//! one, and queue a test event to it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::domain::webhook::{DeliveryAttempt, Webhook, WebhookInput};
use crate::service::webhooks as uc;
use crate::web::extract::auth::Actor;
use crate::web::extract::json_body::ApiJson;
use crate::web::{ApiError, AppState};

type ApiResult<T> = Result<T, ApiError>;

#[derive(Serialize, utoipa::ToSchema)]
pub struct HookList {
    items: Vec<Webhook>,
}

/// A new hook with its secret (shown this once).
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedHook {
    #[serde(flatten)]
    hook: Webhook,
    secret: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HookWithLog {
    #[serde(flatten)]
    hook: Webhook,
    deliveries: Vec<DeliveryAttempt>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Queued {
    delivery: String,
}

/// `{"items": [hooks]}`, oldest first; never their secrets.
#[utoipa::path(
    get,
    operation_id = "webhooks_list",
    path = "/api/v1/webhooks",
    tag = "webhooks",
    summary = "Registered webhooks (never their secrets)",
    responses((status = 200, description = "Hooks, oldest first", body = HookList)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_handler(State(state): State<AppState>) -> ApiResult<Response> {
    let items = uc::list(&state.store).await?;
    Ok(Json(HookList { items }).into_response())
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CreateBody {
    url: Option<String>,
    events: Vec<String>,
    active: Option<bool>,
}

/// 201 with the hook and `secret`, which is never shown again.
#[utoipa::path(
    post,
    operation_id = "webhooks_create",
    path = "/api/v1/webhooks",
    tag = "webhooks",
    summary = "Register a webhook; its HMAC-SHA256 secret is answered once",
    request_body(content = CreateBody, content_type = "application/json"),
    responses((status = 201, description = "The hook with its secret", body = CreatedHook),
        (status = 400, description = "A malformed body; `field` names it", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_handler(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<Response> {
    let input = WebhookInput {
        url: body.url.unwrap_or_default(),
        events: body.events,
        active: body.active.unwrap_or(true),
    };
    let (hook, secret) =
        uc::register(&state.store, &input, &state.config.webhooks, &actor.name).await?;
    Ok((StatusCode::CREATED, Json(CreatedHook { hook, secret })).into_response())
}

/// The hook and `deliveries`: its latest attempts, newest first.
#[utoipa::path(
    get,
    operation_id = "webhooks_get",
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    summary = "One hook with its delivery log",
    params(("id" = String, Path, description = "Webhook ID")),
    responses((status = 200, description = "The hook and its latest attempts", body = HookWithLog),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (hook, log) = uc::with_log(&state.store, &id).await?;
    Ok(Json(HookWithLog {
        hook,
        deliveries: log,
    })
    .into_response())
}

#[utoipa::path(
    delete,
    operation_id = "webhooks_delete",
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    summary = "Remove a hook",
    params(("id" = String, Path, description = "Webhook ID")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    actor: Actor,
) -> ApiResult<Response> {
    uc::remove(&state.store, &id, &actor.name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// 202 with `{"delivery": id}`: the test event is queued, sent shortly.
#[utoipa::path(
    post,
    operation_id = "webhooks_test",
    path = "/api/v1/webhooks/{id}/test",
    tag = "webhooks",
    summary = "Queue a test event to a hook",
    params(("id" = String, Path, description = "Webhook ID")),
    responses((status = 202, description = "Queued", body = Queued),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn test_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let delivery = uc::send_test(&state.store, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { delivery })).into_response())
}
