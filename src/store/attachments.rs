//! Attachments (migration 0023): what is attached to an incident, and the
//! content, kept once per SHA-256 however many attachments hold it.

use crate::store::backend::{Tx, Written, on_pool, on_tx};
use sqlx::FromRow;

use super::teamwork::record_event;
use super::{Store, StoreError, StoreResult, new_id, now_rfc3339};
use crate::domain::attachment::{Attachment, NewAttachment, human_size};
use crate::domain::teamwork::EventKind;

#[derive(FromRow)]
struct Row {
    id: String,
    incident_id: String,
    step_id: Option<String>,
    file_name: String,
    media_type: String,
    size: i64,
    sha256: String,
    uploaded_at: String,
    uploaded_by: String,
    removed_at: Option<String>,
    removed_by: Option<String>,
}

impl From<Row> for Attachment {
    fn from(r: Row) -> Self {
        Attachment {
            id: r.id,
            incident_id: r.incident_id,
            step_id: r.step_id,
            file_name: r.file_name,
            media_type: r.media_type,
            size: r.size,
            sha256: r.sha256,
            uploaded_at: r.uploaded_at,
            uploaded_by: r.uploaded_by,
            removed_at: r.removed_at,
            removed_by: r.removed_by,
        }
    }
}

const SELECT: &str = "SELECT id, incident_id, step_id, file_name, media_type, size, sha256,
     uploaded_at, uploaded_by, removed_at, removed_by FROM attachments";

/// What the timeline says of a file: its name, size and hash.
fn described(name: &str, size: i64, sha256: &str) -> String {
    format!("{name} ({}, SHA-256 {sha256})", human_size(size))
}

const UNHELD: &str = "DELETE FROM attachment_blobs WHERE NOT EXISTS (SELECT 1 FROM attachments a
     WHERE a.sha256 = attachment_blobs.sha256 AND a.removed_at IS NULL)";

/// Drops every content no attachment holds any more (after an incident is deleted).
pub(super) async fn drop_unheld_blobs(conn: &mut Tx) -> StoreResult<()> {
    on_tx!(&mut *conn, |ex| sqlx::query(UNHELD)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
    Ok(())
}

/// Drops the content `sha256` unless an attachment still holds it.
async fn drop_blob_if_unheld(conn: &mut Tx, sha256: &str) -> StoreResult<()> {
    on_tx!(&mut *conn, |ex| sqlx::query(&format!(
        "{UNHELD} AND sha256 = $1"
    ))
    .bind(sha256)
    .execute(&mut *ex)
    .await
    .map(Written::from))?;
    Ok(())
}

impl Store {
    /// An incident's attachments, the oldest first, removed ones included.
    pub async fn attachments(&self, incident_id: &str) -> StoreResult<Vec<Attachment>> {
        let sql = format!("{SELECT} WHERE incident_id = $1 ORDER BY uploaded_at, id");
        let rows: Vec<Row> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(incident_id)
            .fetch_all(db)
            .await)?;
        Ok(rows.into_iter().map(Attachment::from).collect())
    }

    pub async fn attachment(&self, incident_id: &str, id: &str) -> StoreResult<Attachment> {
        let sql = format!("{SELECT} WHERE incident_id = $1 AND id = $2");
        let row: Option<Row> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(incident_id)
            .bind(id)
            .fetch_optional(db)
            .await)?;
        row.map(Attachment::from)
            .ok_or_else(|| StoreError::NotFound(format!("attachment {id}")))
    }

    /// The content of an attachment that is not removed.
    pub async fn attachment_content(&self, sha256: &str) -> StoreResult<Vec<u8>> {
        let row: Option<(Vec<u8>,)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT content FROM attachment_blobs WHERE sha256 = $1"
        )
        .bind(sha256)
        .fetch_optional(db)
        .await)?;
        row.map(|(c,)| c)
            .ok_or_else(|| StoreError::NotFound(format!("the content {sha256}")))
    }

    /// Attaches a file (checked by the caller), its content stored unless
    /// held already. The same content already attached at the same place
    /// (incident and step) is not attached twice: answers `(id, false)`
    /// with the attachment holding it.
    pub async fn add_attachment(&self, a: &NewAttachment, by: &str) -> StoreResult<(String, bool)> {
        let (mut tx, _turn) = self.write().await?;
        super::teamwork::require_incident(&mut tx, &a.incident_id).await?;
        let held: Option<(String,)> = on_tx!(&mut tx, |ex| sqlx::query_as(
            "SELECT id FROM attachments WHERE incident_id = $1 AND sha256 = $2
             AND removed_at IS NULL AND COALESCE(step_id, '') = COALESCE($3, '')",
        )
        .bind(&a.incident_id)
        .bind(&a.sha256)
        .bind(&a.step_id)
        .fetch_optional(&mut *ex)
        .await)?;
        if let Some((id,)) = held {
            return Ok((id, false));
        }
        let now = now_rfc3339();
        let size = a.content.len() as i64;
        on_tx!(&mut tx, |ex| {
            sqlx::query(
            "INSERT INTO attachment_blobs (sha256, size, content, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&a.sha256)
        .bind(size)
        .bind(&a.content)
        .bind(&now)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        let id = new_id("att-");
        on_tx!(&mut tx, |ex| {
            sqlx::query(
            "INSERT INTO attachments (id, incident_id, step_id, file_name, media_type, size, sha256,
                 uploaded_at, uploaded_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&a.incident_id)
        .bind(&a.step_id)
        .bind(&a.file_name)
        .bind(&a.media_type)
        .bind(size)
        .bind(&a.sha256)
        .bind(&now)
        .bind(by)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        let what = described(&a.file_name, size, &a.sha256);
        record_event(
            &mut tx,
            &a.incident_id,
            by,
            EventKind::AttachmentAdded,
            &id,
            "",
            &what,
        )
        .await?;
        tx.commit().await?;
        Ok((id, true))
    }

    /// Removes an attachment, keeping its row as the trace of who removed it
    /// and when; its content goes unless another attachment holds it.
    pub async fn remove_attachment(
        &self,
        incident_id: &str,
        id: &str,
        by: &str,
    ) -> StoreResult<()> {
        let (mut tx, _turn) = self.write().await?;
        let row: Option<(String, i64, String)> = on_tx!(&mut tx, |ex| sqlx::query_as(
            "SELECT file_name, size, sha256 FROM attachments
             WHERE incident_id = $1 AND id = $2 AND removed_at IS NULL",
        )
        .bind(incident_id)
        .bind(id)
        .fetch_optional(&mut *ex)
        .await)?;
        let Some((name, size, sha256)) = row else {
            return Err(StoreError::NotFound(format!("attachment {id}")));
        };
        on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE attachments SET removed_at = $1, removed_by = $2 WHERE id = $3"
        )
        .bind(now_rfc3339())
        .bind(by)
        .bind(id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        drop_blob_if_unheld(&mut tx, &sha256).await?;
        let what = described(&name, size, &sha256);
        record_event(
            &mut tx,
            incident_id,
            by,
            EventKind::AttachmentRemoved,
            id,
            &what,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
