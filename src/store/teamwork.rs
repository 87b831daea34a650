//! Working an incident as a team: owner and participants, the activity
//! timeline, comments and tasks (migration 0020). Every change writes its
//! activity event in the same transaction ([`record_event`]).

use crate::store::backend::{Sql, Tx, Written, on_pool, on_tx};
use std::collections::HashMap;

use sqlx::FromRow;

use super::{Store, StoreError, StoreResult, new_id, now_rfc3339};
use crate::domain::auth::Role;
use crate::domain::retro_actions::{self, ActionStatus};
use crate::domain::teamwork::{
    Comment, Event, EventKind, Members, Task, TaskDraft, TaskOrigin, TaskStatus, may_work_incidents,
};

/// Appends one event to an incident's timeline, on the transaction making
/// the change it describes, with the notifications it makes.
pub(super) async fn record_event(
    conn: &mut Tx,
    incident_id: &str,
    actor: &str,
    kind: EventKind,
    subject: &str,
    old_value: &str,
    new_value: &str,
) -> StoreResult<()> {
    let (seq,): (i64,) = on_tx!(&mut *conn, |ex| sqlx::query_as(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM incident_events WHERE incident_id = $1",
    )
    .bind(incident_id)
    .fetch_one(&mut *ex)
    .await)?;
    let id = new_id("ev-");
    on_tx!(&mut *conn, |ex| {
        sqlx::query(
        "INSERT INTO incident_events (id, incident_id, seq, at, actor, kind, subject, old_value, new_value)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(incident_id)
    .bind(seq)
    .bind(now_rfc3339())
    .bind(actor)
    .bind(kind.as_str())
    .bind(subject)
    .bind(old_value)
    .bind(new_value)
    .execute(&mut *ex)
    .await.map(Written::from)
    })?;
    let event = super::notifications::RecordedEvent {
        id: &id,
        incident_id,
        actor,
        kind,
        subject,
        old_value,
        new_value,
    };
    super::notifications::notify_event(conn, &event).await?;
    super::webhooks::enqueue_event(conn, &event).await
}

/// [`record_event`] by the user making the current request.
pub(super) async fn record(
    conn: &mut Tx,
    incident_id: &str,
    kind: EventKind,
    subject: &str,
    old_value: &str,
    new_value: &str,
) -> StoreResult<()> {
    let actor = super::acting::current();
    record_event(
        conn,
        incident_id,
        &actor,
        kind,
        subject,
        old_value,
        new_value,
    )
    .await
}

/// The confirmed tactic of an ingested step (one of its candidates).
pub(super) async fn record_tactic(
    conn: &mut Tx,
    incident_id: &str,
    step_id: &str,
    candidates: &str,
    tactic_id: &str,
) -> StoreResult<()> {
    let subject = format!("step {step_id} tactic");
    record(
        conn,
        incident_id,
        EventKind::StepEdited,
        &subject,
        candidates,
        tactic_id,
    )
    .await
}

pub(super) async fn require_incident(conn: &mut Tx, id: &str) -> StoreResult<String> {
    let row: Option<(String,)> = on_tx!(&mut *conn, |ex| sqlx::query_as(
        "SELECT title FROM incidents WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(&mut *ex)
    .await)?;
    row.map(|(t,)| t)
        .ok_or_else(|| StoreError::NotFound(format!("incident {id}")))
}

#[derive(FromRow)]
struct EventRow {
    id: String,
    incident_id: String,
    seq: i64,
    at: String,
    actor: String,
    kind: String,
    subject: String,
    old_value: String,
    new_value: String,
}

#[derive(FromRow)]
struct CommentRow {
    id: String,
    incident_id: String,
    author: String,
    body: String,
    created_at: String,
    edited_at: Option<String>,
    removed_at: Option<String>,
    removed_by: Option<String>,
}

impl From<CommentRow> for Comment {
    fn from(r: CommentRow) -> Self {
        Comment {
            id: r.id,
            incident_id: r.incident_id,
            author: r.author,
            body: r.body,
            created_at: r.created_at,
            edited_at: r.edited_at,
            removed_at: r.removed_at,
            removed_by: r.removed_by,
        }
    }
}

const COMMENT_COLUMNS: &str =
    "id, incident_id, author, body, created_at, edited_at, removed_at, removed_by";

#[derive(FromRow)]
struct TaskRow {
    id: String,
    incident_id: String,
    incident_title: String,
    title: String,
    owner: Option<String>,
    due_on: Option<String>,
    status: String,
    mitigation_id: Option<String>,
    step_id: Option<String>,
    origin: String,
    created_at: String,
    created_by: String,
    done_at: Option<String>,
    done_by: Option<String>,
}

impl TaskRow {
    fn into_task(self) -> StoreResult<Task> {
        Ok(Task {
            status: TaskStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("task status `{}`", self.status)))?,
            origin: TaskOrigin::parse(&self.origin)
                .ok_or_else(|| StoreError::Corrupt(format!("task origin `{}`", self.origin)))?,
            id: self.id,
            incident_id: self.incident_id,
            incident_title: self.incident_title,
            title: self.title,
            owner: self.owner,
            due_on: self.due_on,
            mitigation_id: self.mitigation_id,
            step_id: self.step_id,
            created_at: self.created_at,
            created_by: self.created_by,
            done_at: self.done_at,
            done_by: self.done_by,
        })
    }
}

