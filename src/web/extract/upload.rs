//! A file upload (`multipart/form-data`, from the incident page's form or the
//! API): the part `file` and an optional `step_id`. The routes that take one
//! lift the default body limit; this reader applies the configured one
//! (`WebConfig::attachment_max_bytes`) while the body streams in, so an
//! oversized file is refused (413 naming `file`) without being held whole.
//! The rest of an oversized file is read (up to the limit again) and dropped,
//! so that a browser still sending it sees the answer.

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_LENGTH;

use crate::domain::attachment::human_size;
use crate::service::attachments::Upload;
use crate::web::{AppError, AppState};

/// Room for the multipart framing and the small fields beside the file.
const FRAMING: usize = 64 * 1024;
/// Longest small field (`step_id`).
const TEXT_MAX: usize = 200;

pub struct UploadForm(pub Upload);

fn too_large(max: usize) -> AppError {
    AppError::FieldTooLarge {
        message: format!(
            "file: is larger than the limit of {} ({max} bytes)",
            human_size(max as i64)
        ),
        field: "file".to_string(),
    }
}

fn unreadable(e: MultipartError) -> AppError {
    AppError::bad_request(
        "file",
        format!("The upload could not be read: {}", e.body_text()),
    )
}

/// Reads and drops up to `budget` more bytes of a refused part, so that a
/// client still sending gets the answer rather than a reset connection.
async fn drain(field: &mut Field<'_>, budget: usize) {
    let mut left = budget;
    while let Ok(Some(chunk)) = field.chunk().await {
        let Some(rest) = left.checked_sub(chunk.len()) else {
            return;
        };
        left = rest;
    }
}

/// The bytes of one part, refused past `max` (with `over`).
async fn read_part(
    field: &mut Field<'_>,
    max: usize,
    over: impl Fn() -> AppError,
) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
        if bytes.len() + chunk.len() > max {
            drain(field, max).await;
            return Err(over());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Reads every part: one `file`, at most one `step_id`, nothing else.
async fn read_parts(mut multipart: Multipart, max: usize) -> Result<Upload, AppError> {
    let mut upload = Upload::default();
    let mut file_seen = false;
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" if !file_seen => {
                file_seen = true;
                upload.file_name = field.file_name().unwrap_or_default().to_string();
                upload.media_type = field.content_type().map(str::to_string);
                upload.content = read_part(&mut field, max, || too_large(max)).await?;
            }
            "step_id" if upload.step_id.is_none() => {
                let over = || AppError::bad_request("step_id", "step_id: is too long");
                let bytes = read_part(&mut field, TEXT_MAX, over).await?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| AppError::bad_request("step_id", "step_id: is not text"))?;
                upload.step_id = Some(text);
            }
            "file" => return Err(AppError::invalid("file", "file: attach one file at a time")),
            _ => {
                let shown: String = name.chars().take(40).collect();
                let message = format!("`{shown}` is not a field of the upload (file, step_id)");
                return Err(AppError::bad_request(shown, message));
            }
        }
    }
    if !file_seen {
        return Err(AppError::invalid(
            "file",
            "file: is required: choose a file",
        ));
    }
    Ok(upload)
}

impl FromRequest<AppState> for UploadForm {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let max = state.config.attachment_max_bytes;
        // A body announced far over the limit (more than the oversized
        // part's drain reads) is refused before it is read.
        let announced = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let far = max.saturating_mul(2).saturating_add(FRAMING);
        if announced.is_some_and(|n| n > far) {
            return Err(too_large(max));
        }
        let multipart = Multipart::from_request(req, state).await.map_err(|_| {
            AppError::UnsupportedMediaType(
                "An upload is sent as multipart/form-data with the file in the field `file`."
                    .to_string(),
            )
        })?;
        read_parts(multipart, max).await.map(UploadForm)
    }
}
