//! Attachments on the incident page: uploading a file (a plain multipart
//! form, JavaScript not needed), downloading it (always as a download), and
//! removing it (a confirmation page, then a POST).

use axum::extract::{Path, State};
use axum::response::Response;

use super::see_other;
use crate::domain::attachment::human_size;
use crate::service::attachments as uc;
use crate::web::extract::auth::SignedIn;
use crate::web::extract::upload::UploadForm;
use crate::web::pages::confirm::ConfirmPage;
use crate::web::pages::downloads;
use crate::web::{AppError, AppState};

pub async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
    UploadForm(upload): UploadForm,
) -> Result<Response, AppError> {
    let (a, _) = uc::attach(&state.store, &id, upload, &who.by()).await?;
    Ok(see_other(&format!("/incidents/{id}#attachment-{}", a.id)))
}

pub async fn download(
    State(state): State<AppState>,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (a, bytes) = uc::content(&state.store, &id, &attachment).await?;
    Ok(downloads::attachment(&a, bytes))
}

/// `GET …/remove`: the question (JavaScript off; with it, the page asks in place).
pub async fn remove_page(
    State(state): State<AppState>,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<ConfirmPage, AppError> {
    let a = uc::get(&state.store, &id, &attachment).await?;
    let title = super::load(&state, &id).await?.incident.title;
    Ok(ConfirmPage::plain(
        format!("Remove “{}” from the incident “{title}”?", a.file_name),
        format!(
            "Its content ({}, SHA-256 {}) is deleted unless another attachment holds the same file; the activity timeline and the audit log keep its name and hash.",
            human_size(a.size),
            a.sha256
        ),
        format!("/incidents/{id}/attachments/{}/remove", a.id),
        "Remove the file",
        format!("/incidents/{id}#attachment-{}", a.id),
    ))
}

pub async fn remove(
    State(state): State<AppState>,
    Path((id, attachment)): Path<(String, String)>,
    who: SignedIn,
) -> Result<Response, AppError> {
    uc::remove(&state.store, &id, &attachment, &who.by()).await?;
    Ok(see_other(&format!("/incidents/{id}#attachments")))
}
