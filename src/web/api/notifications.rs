//! `/api/v1/notifications`: the caller's notifications (list, mark read)
//! and their choices of what they are told, as the pages do.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::domain::notification::{NotifyKind, PreferencesInput};
use crate::service::notifications as uc;
use crate::web::extract::auth::SignedIn;
use crate::web::extract::json_body::ApiJson;
use crate::web::{ApiError, AppState};

type ApiResult<T> = Result<T, ApiError>;

/// The inbox: newest first, with the number still unread.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InboxJson {
    unread: i64,
    items: Vec<crate::domain::notification::Notification>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UnreadJson {
    unread: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MarkedJson {
    marked: u64,
    unread: i64,
}

/// The kinds of event followed and mailed, and the address mail goes to.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PreferencesJson {
    email: Option<String>,
    follow: Vec<NotifyKind>,
    mail: Vec<NotifyKind>,
}

/// `{"unread": n, "items": [...]}`, newest first.
#[utoipa::path(
    get,
    operation_id = "notifications_list",
    path = "/api/v1/notifications",
    tag = "notifications",
    summary = "The signed-in user's notifications",
    responses((status = 200, description = "Inbox", body = InboxJson)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_handler(State(state): State<AppState>, who: SignedIn) -> ApiResult<Response> {
    let (items, unread) = uc::inbox(&state.store, who.0.username()).await?;
    Ok(Json(InboxJson { unread, items }).into_response())
}

/// Marks one read; answers `{"unread": n}`. Another user's is a 404.
#[utoipa::path(
    post,
    operation_id = "notifications_read",
    path = "/api/v1/notifications/{id}/read",
    tag = "notifications",
    summary = "Mark one notification read",
    params(("id" = String, Path)),
    responses((status = 200, description = "Unread count", body = UnreadJson),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn read_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
) -> ApiResult<Response> {
    uc::mark_read(&state.store, who.0.username(), &id).await?;
    let unread = uc::unread(&state.store, who.0.username()).await?;
    Ok(Json(UnreadJson { unread }).into_response())
}

/// Marks all read; answers `{"marked": n, "unread": 0}`.
#[utoipa::path(
    post,
    operation_id = "notifications_read_all",
    path = "/api/v1/notifications/read-all",
    tag = "notifications",
    summary = "Mark every notification read",
    responses((status = 200, description = "Counts", body = MarkedJson)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn read_all_handler(State(state): State<AppState>, who: SignedIn) -> ApiResult<Response> {
    let marked = uc::mark_all_read(&state.store, who.0.username()).await?;
    Ok(Json(MarkedJson { marked, unread: 0 }).into_response())
}

/// `{"email": …, "follow": [kinds], "mail": [kinds]}`.
#[utoipa::path(
    get,
    operation_id = "notifications_preferences",
    path = "/api/v1/notifications/preferences",
    tag = "notifications",
    summary = "What the user follows and gets mailed",
    responses((status = 200, description = "Preferences", body = PreferencesJson)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn preferences_handler(
    State(state): State<AppState>,
    who: SignedIn,
) -> ApiResult<Response> {
    let (prefs, email) = uc::preferences(&state.store, who.0.username()).await?;
    let kinds = |pick: fn(crate::domain::notification::Choice) -> bool| -> Vec<NotifyKind> {
        NotifyKind::ALL
            .iter()
            .copied()
            .filter(|k| pick(prefs.choice(*k)))
            .collect()
    };
    Ok(Json(PreferencesJson {
        email,
        follow: kinds(|c| c.follow),
        mail: kinds(|c| c.by_email),
    })
    .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesBody {
    #[serde(default)]
    follow: Vec<String>,
    #[serde(default)]
    mail: Vec<String>,
    email: Option<String>,
}

/// Body as answered by GET; every kind not listed is not followed.
#[utoipa::path(
    put,
    operation_id = "notifications_set_preferences",
    path = "/api/v1/notifications/preferences",
    tag = "notifications",
    summary = "Set the preferences",
    request_body(content = PreferencesBody, content_type = "application/json"),
    responses((status = 200, description = "Preferences as stored", body = PreferencesJson),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn set_preferences_handler(
    State(state): State<AppState>,
    who: SignedIn,
    ApiJson(body): ApiJson<PreferencesBody>,
) -> ApiResult<Response> {
    let input = PreferencesInput {
        follow: body.follow,
        mail: body.mail,
        email: body.email,
    };
    uc::set_preferences(&state.store, who.0.username(), &input).await?;
    preferences_handler(State(state), who).await
}