const TASK_SELECT: &str =
    "SELECT t.id, t.incident_id, i.title AS incident_title, t.title, t.owner, t.due_on, t.status,
     t.mitigation_id, t.step_id, t.origin, t.created_at, t.created_by, t.done_at, t.done_by
     FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id";

/// Open tasks first, by due date (undated last), then the newest.
const TASK_ORDER: &str = " ORDER BY CASE t.status WHEN 'open' THEN 0 ELSE 1 END,
     CASE WHEN t.due_on IS NULL THEN 1 ELSE 0 END, t.due_on, t.created_at, t.id";

fn tasks_from(rows: Vec<TaskRow>) -> StoreResult<Vec<Task>> {
    rows.into_iter().map(TaskRow::into_task).collect()
}

impl Store {
    // ------------------------------------------------------------ members

    /// The owner and participants of each incident of `ids`.
    pub async fn members_of(&self, ids: &[String]) -> StoreResult<HashMap<String, Members>> {
        let mut map: HashMap<String, Members> = HashMap::new();
        if ids.is_empty() {
            return Ok(map);
        }
        let mut qb: Sql = Sql::new(
            "SELECT incident_id, username, is_owner FROM incident_members WHERE incident_id IN (",
        );
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(id);
        }
        qb.push(") ORDER BY incident_id, username");
        let rows: Vec<(String, String, bool)> =
            on_pool!(&self.pool, |db| qb.query_as()?.fetch_all(db).await)?;
        for (id, user, owner) in rows {
            let m = map.entry(id).or_default();
            if owner {
                m.owner = Some(user);
            } else {
                m.participants.push(user);
            }
        }
        Ok(map)
    }

    /// `NotFound` unless the incident exists: reads of a deleted incident's
    /// teamwork answer 404, not an empty list (schemathesis, ST301).
    pub async fn require_incident(&self, incident_id: &str) -> StoreResult<()> {
        let mut tx = self.read().await?;
        require_incident(&mut tx, incident_id).await.map(|_| ())
    }

    pub async fn members(&self, incident_id: &str) -> StoreResult<Members> {
        Ok(self
            .members_of(&[incident_id.to_string()])
            .await?
            .remove(incident_id)
            .unwrap_or_default())
    }

    /// Replaces the owner and participants; each change is an event. Answers
    /// whether anything changed.
    pub async fn set_members(
        &self,
        incident_id: &str,
        members: &Members,
        by: &str,
    ) -> StoreResult<bool> {
        let current = self.members(incident_id).await?;
        let (mut tx, _turn) = self.write().await?;
        require_incident(&mut tx, incident_id).await?;
        if current == *members {
            return Ok(false);
        }
        on_tx!(&mut tx, |ex| sqlx::query(
            "DELETE FROM incident_members WHERE incident_id = $1"
        )
        .bind(incident_id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        let now = now_rfc3339();
        let rows = members
            .owner
            .iter()
            .map(|o| (o, true))
            .chain(members.participants.iter().map(|p| (p, false)));
        for (user, owner) in rows {
            on_tx!(&mut tx, |ex| sqlx::query(
                "INSERT INTO incident_members (incident_id, username, is_owner, added_at, added_by)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(incident_id)
            .bind(user)
            .bind(owner)
            .bind(&now)
            .bind(by)
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
        }
        if current.owner != members.owner {
            let name = |o: &Option<String>| o.clone().unwrap_or_default();
            record_event(
                &mut tx,
                incident_id,
                by,
                EventKind::Owner,
                "owner",
                &name(&current.owner),
                &name(&members.owner),
            )
            .await?;
        }
        if current.participants != members.participants {
            record_event(
                &mut tx,
                incident_id,
                by,
                EventKind::Participants,
                "participants",
                &current.participants.join(", "),
                &members.participants.join(", "),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    // ------------------------------------------------------------- events

    /// An incident's timeline, oldest first.
    pub async fn events(&self, incident_id: &str) -> StoreResult<Vec<Event>> {
        let rows: Vec<EventRow> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT id, incident_id, seq, at, actor, kind, subject, old_value, new_value
             FROM incident_events WHERE incident_id = $1 ORDER BY seq",
        )
        .bind(incident_id)
        .fetch_all(db)
        .await)?;
        rows.into_iter()
            .map(|r| {
                Ok(Event {
                    kind: EventKind::parse(&r.kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("event kind `{}`", r.kind)))?,
                    id: r.id,
                    incident_id: r.incident_id,
                    seq: r.seq,
                    at: r.at,
                    actor: r.actor,
                    subject: r.subject,
                    old_value: r.old_value,
                    new_value: r.new_value,
                })
            })
            .collect()
    }

    // ----------------------------------------------------------- comments

    /// An incident's comments, oldest first (removed ones included, without text).
    pub async fn comments(&self, incident_id: &str) -> StoreResult<Vec<Comment>> {
        let sql = format!(
            "SELECT {COMMENT_COLUMNS} FROM incident_comments WHERE incident_id = $1 ORDER BY created_at, id"
        );
        let rows: Vec<CommentRow> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(incident_id)
            .fetch_all(db)
            .await)?;
        Ok(rows.into_iter().map(Comment::from).collect())
    }

    pub async fn comment(&self, incident_id: &str, id: &str) -> StoreResult<Option<Comment>> {
        let sql = format!(
            "SELECT {COMMENT_COLUMNS} FROM incident_comments WHERE incident_id = $1 AND id = $2"
        );
        let row: Option<CommentRow> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(incident_id)
            .bind(id)
            .fetch_optional(db)
            .await)?;
        Ok(row.map(Comment::from))
    }

    pub async fn add_comment(
        &self,
        incident_id: &str,
        author: &str,
        body: &str,
    ) -> StoreResult<String> {
        let (mut tx, _turn) = self.write().await?;
        require_incident(&mut tx, incident_id).await?;
        let id = new_id("cmt-");
        on_tx!(&mut tx, |ex| {
            sqlx::query(
            "INSERT INTO incident_comments (id, incident_id, author, body, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(incident_id)
        .bind(author)
        .bind(body)
        .bind(now_rfc3339())
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        record_event(
            &mut tx,
            incident_id,
            author,
            EventKind::CommentAdded,
            &id,
            "",
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces a comment's text (the caller checked who may); the old text is in the event.
    pub async fn edit_comment(
        &self,
        incident_id: &str,
        id: &str,
        body: &str,
        by: &str,
    ) -> StoreResult<()> {
        let (mut tx, _turn) = self.write().await?;
        let old: Option<(String,)> = on_tx!(&mut tx, |ex| {
            sqlx::query_as(
            "SELECT body FROM incident_comments WHERE incident_id = $1 AND id = $2 AND removed_at IS NULL",
        )
        .bind(incident_id)
        .bind(id)
        .fetch_optional(&mut *ex)
        .await
        })?;
        let Some((old,)) = old else {
            return Err(StoreError::NotFound(format!("comment {id}")));
        };
        on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE incident_comments SET body = $1, edited_at = $2 WHERE id = $3"
        )
        .bind(body)
        .bind(now_rfc3339())
        .bind(id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        record_event(
            &mut tx,
            incident_id,
            by,
            EventKind::CommentEdited,
            id,
            &old,
            body,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a comment's text, keeping the row as the trace of who removed it and when.
    pub async fn remove_comment(&self, incident_id: &str, id: &str, by: &str) -> StoreResult<()> {
        let (mut tx, _turn) = self.write().await?;
        let now = now_rfc3339();
        let done = on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE incident_comments SET body = '', removed_at = $1, removed_by = $2
             WHERE incident_id = $3 AND id = $4 AND removed_at IS NULL",
        )
        .bind(&now)
        .bind(by)
        .bind(incident_id)
        .bind(id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("comment {id}")));
        }
        // Its earlier texts go too (kept in the edit events until now).
        on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE incident_events SET old_value = '', new_value = ''
             WHERE incident_id = $1 AND subject = $2 AND kind = $3",
        )
        .bind(incident_id)
        .bind(id)
        .bind(EventKind::CommentEdited.as_str())
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        record_event(
            &mut tx,
            incident_id,
            by,
            EventKind::CommentRemoved,
            id,
            "",
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // -------------------------------------------------------------- tasks

    pub async fn tasks(&self, incident_id: &str) -> StoreResult<Vec<Task>> {
        let sql = format!("{TASK_SELECT} WHERE t.incident_id = $1{TASK_ORDER}");
        let rows: Vec<TaskRow> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(incident_id)
            .fetch_all(db)
            .await)?;
        tasks_from(rows)
    }

    pub async fn task(&self, incident_id: &str, id: &str) -> StoreResult<Option<Task>> {
        let sql = format!("{TASK_SELECT} WHERE t.incident_id = $1 AND t.id = $2");
        let row: Option<TaskRow> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(incident_id)
            .bind(id)
            .fetch_optional(db)
            .await)?;
        row.map(TaskRow::into_task).transpose()
    }

    /// The tasks `user` owns, open first.
    pub async fn tasks_of_user(&self, user: &str, limit: i64) -> StoreResult<Vec<Task>> {
        let sql = format!("{TASK_SELECT} WHERE t.owner = $1{TASK_ORDER} LIMIT $2");
        let rows: Vec<TaskRow> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(user)
            .bind(limit)
            .fetch_all(db)
            .await)?;
        tasks_from(rows)
    }

    /// Open tasks due before `today` (`YYYY-MM-DD`), the longest overdue first.
    pub async fn overdue_tasks(&self, today: &str, limit: i64) -> StoreResult<Vec<Task>> {
        let sql = format!(
            "{TASK_SELECT} WHERE t.status = 'open' AND t.due_on < $1 ORDER BY t.due_on, t.id LIMIT $2"
        );
        let rows: Vec<TaskRow> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(today)
            .bind(limit)
            .fetch_all(db)
            .await)?;
        tasks_from(rows)
    }

    /// How many tasks are open, and how many of those are due before `today`.
    pub async fn task_counts(&self, today: &str) -> StoreResult<(i64, i64)> {
        let (open, overdue): (i64, i64) = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN due_on < $1 THEN 1 ELSE 0 END), 0)
             FROM incident_tasks WHERE status = 'open'",
        )
        .bind(today)
        .fetch_one(db)
        .await)?;
        Ok((open, overdue))
    }

    /// Adds a task (the caller checked the owner and the step); answers its ID.
    pub async fn add_task(
        &self,
        incident_id: &str,
        draft: &TaskDraft,
        by: &str,
    ) -> StoreResult<String> {
        let (mut tx, _turn) = self.write().await?;
        require_incident(&mut tx, incident_id).await?;
        let id = insert_task(
            &mut tx,
            incident_id,
            draft,
            TaskStatus::Open,
            TaskOrigin::Manual,
            None,
            by,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Marks a task done or open again; answers whether it changed.
    pub async fn set_task_status(
        &self,
        incident_id: &str,
        id: &str,
        status: TaskStatus,
        by: &str,
    ) -> StoreResult<bool> {
        let (mut tx, _turn) = self.write().await?;
        let row: Option<(String, String)> = on_tx!(&mut tx, |ex| sqlx::query_as(
            "SELECT status, title FROM incident_tasks WHERE incident_id = $1 AND id = $2",
        )
        .bind(incident_id)
        .bind(id)
        .fetch_optional(&mut *ex)
        .await)?;
        let Some((current, title)) = row else {
            return Err(StoreError::NotFound(format!("task {id}")));
        };
        if current == status.as_str() {
            return Ok(false);
        }
        let now = now_rfc3339();
        let (done_at, done_by) = match status {
            TaskStatus::Done => (Some(now.as_str()), Some(by)),
            TaskStatus::Open => (None, None),
        };
        on_tx!(&mut tx, |ex| {
            sqlx::query(
            "UPDATE incident_tasks SET status = $1, updated_at = $2, done_at = $3, done_by = $4 WHERE id = $5",
        )
        .bind(status.as_str())
        .bind(&now)
        .bind(done_at)
        .bind(done_by)
        .bind(id)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        let kind = match status {
            TaskStatus::Done => EventKind::TaskDone,
            TaskStatus::Open => EventKind::TaskReopened,
        };
        record_event(&mut tx, incident_id, by, kind, id, &current, &title).await?;
        tx.commit().await?;
        Ok(true)
    }
}

async fn insert_task(
    conn: &mut Tx,
    incident_id: &str,
    draft: &TaskDraft,
    status: TaskStatus,
    origin: TaskOrigin,
    origin_key: Option<&str>,
    by: &str,
) -> StoreResult<String> {
    let id = new_id("task-");
    let now = now_rfc3339();
    let done = status == TaskStatus::Done;
    on_tx!(&mut *conn, |ex| {
        sqlx::query(
        "INSERT INTO incident_tasks (id, incident_id, title, owner, due_on, status, mitigation_id, step_id,
             origin, origin_key, created_at, created_by, updated_at, done_at, done_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&id)
    .bind(incident_id)
    .bind(&draft.title)
    .bind(&draft.owner)
    .bind(&draft.due_on)
    .bind(status.as_str())
    .bind(&draft.mitigation_id)
    .bind(&draft.step_id)
    .bind(origin.as_str())
    .bind(origin_key)
    .bind(&now)
    .bind(by)
    .bind(&now)
    .bind(done.then_some(now.as_str()))
    .bind(done.then_some(by))
    .execute(&mut *ex)
    .await.map(Written::from)
    })?;
    let owner = draft.owner.clone().unwrap_or_default();
    record_event(
        conn,
        incident_id,
        by,
        EventKind::TaskAdded,
        &id,
        &owner,
        &draft.title,
    )
    .await?;
    Ok(id)
}

/// Turns the items of a retrospective's "Actions" list into tasks, once each
/// (by its text): an item already a task is left as it is (its status is
/// then kept on the task), a new one becomes a task, done if ticked. The
/// owner is kept when it names a user who may work incidents.
pub(super) async fn sync_retro_tasks(
    conn: &mut Tx,
    incident_id: &str,
    actions_markdown: &str,
    by: &str,
) -> StoreResult<usize> {
    let mut added = 0;
    for action in retro_actions::parse(actions_markdown) {
        let exists: Option<(String,)> = on_tx!(&mut *conn, |ex| {
            sqlx::query_as(
            "SELECT id FROM incident_tasks WHERE incident_id = $1 AND origin = 'retrospective' AND origin_key = $2",
        )
        .bind(incident_id)
        .bind(&action.text)
        .fetch_optional(&mut *ex)
        .await
        })?;
        if exists.is_some() {
            continue;
        }
        let owner = match &action.owner {
            Some(name) => {
                let row: Option<(String, String)> = on_tx!(&mut *conn, |ex| sqlx::query_as(
                    "SELECT username, role FROM users WHERE username = $1 AND NOT disabled",
                )
                .bind(name.to_lowercase())
                .fetch_optional(&mut *ex)
                .await)?;
                row.filter(|(_, role)| Role::parse(role).is_some_and(may_work_incidents))
                    .map(|(u, _)| u)
            }
            None => None,
        };
        let draft = TaskDraft {
            title: action.text.clone(),
            owner,
            due_on: None,
            mitigation_id: None,
            step_id: None,
        };
        let status = match action.status {
            ActionStatus::Done => TaskStatus::Done,
            ActionStatus::Open | ActionStatus::Decided => TaskStatus::Open,
        };
        insert_task(
            conn,
            incident_id,
            &draft,
            status,
            TaskOrigin::Retrospective,
            Some(&action.text),
            by,
        )
        .await?;
        added += 1;
    }
    Ok(added)
}
