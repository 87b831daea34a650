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

#[utoipa::path(
    get,
    operation_id = "attachments_list",
    path = "/api/v1/incidents/{id}/attachments",
    tag = "attachments",
    summary = "Attached files (records, not content)",
    params(("id" = String, Path, description = "Incident ID")),
    responses((status = 200, description = "Attachments", body = Vec<crate::domain::attachment::Attachment>),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
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
/// The multipart form `upload_handler` reads (see `UploadForm`), for the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadDoc {
    /// The file (one).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The step the file belongs to, if any.
    step_id: Option<String>,
}

#[utoipa::path(
    post,
    operation_id = "attachments_upload",
    path = "/api/v1/incidents/{id}/attachments",
    tag = "attachments",
    summary = "Attach a file (multipart)",
    params(("id" = String, Path, description = "Incident ID")),
    request_body(content = UploadDoc, content_type = "multipart/form-data"),
    responses((status = 201, description = "Attached", headers(("location" = String)), body = crate::domain::attachment::Attachment),
        (status = 200, description = "The same file was already attached there", body = crate::domain::attachment::Attachment),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
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

/// One attachment's record. A removed one is 410 Gone (a DELETE is not
/// followed by a 200), its body the record that says who removed it and when.
#[utoipa::path(
    get,
    operation_id = "attachments_get",
    path = "/api/v1/incidents/{id}/attachments/{attachment}",
    tag = "attachments",
    summary = "One attachment's record",
    params(("id" = String, Path, description = "Incident ID"), ("attachment" = String, Path, description = "Attachment ID")),
    responses((status = 200, description = "The record", body = crate::domain::attachment::Attachment),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 410, description = "Removed: the record, with who removed it and when", body = crate::domain::attachment::Attachment)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_handler(
    State(state): State<AppState>,
    Path((id, attachment)): Path<(String, String)>,
) -> ApiResult<Response> {
    let a = uc::record(&state.store, &id, &attachment).await?;
    let status = if a.is_removed() {
        StatusCode::GONE
    } else {
        StatusCode::OK
    };
    Ok((status, Json(a)).into_response())
}

#[utoipa::path(
    get,
    operation_id = "attachments_download",
    path = "/api/v1/incidents/{id}/attachments/{attachment}/download",
    tag = "attachments",
    summary = "The file's bytes",
    params(("id" = String, Path, description = "Incident ID"), ("attachment" = String, Path, description = "Attachment ID")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn download_handler(
    State(state): State<AppState>,
    Path((id, attachment)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (a, bytes) = uc::content(&state.store, &id, &attachment).await?;
    Ok(downloads::attachment(&a, bytes))
}

/// Answers 204; the record stays, marked removed.
#[utoipa::path(
    delete,
    operation_id = "attachments_delete",
    path = "/api/v1/incidents/{id}/attachments/{attachment}",
    tag = "attachments",
    summary = "Remove an attachment (the record stays, marked removed)",
    params(("id" = String, Path, description = "Incident ID"), ("attachment" = String, Path, description = "Attachment ID")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_handler(
    State(state): State<AppState>,
    Path((id, attachment)): Path<(String, String)>,
    who: SignedIn,
) -> ApiResult<StatusCode> {
    uc::remove(&state.store, &id, &attachment, &who.by()).await?;
    Ok(StatusCode::NO_CONTENT)
}
