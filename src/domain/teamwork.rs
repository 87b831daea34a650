//! Working an incident as a team (issue #16): its owner and participants,
//! the activity timeline, comments and tasks. Types and rules; no SQL, no HTTP.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::auth::Role;
use super::{ValidationError, clean_name, clean_text};

/// How long after writing it the author may still edit a comment.
pub const COMMENT_EDIT_WINDOW: Duration = Duration::minutes(15);
/// Longest comment, in characters.
pub const COMMENT_MAX: usize = 20_000;
/// Longest task title, in characters.
pub const TASK_TITLE_MAX: usize = 200;
/// Most participants on one incident.
pub const PARTICIPANTS_MAX: usize = 50;

/// Who may own or take part in an incident: a user who may write incidents.
pub fn may_work_incidents(role: Role) -> bool {
    role.can(super::auth::Capability::WriteIncidents)
}

/// The owner and participants of an incident.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Members {
    pub owner: Option<String>,
    /// In name order, without the owner.
    pub participants: Vec<String>,
}

impl Members {
    pub fn includes(&self, user: &str) -> bool {
        self.owner.as_deref() == Some(user) || self.participants.iter().any(|p| p == user)
    }
}

/// What an activity event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    /// A field changed: `subject` names it, old and new values given.
    Field,
    StepAdded,
    StepEdited,
    StepMoved,
    StepRemoved,
    StepsReordered,
    Owner,
    Participants,
    /// Moved to another ATLAS release by an upgrade.
    Upgraded,
    /// Alerts folded into the incident by ingestion.
    Alerts,
    /// Refreshed from its source (re-imported case study).
    Reimported,
    CommentAdded,
    CommentEdited,
    CommentRemoved,
    TaskAdded,
    TaskEdited,
    TaskDone,
    TaskReopened,
    ObservableAdded,
    ObservableRemoved,
    AttachmentAdded,
    AttachmentRemoved,
}

impl EventKind {
    pub const ALL: &'static [EventKind] = &[
        EventKind::Created,
        EventKind::Field,
        EventKind::StepAdded,
        EventKind::StepEdited,
        EventKind::StepMoved,
        EventKind::StepRemoved,
        EventKind::StepsReordered,
        EventKind::Owner,
        EventKind::Participants,
        EventKind::Upgraded,
        EventKind::Alerts,
        EventKind::Reimported,
        EventKind::CommentAdded,
        EventKind::CommentEdited,
        EventKind::CommentRemoved,
        EventKind::TaskAdded,
        EventKind::TaskEdited,
        EventKind::TaskDone,
        EventKind::TaskReopened,
        EventKind::ObservableAdded,
        EventKind::ObservableRemoved,
        EventKind::AttachmentAdded,
        EventKind::AttachmentRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Field => "field",
            EventKind::StepAdded => "step_added",
            EventKind::StepEdited => "step_edited",
            EventKind::StepMoved => "step_moved",
            EventKind::StepRemoved => "step_removed",
            EventKind::StepsReordered => "steps_reordered",
            EventKind::Owner => "owner",
            EventKind::Participants => "participants",
            EventKind::Upgraded => "upgraded",
            EventKind::Alerts => "alerts",
            EventKind::Reimported => "reimported",
            EventKind::CommentAdded => "comment_added",
            EventKind::CommentEdited => "comment_edited",
            EventKind::CommentRemoved => "comment_removed",
            EventKind::TaskAdded => "task_added",
            EventKind::TaskEdited => "task_edited",
            EventKind::TaskDone => "task_done",
            EventKind::TaskReopened => "task_reopened",
            EventKind::ObservableAdded => "observable_added",
            EventKind::ObservableRemoved => "observable_removed",
            EventKind::AttachmentAdded => "attachment_added",
            EventKind::AttachmentRemoved => "attachment_removed",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// One entry of an incident's activity timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: String,
    pub incident_id: String,
    pub seq: i64,
    /// RFC 3339 UTC.
    pub at: String,
    pub actor: String,
    pub kind: EventKind,
    pub subject: String,
    pub old_value: String,
    pub new_value: String,
}

/// A comment on an incident (Markdown). A removed one has no body left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Comment {
    pub id: String,
    pub incident_id: String,
    pub author: String,
    pub body: String,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub removed_at: Option<String>,
    pub removed_by: Option<String>,
}

impl Comment {
    /// Whether `user` may still edit it at `now`: its author, within the window.
    pub fn editable_by(&self, user: &str, now: DateTime<Utc>) -> bool {
        self.removed_at.is_none()
            && self.author == user
            && DateTime::parse_from_rfc3339(&self.created_at)
                .is_ok_and(|t| now.signed_duration_since(t) <= COMMENT_EDIT_WINDOW)
    }

