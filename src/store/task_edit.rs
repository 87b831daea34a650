//! Changing a task's title, owner, due date or links (its status has a
//! write of its own): one activity event names what changed, old and new.

use crate::store::backend::{Written, on_tx};
use sqlx::FromRow;

use super::teamwork::record_event;
use super::{Store, StoreError, StoreResult, now_rfc3339};
use crate::domain::teamwork::{EventKind, TaskDraft};

/// A task's fields as an edit compares them.
#[derive(FromRow)]
struct TaskFields {
    title: String,
    owner: Option<String>,
    due_on: Option<String>,
    mitigation_id: Option<String>,
    step_id: Option<String>,
}

impl Store {
    /// Gives a task the fields of `draft` (the caller checked the owner and
    /// the step); answers whether anything changed.
    pub async fn update_task(
        &self,
        incident_id: &str,
        id: &str,
        draft: &TaskDraft,
        by: &str,
    ) -> StoreResult<bool> {
        let (mut tx, _turn) = self.write().await?;
        let current: Option<TaskFields> = on_tx!(&mut tx, |ex| sqlx::query_as(
            "SELECT title, owner, due_on, mitigation_id, step_id FROM incident_tasks
             WHERE incident_id = $1 AND id = $2",
        )
        .bind(incident_id)
        .bind(id)
        .fetch_optional(&mut *ex)
        .await)?;
        let Some(current) = current else {
            return Err(StoreError::NotFound(format!("task {id}")));
        };
        let (old, new) = changes(&current, draft);
        if new.is_empty() {
            return Ok(false);
        }
        on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE incident_tasks SET title = $1, owner = $2, due_on = $3, mitigation_id = $4,
                    step_id = $5, updated_at = $6
             WHERE id = $7",
        )
        .bind(&draft.title)
        .bind(&draft.owner)
        .bind(&draft.due_on)
        .bind(&draft.mitigation_id)
        .bind(&draft.step_id)
        .bind(now_rfc3339())
        .bind(id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        record_event(
            &mut tx,
            incident_id,
            by,
            EventKind::TaskEdited,
            id,
            &old,
            &new,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// What changed, as the timeline shows it: `owner alice; due 2026-12-01`
/// before, `owner bob; due none` after (unchanged fields left out).
fn changes(current: &TaskFields, draft: &TaskDraft) -> (String, String) {
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_string());
    let mut old = Vec::new();
    let mut new = Vec::new();
    let fields = [
        ("title", current.title.clone(), draft.title.clone()),
        ("owner", shown(&current.owner), shown(&draft.owner)),
        ("due", shown(&current.due_on), shown(&draft.due_on)),
        (
            "mitigation",
            shown(&current.mitigation_id),
            shown(&draft.mitigation_id),
        ),
        ("step", shown(&current.step_id), shown(&draft.step_id)),
    ];
    for (label, before, after) in fields {
        if before != after {
            old.push(format!("{label} {before}"));
            new.push(format!("{label} {after}"));
        }
    }
    (old.join("; "), new.join("; "))
}
