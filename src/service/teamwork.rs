//! Working an incident as a team: assigning it, commenting, tasks. Every
//! write checks its input and who may make it, then writes (with its
//! activity event) in one store transaction.

use chrono::{DateTime, Utc};

use crate::domain::ValidationError;
use crate::domain::auth::Role;
use crate::domain::teamwork::{
    Comment, Event, Members, PARTICIPANTS_MAX, Task, TaskDraft, TaskInput, TaskStatus,
    may_work_incidents, validate_comment,
};
use crate::store::{Store, StoreError};

/// What can go wrong with a teamwork write.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// Every problem with the input, each naming its field (422).
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ValidationError>),
    /// Allowed to write, but not this (someone else's comment, the window passed) (403).
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ValidationError> for TeamError {
    fn from(e: ValidationError) -> Self {
        TeamError::Invalid(vec![e])
    }
}

/// Who is making a change: their name and effective role.
#[derive(Debug, Clone)]
pub struct By<'a> {
    pub user: &'a str,
    pub role: Role,
}

/// Everything shown about the team's work on one incident.
#[derive(Debug, Clone)]
pub struct Teamwork {
    pub members: Members,
    pub events: Vec<Event>,
    pub comments: Vec<Comment>,
    pub tasks: Vec<Task>,
    /// Users who may own or take part (analysts and admins), by name.
    pub workers: Vec<String>,
    pub observables: Vec<crate::domain::observable::Observable>,
    /// Removed ones included (the page lists the others).
    pub attachments: Vec<crate::domain::attachment::Attachment>,
}

pub async fn load(store: &Store, incident_id: &str) -> Result<Teamwork, StoreError> {
    store.require_incident(incident_id).await?;
    Ok(Teamwork {
        members: store.members(incident_id).await?,
        events: store.events(incident_id).await?,
        comments: store.comments(incident_id).await?,
        tasks: store.tasks(incident_id).await?,
        workers: workers(store).await?,
        observables: store.observables(incident_id).await?,
        attachments: store.attachments(incident_id).await?,
    })
}

/// The users who may own, take part in or be given a task of an incident.
pub async fn workers(store: &Store) -> Result<Vec<String>, StoreError> {
    let mut names: Vec<String> = store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| !u.disabled && may_work_incidents(u.role))
        .map(|u| u.username)
        .collect();
    names.sort();
    Ok(names)
}

/// A name that must be one of `workers`, else an error on `field`.
fn check_worker(workers: &[String], field: &str, name: &str) -> Result<String, ValidationError> {
    let name = name.trim().to_lowercase();
    if workers.contains(&name) {
        Ok(name)
    } else {
        Err(ValidationError::new(
            field,
            format!(
                "`{}` is not an analyst or admin user",
                crate::domain::excerpt::shorten(&name, 41)
            ),
        ))
    }
}

/// Sets the owner (blank: none) and the participants; answers whether anything changed.
pub async fn assign(
    store: &Store,
    incident_id: &str,
    owner: Option<&str>,
    participants: &[String],
    by: &By<'_>,
) -> Result<bool, TeamError> {
    let workers = workers(store).await?;
    let mut errors = Vec::new();
    let owner = match owner.map(str::trim).filter(|o| !o.is_empty()) {
        None => None,
        Some(o) => check_worker(&workers, "owner", o)
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let mut names: Vec<String> = Vec::new();
    for (i, p) in participants
        .iter()
        .filter(|p| !p.trim().is_empty())
        .enumerate()
    {
        match check_worker(&workers, &format!("participants[{i}]"), p) {
            Ok(n) => names.push(n),
            Err(e) => errors.push(e),
        }
    }
    if names.len() > PARTICIPANTS_MAX {
        errors.push(ValidationError::new(
            "participants",
            format!("at most {PARTICIPANTS_MAX} participants"),
        ));
    }
    if !errors.is_empty() {
        return Err(TeamError::Invalid(errors));
    }
    names.sort();
    names.dedup();
    names.retain(|n| Some(n) != owner.as_ref());
    let members = Members {
        owner,
        participants: names,
    };
    Ok(store.set_members(incident_id, &members, by.user).await?)
}

pub async fn add_comment(
    store: &Store,
    incident_id: &str,
    body: Option<&str>,
    by: &By<'_>,
) -> Result<String, TeamError> {
    let body = validate_comment(body)?;
    Ok(store.add_comment(incident_id, by.user, &body).await?)
}

async fn comment(store: &Store, incident_id: &str, id: &str) -> Result<Comment, TeamError> {
    store
        .comment(incident_id, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("comment {id}")).into())
}

/// The comment if `by` may still edit it at `now`.
pub async fn editable_comment(
    store: &Store,
    incident_id: &str,
    id: &str,
    by: &By<'_>,
    now: DateTime<Utc>,
) -> Result<Comment, TeamError> {
    let c = comment(store, incident_id, id).await?;
    if c.removed_at.is_some() {
        return Err(TeamError::Forbidden("this comment was removed".into()));
    }
    if c.author != by.user {
        return Err(TeamError::Forbidden(
            "only its author may edit a comment".into(),
        ));
    }
    if !c.editable_by(by.user, now) {
        return Err(TeamError::Forbidden(format!(
            "a comment may be edited for {} minutes after it is written; add a new one instead",
            crate::domain::teamwork::COMMENT_EDIT_WINDOW.num_minutes()
        )));
    }
    Ok(c)
}

