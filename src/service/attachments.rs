//! Attachments: attaching a file to an incident (or one of its steps),
//! reading one back, removing it. The size limit is applied where the bytes
//! are read (the web layer, while the upload streams in).

use super::teamwork::{By, TeamError};
use crate::domain::attachment::{Attachment, validate_upload};
use crate::store::{Store, StoreError};

/// A file as the upload form or the API received it.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub file_name: String,
    pub media_type: Option<String>,
    pub step_id: Option<String>,
    pub content: Vec<u8>,
}

/// Attaches a file; answers the attachment and whether it is new (`false`:
/// the same content was attached at the same place already).
pub async fn attach(
    store: &Store,
    incident_id: &str,
    upload: Upload,
    by: &By<'_>,
) -> Result<(Attachment, bool), TeamError> {
    let new = validate_upload(
        incident_id,
        upload.step_id.as_deref(),
        &upload.file_name,
        upload.media_type.as_deref(),
        upload.content,
    )?;
    let step = new.step_id.as_deref();
    if let Some(problem) = super::incidents::step_problem(store, incident_id, step).await? {
        return Err(problem.into());
    }
    let (id, created) = store.add_attachment(&new, by.user).await?;
    Ok((store.attachment(incident_id, &id).await?, created))
}

/// The incident's attachments, the oldest first, removed ones included.
pub async fn of_incident(store: &Store, incident_id: &str) -> Result<Vec<Attachment>, StoreError> {
    store.attachments(incident_id).await
}

/// One attachment's record, removed or not.
pub async fn record(store: &Store, incident_id: &str, id: &str) -> Result<Attachment, StoreError> {
    store.attachment(incident_id, id).await
}

/// One attachment that is not removed, or a 404.
pub async fn get(store: &Store, incident_id: &str, id: &str) -> Result<Attachment, StoreError> {
    let a = record(store, incident_id, id).await?;
    if a.is_removed() {
        return Err(StoreError::NotFound(format!("attachment {id}")));
    }
    Ok(a)
}

/// An attachment and its bytes.
pub async fn content(
    store: &Store,
    incident_id: &str,
    id: &str,
) -> Result<(Attachment, Vec<u8>), StoreError> {
    let a = get(store, incident_id, id).await?;
    let bytes = store.attachment_content(&a.sha256).await?;
    Ok((a, bytes))
}

pub async fn remove(
    store: &Store,
    incident_id: &str,
    id: &str,
    by: &By<'_>,
) -> Result<(), TeamError> {
    Ok(store.remove_attachment(incident_id, id, by.user).await?)
}
