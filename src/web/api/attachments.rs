//! `/api/v1/incidents/{id}/attachments`: an incident's attached files —
//! listed (with their SHA-256, removed ones included), uploaded as
//! `multipart/form-data` (the part `file`, optionally `step_id`), downloaded
//! (always as bytes to save), removed. Writes go through
//! `service::attachments`, like the pages'.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::service::attachments as uc;
use crate::web::extract::auth::SignedIn;
use crate::web::extract::upload::UploadForm;
use crate::web::pages::downloads;
use crate::web::{ApiError, AppError, AppState};

type ApiResult<T> = Result<T, ApiError>;

pub async fn list_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    crate::service::incidents::get(&state.store, &id).await?;
    let list = uc::of_incident(&state.store, &id).await?;
    Ok(Json(list).into_response())
}

/// Answers 201 with the attachment (200 with the one already holding the
/// same file at the same place).
pub async fn upload_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
    upload: Result<UploadForm, AppError>,
) -> ApiResult<Response> {
    let UploadForm(upload) = upload?;
    let (a, created) = uc::attach(&state.store, &id, upload, &who.by()).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let location = format!("/api/v1/incidents/{id}/attachments/{}", a.id);
    Ok((status, [(header::LOCATION, location)], Json(a)).into_response())
}

/// One attachment's record (a removed one says who removed it and when).
pub async fn get_handler(
    State(state): State<AppState>,
    Path((id, attachment)): Path<(String, String)>,
) -> ApiResult<Response> {
    let a = uc::record(&state.store, &id, &attachment).await?;
    Ok(Json(a).into_response())
}

pub async fn download_handler(
    State(state): State<AppState>,
    Path((id, attachment)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (a, bytes) = uc::content(&state.store, &id, &attachment).await?;
    Ok(downloads::attachment(&a, bytes))
}

/// Answers 204; the record stays, marked removed.
pub async fn delete_handler(
    State(state): State<AppState>,
    Path((id, attachment)): Path<(String, String)>,
    who: SignedIn,
) -> ApiResult<StatusCode> {
    uc::remove(&state.store, &id, &attachment, &who.by()).await?;
    Ok(StatusCode::NO_CONTENT)
}