/// Edits a comment: its author, within the edit window from `now`.
pub async fn edit_comment(
    store: &Store,
    incident_id: &str,
    id: &str,
    body: Option<&str>,
    by: &By<'_>,
    now: DateTime<Utc>,
) -> Result<(), TeamError> {
    let body = validate_comment(body)?;
    editable_comment(store, incident_id, id, by, now).await?;
    Ok(store.edit_comment(incident_id, id, &body, by.user).await?)
}

/// Removes a comment (its author, or an admin); the timeline keeps the trace.
pub async fn remove_comment(
    store: &Store,
    incident_id: &str,
    id: &str,
    by: &By<'_>,
) -> Result<(), TeamError> {
    let c = comment(store, incident_id, id).await?;
    if !c.removable_by(by.user, by.role) {
        return Err(TeamError::Forbidden(
            "only its author or an admin may remove a comment".into(),
        ));
    }
    Ok(store.remove_comment(incident_id, id, by.user).await?)
}

/// A task's input checked against the incident: its fields, its owner (one
/// who may work incidents) and its step (one of the incident's); every bad
/// field is named at once.
async fn task_draft(
    store: &Store,
    incident_id: &str,
    input: &TaskInput,
) -> Result<TaskDraft, TeamError> {
    let (mut errors, mut draft) = match input.validate() {
        Ok(d) => (Vec::new(), Some(d)),
        Err(e) => (e, None),
    };
    let workers = workers(store).await?;
    let owner = input
        .owner
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    if let Some(Err(e)) = owner.map(|o| check_worker(&workers, "owner", o))
        && !errors.iter().any(|e| e.field == "owner")
    {
        errors.push(e);
    }
    if let Some(d) = &mut draft {
        let step = d.step_id.as_deref();
        errors.extend(super::incidents::step_problem(store, incident_id, step).await?);
        d.owner = d.owner.take().map(|o| o.to_lowercase());
    }
    match draft {
        Some(d) if errors.is_empty() => Ok(d),
        _ => Err(TeamError::Invalid(errors)),
    }
}

/// Adds a task; every bad field is named at once.
pub async fn add_task(
    store: &Store,
    incident_id: &str,
    input: &TaskInput,
    by: &By<'_>,
) -> Result<String, TeamError> {
    let draft = task_draft(store, incident_id, input).await?;
    Ok(store.add_task(incident_id, &draft, by.user).await?)
}

/// Changes a task's title, owner, due date or links (all of them, as the
/// edit form sends them); answers whether anything changed.
pub async fn update_task(
    store: &Store,
    incident_id: &str,
    task_id: &str,
    input: &TaskInput,
    by: &By<'_>,
) -> Result<bool, TeamError> {
    let draft = task_draft(store, incident_id, input).await?;
    Ok(store
        .update_task(incident_id, task_id, &draft, by.user)
        .await?)
}

/// One task of an incident, or a 404 naming it.
pub async fn task(store: &Store, incident_id: &str, task_id: &str) -> Result<Task, StoreError> {
    store
        .task(incident_id, task_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("task {task_id}")))
}

/// Marks a task done or open; answers whether it changed.
pub async fn set_task_status(
    store: &Store,
    incident_id: &str,
    task_id: &str,
    status: &str,
    by: &By<'_>,
) -> Result<bool, TeamError> {
    let status = TaskStatus::parse(status.trim())
        .ok_or_else(|| ValidationError::new("status", "must be `open` or `done`"))?;
    Ok(store
        .set_task_status(incident_id, task_id, status, by.user)
        .await?)
}

/// The tasks `user` owns, open first.
pub async fn my_tasks(store: &Store, user: &str) -> Result<Vec<Task>, StoreError> {
    store.tasks_of_user(user, 500).await
}

/// Today as stored due dates are written (`YYYY-MM-DD`, UTC).
pub fn today(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%d").to_string()
}

/// What the dashboard and the briefing show of the team's work.
pub struct TaskSummary {
    /// Owner and participants of the incidents asked for.
    pub members: std::collections::HashMap<String, Members>,
    /// Overdue tasks, the longest overdue first.
    pub overdue: Vec<Task>,
    /// Open tasks, and how many of those are overdue.
    pub counts: (i64, i64),
}

pub async fn task_summary(
    store: &Store,
    incident_ids: &[String],
    now: DateTime<Utc>,
    overdue_limit: i64,
) -> Result<TaskSummary, StoreError> {
    let today = today(now);
    Ok(TaskSummary {
        members: store.members_of(incident_ids).await?,
        overdue: store.overdue_tasks(&today, overdue_limit).await?,
        counts: store.task_counts(&today).await?,
    })
}