    /// Whether `user` (of `role`) may remove it: its author, or an admin.
    pub fn removable_by(&self, user: &str, role: Role) -> bool {
        self.removed_at.is_none() && (self.author == user || role == Role::Admin)
    }
}

/// A comment's text: required, at most [`COMMENT_MAX`] characters.
pub fn validate_comment(body: Option<&str>) -> Result<String, ValidationError> {
    let body = clean_text("body", body, COMMENT_MAX)?;
    if body.is_empty() {
        return Err(ValidationError::new(
            "body",
            "is required: write the comment",
        ));
    }
    Ok(body)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    Open,
    Done,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Open => "Open",
            TaskStatus::Done => "Done",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        match s {
            "open" => Some(TaskStatus::Open),
            "done" => Some(TaskStatus::Done),
            _ => None,
        }
    }
}

/// Where a task came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskOrigin {
    Manual,
    /// An item of the retrospective's "Actions" list.
    Retrospective,
}

impl TaskOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskOrigin::Manual => "manual",
            TaskOrigin::Retrospective => "retrospective",
        }
    }

    pub fn parse(s: &str) -> Option<TaskOrigin> {
        match s {
            "manual" => Some(TaskOrigin::Manual),
            "retrospective" => Some(TaskOrigin::Retrospective),
            _ => None,
        }
    }
}

/// A follow-up task of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Task {
    pub id: String,
    pub incident_id: String,
    /// The incident's title, for lists across incidents.
    pub incident_title: String,
    pub title: String,
    pub owner: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
    pub status: TaskStatus,
    pub mitigation_id: Option<String>,
    pub step_id: Option<String>,
    pub origin: TaskOrigin,
    pub created_at: String,
    pub created_by: String,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
}

impl Task {
    /// Open and due before `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status == TaskStatus::Open
            && self
                .due_on
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .is_some_and(|d| d < today)
    }
}

/// A task as submitted: everything textual so every problem names its field.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    pub title: Option<String>,
    pub owner: Option<String>,
    pub due_on: Option<String>,
    pub mitigation_id: Option<String>,
    pub step_id: Option<String>,
}

/// A task checked for shape (the owner's role and the step are checked by the service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDraft {
    pub title: String,
    pub owner: Option<String>,
    pub due_on: Option<String>,
    pub mitigation_id: Option<String>,
    pub step_id: Option<String>,
}

fn optional(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

impl TaskInput {
    /// Every problem at once, each naming its field.
    pub fn validate(&self) -> Result<TaskDraft, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let title = match clean_name("title", self.title.as_deref(), TASK_TITLE_MAX) {
            Ok(t) if t.is_empty() => {
                errors.push(ValidationError::new(
                    "title",
                    "is required: say what is to be done",
                ));
                String::new()
            }
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                String::new()
            }
        };
        let owner = match optional(self.owner.as_deref()) {
            None => None,
            Some(o) => match super::auth::validate_username(o) {
                Ok(o) => Some(o),
                Err(e) => {
                    errors.push(ValidationError::new("owner", e.message));
                    None
                }
            },
        };
        let due_on = match optional(self.due_on.as_deref()) {
            None => None,
            Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                Ok(d) => Some(d.format("%Y-%m-%d").to_string()),
                Err(_) => {
                    errors.push(ValidationError::new(
                        "due_on",
                        format!(
                            "`{}` is not a date: use YYYY-MM-DD",
                            super::excerpt::shorten(d, 30)
                        ),
                    ));
                    None
                }
            },
        };
        let mut id_field = |field: &str, value: Option<&str>| match optional(value) {
            None => None,
            Some(v) => match clean_name(field, Some(v), 100) {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        let mitigation_id = id_field("mitigation_id", self.mitigation_id.as_deref());
        let step_id = id_field("step_id", self.step_id.as_deref());
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(TaskDraft {
            title,
            owner,
            due_on,
            mitigation_id,
            step_id,
        })
    }
}

