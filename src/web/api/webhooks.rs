//! `/api/v1/webhooks` (admins): register hooks (the secret is answered
//! once, on creation), list them, read one with its delivery log, remove
//! one, and queue a test event to it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::domain::webhook::WebhookInput;
use crate::service::webhooks as uc;
use crate::web::extract::auth::Actor;
use crate::web::extract::json_body::ApiJson;
use crate::web::{ApiError, AppState};

type ApiResult<T> = Result<T, ApiError>;

/// `{"items": [hooks]}`, oldest first; never their secrets.
pub async fn list_handler(State(state): State<AppState>) -> ApiResult<Response> {
    let items = uc::list(&state.store).await?;
    Ok(Json(json!({ "items": items })).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CreateBody {
    url: Option<String>,
    events: Vec<String>,
    active: Option<bool>,
}

/// 201 with the hook and `secret`, which is never shown again.
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
    let mut answer =
        serde_json::to_value(&hook).map_err(|e| crate::web::AppError::Internal(e.to_string()))?;
    answer["secret"] = json!(secret);
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// The hook and `deliveries`: its latest attempts, newest first.
pub async fn get_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (hook, log) = uc::with_log(&state.store, &id).await?;
    let mut answer =
        serde_json::to_value(&hook).map_err(|e| crate::web::AppError::Internal(e.to_string()))?;
    answer["deliveries"] = json!(log);
    Ok(Json(answer).into_response())
}

pub async fn delete_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    actor: Actor,
) -> ApiResult<Response> {
    uc::remove(&state.store, &id, &actor.name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// 202 with `{"delivery": id}`: the test event is queued, sent shortly.
pub async fn test_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let delivery = uc::send_test(&state.store, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "delivery": delivery }))).into_response())
}
