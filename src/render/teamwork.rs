//! The team's work on an incident as the pages show it: owner and
//! participants, the activity timeline in sentences, comments (Markdown,
//! sanitised) and tasks; and the "My tasks" list. Pure.

use chrono::{DateTime, NaiveDate, Utc};

use super::timestamp;
use crate::atlas::markdown;
use crate::domain::auth::Role;
use crate::domain::teamwork::{Comment, Event, EventKind, Members, Task, TaskOrigin, TaskStatus};

/// A time shown to people, with its machine-readable form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    pub text: String,
    pub datetime: String,
}

impl When {
    pub fn of(rfc3339: &str) -> When {
        When {
            text: timestamp(rfc3339),
            datetime: rfc3339.to_string(),
        }
    }
}

/// One timeline entry: "ana changed the severity", from and to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventView {
    pub actor: String,
    pub when: When,
    pub sentence: String,
    /// The old and new values (each `None` when there is none to show).
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Longest old or new value shown in the timeline.
const VALUE_MAX: usize = 300;

fn value(v: &str) -> Option<String> {
    (!v.trim().is_empty()).then(|| crate::domain::excerpt::shorten(v, VALUE_MAX))
}

fn field_label(field: &str) -> &str {
    match field {
        "atlas_release" => "ATLAS release",
        "occurred" => "occurrence date",
        "detected" => "detection date",
        "resolved" => "resolution date",
        other => other,
    }
}

/// The sentence of one event, without its actor.
pub fn sentence(e: &Event) -> String {
    let s = e.subject.as_str();
    match e.kind {
        EventKind::Created => "created the incident".into(),
        EventKind::Field => format!("changed the {}", field_label(s)),
        EventKind::StepAdded => format!("added {s}"),
        EventKind::StepEdited => format!("edited {s}"),
        EventKind::StepMoved => format!("moved the step {s}"),
        EventKind::StepRemoved => format!("removed {s}"),
        EventKind::StepsReordered => "reordered the steps".into(),
        EventKind::Owner if e.new_value.is_empty() => "removed the owner".into(),
        EventKind::Owner => "changed the owner".into(),
        EventKind::Participants => "changed the participants".into(),
        EventKind::Upgraded => "upgraded the incident to a new ATLAS release".into(),
        EventKind::Alerts => "folded alerts into the incident".into(),
        EventKind::Reimported => format!("refreshed the incident from {s}"),
        EventKind::CommentAdded => "commented".into(),
        EventKind::CommentEdited => "edited a comment".into(),
        EventKind::CommentRemoved => "removed a comment".into(),
        EventKind::TaskAdded => "added a task".into(),
        EventKind::TaskEdited => "edited a task".into(),
        EventKind::TaskDone => "completed a task".into(),
        EventKind::TaskReopened => "reopened a task".into(),
        EventKind::ObservableAdded => format!("added the observable ({s})"),
        EventKind::ObservableRemoved => format!("removed the observable ({s})"),
    }
}

pub fn event_view(e: &Event) -> EventView {
    let (old, new) = match e.kind {
        // Comment text is shown with the comment, not repeated here.
        EventKind::CommentAdded | EventKind::CommentRemoved => (None, None),
        // "task title" is the new value; the old one is the previous status.
        EventKind::TaskDone | EventKind::TaskReopened => (None, value(&e.new_value)),
        EventKind::TaskAdded => (None, value(&e.new_value)),
        _ => (value(&e.old_value), value(&e.new_value)),
    };
    EventView {
        actor: e.actor.clone(),
        when: When::of(&e.at),
        sentence: sentence(e),
        old,
        new,
    }
}

/// One comment as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentView {
    pub id: String,
    pub author: String,
    pub when: When,
    /// Sanitised HTML of the Markdown (`None` once removed).
    pub html: Option<String>,
    pub edited: Option<When>,
    /// "Comment removed by X at T."
    pub removed: Option<String>,
    pub can_edit: bool,
    pub can_remove: bool,
}

pub fn comment_view(c: &Comment, viewer: Option<(&str, Role)>, now: DateTime<Utc>) -> CommentView {
    let removed = c.removed_at.as_ref().map(|at| {
        format!(
            "Comment removed by {} at {}.",
            c.removed_by.as_deref().unwrap_or("someone"),
            timestamp(at)
        )
    });
    let may_write = viewer.is_some_and(|(_, r)| crate::domain::teamwork::may_work_incidents(r));
    CommentView {
        id: c.id.clone(),
        author: c.author.clone(),
        when: When::of(&c.created_at),
        html: (c.removed_at.is_none()).then(|| markdown::render(&c.body)),
        edited: c.edited_at.as_deref().map(When::of),
        removed,
        can_edit: may_write && viewer.is_some_and(|(u, _)| c.editable_by(u, now)),
        can_remove: may_write && viewer.is_some_and(|(u, r)| c.removable_by(u, r)),
    }
}

/// One task as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskView {
    pub id: String,
    pub incident_id: String,
    pub incident_title: String,
    pub title: String,
    pub owner: Option<String>,
    pub due_on: Option<String>,
    pub done: bool,
    pub status_label: &'static str,
    pub overdue: bool,
    pub from_retrospective: bool,
    /// "Mitigation AML.M0001" or "a step", when linked.
    pub link: Option<(String, String)>,
    pub done_by: Option<String>,
}