/// One changed field: its name, old and new value as text.
pub type FieldChange = (&'static str, String, String);

fn time_text(t: &Option<super::FuzzyTime>) -> String {
    t.as_ref().map(|t| t.display()).unwrap_or_default()
}

fn refs_text(refs: &[super::Reference]) -> String {
    refs.iter()
        .map(|r| match (r.title.is_empty(), r.url.is_empty()) {
            (false, false) => format!("{} <{}>", r.title, r.url),
            (true, _) => r.url.clone(),
            (false, true) => r.title.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The fields an edit changes, in form order, with their old and new values.
pub fn field_changes(
    old: &super::Incident,
    new: &super::IncidentDraft,
    release: &str,
) -> Vec<FieldChange> {
    let pairs: [(&'static str, String, String); 14] = [
        ("title", old.title.clone(), new.title.clone()),
        ("summary", old.summary.clone(), new.summary.clone()),
        ("kind", old.kind.label().into(), new.kind.label().into()),
        (
            "severity",
            old.severity.label().into(),
            new.severity.label().into(),
        ),
        (
            "status",
            old.status.label().into(),
            new.status.label().into(),
        ),
        (
            "occurred",
            time_text(&old.occurred),
            time_text(&new.occurred),
        ),
        (
            "detected",
            time_text(&old.detected),
            time_text(&new.detected),
        ),
        (
            "resolved",
            time_text(&old.resolved),
            time_text(&new.resolved),
        ),
        ("target", old.target.clone(), new.target.clone()),
        ("actor", old.actor.clone(), new.actor.clone()),
        ("reporter", old.reporter.clone(), new.reporter.clone()),
        ("tags", old.tags.join(", "), new.tags.join(", ")),
        (
            "references",
            refs_text(&old.references),
            refs_text(&new.references),
        ),
        (
            "atlas_release",
            old.atlas_release.clone(),
            release.to_string(),
        ),
    ];
    pairs.into_iter().filter(|(_, a, b)| a != b).collect()
}

/// How a step is named in the timeline: its technique under its tactic.
pub fn step_label(tactic_id: &str, technique_id: &str) -> String {
    format!("{technique_id} under {tactic_id}")
}

/// The fields a step edit changes, with old and new values.
pub fn step_changes(old: &super::Observation, new: &super::StepDraft) -> Vec<FieldChange> {
    let conf = |c: Option<i64>| c.map(|c| format!("{c}%")).unwrap_or_default();
    let pairs: [(&'static str, String, String); 7] = [
        ("tactic", old.tactic_id.clone(), new.tactic_id.clone()),
        (
            "technique",
            old.technique_id.clone(),
            new.technique_id.clone(),
        ),
        (
            "observed",
            time_text(&old.observed),
            time_text(&new.observed),
        ),
        (
            "description",
            old.description.clone(),
            new.description.clone(),
        ),
        ("evidence", old.evidence.clone(), new.evidence.clone()),
        ("confidence", conf(old.confidence), conf(new.confidence)),
        (
            "outcome",
            old.outcome.label().into(),
            new.outcome.label().into(),
        ),
    ];
    pairs.into_iter().filter(|(_, a, b)| a != b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(author: &str, created: &str) -> Comment {
        Comment {
            id: "c".into(),
            incident_id: "i".into(),
            author: author.into(),
            body: "x".into(),
            created_at: created.into(),
            edited_at: None,
            removed_at: None,
            removed_by: None,
        }
    }

    #[test]
    fn comments_are_editable_by_their_author_within_the_window() {
        let c = comment("ana", "2026-01-01T10:00:00Z");
        let at = |m: i64| {
            DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc)
                + Duration::minutes(m)
        };
        assert!(c.editable_by("ana", at(14)));
        assert!(!c.editable_by("ana", at(16)));
        assert!(!c.editable_by("bob", at(1)));
        assert!(c.removable_by("ana", Role::Analyst) && c.removable_by("bob", Role::Admin));
        assert!(!c.removable_by("bob", Role::Analyst));
    }

    #[test]
    fn a_task_names_every_bad_field() {
        let input = TaskInput {
            title: Some("  ".into()),
            owner: Some("<script>".into()),
            due_on: Some("31/12/2026".into()),
            ..Default::default()
        };
        let fields: Vec<String> = input
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["title", "owner", "due_on"]);
        let ok = TaskInput {
            title: Some("Rotate keys".into()),
            due_on: Some("2026-12-31".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(ok.due_on.as_deref(), Some("2026-12-31"));
    }

    #[test]
    fn overdue_is_open_and_past_due() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 10).unwrap();
        let mut t = Task {
            id: "t".into(),
            incident_id: "i".into(),
            incident_title: String::new(),
            title: "x".into(),
            owner: None,
            due_on: Some("2026-06-09".into()),
            status: TaskStatus::Open,
            mitigation_id: None,
            step_id: None,
            origin: TaskOrigin::Manual,
            created_at: String::new(),
            created_by: String::new(),
            done_at: None,
            done_by: None,
        };
        assert!(t.overdue(today));
        t.due_on = Some("2026-06-10".into());
        assert!(!t.overdue(today));
        t.due_on = Some("2026-01-01".into());
        t.status = TaskStatus::Done;
        assert!(!t.overdue(today));
    }

    #[test]
    fn comments_need_text_within_the_limit() {
        assert_eq!(validate_comment(Some("  ")).unwrap_err().field, "body");
        assert!(validate_comment(Some(&"x".repeat(COMMENT_MAX + 1))).is_err());
        assert_eq!(validate_comment(Some(" hi ")).unwrap(), "hi");
    }
}
