//! `/api/v1/notifications`: the caller's notifications (list, mark read)
//! and their choices of what they are told, as the pages do.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::domain::notification::{NotifyKind, PreferencesInput};
use crate::service::notifications as uc;
use crate::web::extract::auth::SignedIn;
use crate::web::extract::json_body::ApiJson;
use crate::web::{ApiError, AppState};

type ApiResult<T> = Result<T, ApiError>;

/// `{"unread": n, "items": [...]}`, newest first.
pub async fn list_handler(State(state): State<AppState>, who: SignedIn) -> ApiResult<Response> {
    let (items, unread) = uc::inbox(&state.store, who.0.username()).await?;
    Ok(Json(json!({"unread": unread, "items": items})).into_response())
}

/// Marks one read; answers `{"unread": n}`. Another user's is a 404.
pub async fn read_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
) -> ApiResult<Response> {
    uc::mark_read(&state.store, who.0.username(), &id).await?;
    let unread = uc::unread(&state.store, who.0.username()).await?;
    Ok(Json(json!({"unread": unread})).into_response())
}

/// Marks all read; answers `{"marked": n, "unread": 0}`.
pub async fn read_all_handler(State(state): State<AppState>, who: SignedIn) -> ApiResult<Response> {
    let marked = uc::mark_all_read(&state.store, who.0.username()).await?;
    Ok(Json(json!({"marked": marked, "unread": 0})).into_response())
}

/// `{"email": …, "follow": [kinds], "mail": [kinds]}`.
pub async fn preferences_handler(
    State(state): State<AppState>,
    who: SignedIn,
) -> ApiResult<Response> {
    let (prefs, email) = uc::preferences(&state.store, who.0.username()).await?;
    let kinds = |pick: fn(crate::domain::notification::Choice) -> bool| -> Vec<&str> {
        NotifyKind::ALL
            .iter()
            .filter(|k| pick(prefs.choice(**k)))
            .map(|k| k.as_str())
            .collect()
    };
    Ok(Json(json!({
        "email": email,
        "follow": kinds(|c| c.follow),
        "mail": kinds(|c| c.by_email),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreferencesBody {
    #[serde(default)]
    follow: Vec<String>,
    #[serde(default)]
    mail: Vec<String>,
    email: Option<String>,
}

/// Body as answered by GET; every kind not listed is not followed.
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