pub fn task_view(t: &Task, today: NaiveDate) -> TaskView {
    let link = match (&t.mitigation_id, &t.step_id) {
        (Some(m), _) => Some((format!("/mitigations/{m}"), format!("Mitigation {m}"))),
        (None, Some(s)) => Some((
            format!("/incidents/{}#step-{s}", t.incident_id),
            "Its step".to_string(),
        )),
        (None, None) => None,
    };
    TaskView {
        id: t.id.clone(),
        incident_id: t.incident_id.clone(),
        incident_title: t.incident_title.clone(),
        title: t.title.clone(),
        owner: t.owner.clone(),
        due_on: t.due_on.clone(),
        done: t.status == TaskStatus::Done,
        status_label: t.status.label(),
        overdue: t.overdue(today),
        from_retrospective: t.origin == TaskOrigin::Retrospective,
        link,
        done_by: t.done_by.clone(),
    }
}

/// The "My tasks" page: open tasks (soonest due first), then done ones.
#[derive(Debug, Clone, Default)]
pub struct MyTasksView {
    pub open: Vec<TaskView>,
    pub done: Vec<TaskView>,
    pub overdue: usize,
}

pub fn my_tasks_view(tasks: &[Task], today: NaiveDate) -> MyTasksView {
    let (done, open): (Vec<TaskView>, Vec<TaskView>) = tasks
        .iter()
        .map(|t| task_view(t, today))
        .partition(|t| t.done);
    MyTasksView {
        overdue: open.iter().filter(|t| t.overdue).count(),
        open,
        done,
    }
}

/// An `<option>` of a user picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserOption {
    pub name: String,
    pub selected: bool,
}

/// The team section of an incident page.
#[derive(Debug, Clone, Default)]
pub struct TeamView {
    pub owner: Option<String>,
    pub participants: Vec<String>,
    /// Owner choices (none selected means unassigned).
    pub owner_options: Vec<UserOption>,
    /// Participant choices.
    pub participant_options: Vec<UserOption>,
    pub events: Vec<EventView>,
    pub comments: Vec<CommentView>,
    pub tasks: Vec<TaskView>,
    pub open_tasks: usize,
    /// Its observables (`templates/incidents/_observables.html`).
    pub observables: super::observables::ObservablesView,
}

/// The plain data a [`TeamView`] is built from.
pub struct TeamInput<'a> {
    pub members: &'a Members,
    pub events: &'a [Event],
    pub comments: &'a [Comment],
    pub tasks: &'a [Task],
    pub workers: &'a [String],
    pub observables: &'a [crate::domain::observable::Observable],
    pub viewer: Option<(&'a str, Role)>,
    pub now: DateTime<Utc>,
}

pub fn team_view(i: &TeamInput<'_>) -> TeamView {
    let today = i.now.date_naive();
    let options = |pick: &dyn Fn(&str) -> bool| {
        i.workers
            .iter()
            .map(|w| UserOption {
                name: w.clone(),
                selected: pick(w),
            })
            .collect()
    };
    let tasks: Vec<TaskView> = i.tasks.iter().map(|t| task_view(t, today)).collect();
    TeamView {
        owner: i.members.owner.clone(),
        participants: i.members.participants.clone(),
        owner_options: options(&|w| i.members.owner.as_deref() == Some(w)),
        participant_options: options(&|w| i.members.participants.iter().any(|p| p == w)),
        // Newest first.
        events: i.events.iter().rev().map(event_view).collect(),
        comments: i
            .comments
            .iter()
            .map(|c| comment_view(c, i.viewer, i.now))
            .collect(),
        open_tasks: tasks.iter().filter(|t| !t.done).count(),
        tasks,
        observables: super::observables::observables_view(i.observables),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, subject: &str, old: &str, new: &str) -> Event {
        Event {
            id: "e".into(),
            incident_id: "i".into(),
            seq: 1,
            at: "2026-03-01T10:00:00Z".into(),
            actor: "ana".into(),
            kind,
            subject: subject.into(),
            old_value: old.into(),
            new_value: new.into(),
        }
    }

    #[test]
    fn events_read_as_sentences_with_old_and_new_values() {
        let v = event_view(&event(EventKind::Field, "severity", "Low", "High"));
        assert_eq!(v.sentence, "changed the severity");
        assert_eq!(
            (v.old.as_deref(), v.new.as_deref()),
            (Some("Low"), Some("High"))
        );
        assert_eq!(v.when.text, "2026-03-01 10:00 UTC");
        let v = event_view(&event(EventKind::Owner, "owner", "ana", ""));
        assert_eq!(v.sentence, "removed the owner");
        let v = event_view(&event(
            EventKind::StepMoved,
            "AML.T0051 under AML.TA0005",
            "1",
            "3",
        ));
        assert_eq!(v.sentence, "moved the step AML.T0051 under AML.TA0005");
    }

    #[test]
    fn a_removed_comment_leaves_its_trace_and_no_text() {
        let c = Comment {
            id: "c".into(),
            incident_id: "i".into(),
            author: "ana".into(),
            body: String::new(),
            created_at: "2026-03-01T10:00:00Z".into(),
            edited_at: None,
            removed_at: Some("2026-03-01T10:05:00Z".into()),
            removed_by: Some("root".into()),
        };
        let now = Utc::now();
        let v = comment_view(&c, Some(("ana", Role::Analyst)), now);
        assert_eq!(v.html, None);
        assert_eq!(
            v.removed.as_deref(),
            Some("Comment removed by root at 2026-03-01 10:05 UTC.")
        );
        assert!(!v.can_edit && !v.can_remove);
    }

    #[test]
    fn comment_markdown_is_sanitised() {
        let c = Comment {
            id: "c".into(),
            incident_id: "i".into(),
            author: "ana".into(),
            body: "**bold** <script>alert(1)</script> <img src=x onerror=alert(1)>".into(),
            created_at: "2026-03-01T10:00:00Z".into(),
            edited_at: None,
            removed_at: None,
            removed_by: None,
        };
        let html = comment_view(&c, None, Utc::now()).html.unwrap();
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(
            !html.contains("<script") && !html.contains("onerror"),
            "{html}"
        );
    }
}
