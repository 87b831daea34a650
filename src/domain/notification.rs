//! Notifications (issue #16): what a user may follow, who an activity event
//! concerns, and what they are told. Pure rules; the store applies them in
//! the transaction that records the event.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ValidationError;
use super::enums::Severity;
use super::teamwork::{EventKind, Members};

/// The tactic whose steps are an incident's impact (as the story marks it).
pub const IMPACT_TACTIC: &str = "AML.TA0011";
/// Longest e-mail address accepted (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;

/// What a user can choose to be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotifyKind {
    /// Anything on an incident the user owns (and being made its owner).
    Owned,
    /// Anything on an incident the user takes part in or has worked on.
    Involved,
    /// A task given to the user, or one they gave being completed.
    Task,
    /// A task of the user's falling due.
    Due,
    /// Any incident's severity raised.
    Severity,
    /// Any incident reaching Impact (its first step in that tactic).
    Impact,
}

impl NotifyKind {
    pub const ALL: &'static [NotifyKind] = &[
        NotifyKind::Owned,
        NotifyKind::Involved,
        NotifyKind::Task,
        NotifyKind::Due,
        NotifyKind::Severity,
        NotifyKind::Impact,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyKind::Owned => "owned",
            NotifyKind::Involved => "involved",
            NotifyKind::Task => "task",
            NotifyKind::Due => "due",
            NotifyKind::Severity => "severity",
            NotifyKind::Impact => "impact",
        }
    }

    pub fn parse(s: &str) -> Option<NotifyKind> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            NotifyKind::Owned => "Incidents I own",
            NotifyKind::Involved => "Incidents I take part in or have worked on",
            NotifyKind::Task => "Tasks given to me, and tasks I gave being completed",
            NotifyKind::Due => "My tasks falling due",
            NotifyKind::Severity => "Any incident's severity raised",
            NotifyKind::Impact => "Any incident reaching Impact",
        }
    }

    /// Whether it applies to every incident (not only the user's own).
    pub fn global(self) -> bool {
        matches!(self, NotifyKind::Severity | NotifyKind::Impact)
    }

    /// The choice of a user who never changed it: their own work is
    /// followed (e-mailed when it is theirs to act on); every incident's
    /// severity and impact are not.
    pub fn default_choice(self) -> Choice {
        match self {
            NotifyKind::Owned | NotifyKind::Task | NotifyKind::Due => Choice {
                follow: true,
                by_email: true,
            },
            NotifyKind::Involved => Choice {
                follow: true,
                by_email: false,
            },
            NotifyKind::Severity | NotifyKind::Impact => Choice {
                follow: false,
                by_email: false,
            },
        }
    }
}

/// Whether a kind is followed, and whether by e-mail too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub follow: bool,
    pub by_email: bool,
}

/// A user's choices, kind by kind (defaults where they chose nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Preferences {
    pub chosen: BTreeMap<NotifyKind, Choice>,
}

impl Preferences {
    pub fn choice(&self, kind: NotifyKind) -> Choice {
        self.chosen
            .get(&kind)
            .copied()
            .unwrap_or_else(|| kind.default_choice())
    }
}

/// A preferences form: `follow` and `mail` list the kinds ticked (followed,
/// and e-mailed too); `email` is the address.
#[derive(Debug, Clone, Default)]
pub struct PreferencesInput {
    pub follow: Vec<String>,
    pub mail: Vec<String>,
    pub email: Option<String>,
}

impl PreferencesInput {
    /// Every choice and the address, or every bad field at once.
    pub fn validate(&self) -> Result<(Preferences, Option<String>), Vec<ValidationError>> {
        let mut errors = Vec::new();
        let mut kinds = |field: &str, names: &[String]| -> Vec<NotifyKind> {
            let mut out = Vec::new();
            for (i, name) in names.iter().enumerate() {
                match NotifyKind::parse(name.trim()) {
                    Some(k) => out.push(k),
                    None => errors.push(ValidationError::new(
                        format!("{field}[{i}]"),
                        format!(
                            "`{}` is not a kind of notification",
                            super::excerpt::shorten(name, 41)
                        ),
                    )),
                }
            }
            out
        };
        let follow = kinds("follow", &self.follow);
        let mail = kinds("mail", &self.mail);
        let address = validate_email(self.email.as_deref()).map_err(|e| errors.push(e));
        if !errors.is_empty() {
            return Err(errors);
        }
        let chosen = NotifyKind::ALL
            .iter()
            .map(|k| {
                let follow = follow.contains(k);
                let choice = Choice {
                    follow,
                    by_email: follow && mail.contains(k),
                };
                (*k, choice)
            })
            .collect();
        Ok((Preferences { chosen }, address.unwrap_or_default()))
    }
}

/// An e-mail address: blank for none; one `@` with text on both sides, no
/// spaces, control characters or angle brackets, at most [`EMAIL_MAX`].
pub fn validate_email(value: Option<&str>) -> Result<Option<String>, ValidationError> {
    let v = value.map(str::trim).unwrap_or_default();
    if v.is_empty() {
        return Ok(None);
    }
    let bad = |why: &str| ValidationError::new("email", why.to_string());
    if v.chars().count() > EMAIL_MAX {
        return Err(bad("is too long: at most 254 characters"));
    }
    let ok_chars = !v
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c));
    match v.split_once('@') {
        Some((local, domain))
            if ok_chars
                && !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            Ok(Some(v.to_string()))
        }
        _ => Err(bad("is not an e-mail address such as name@example.org")),
    }
}

/// One notification of one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: String,
    pub incident_id: String,
    pub kind: NotifyKind,
    pub summary: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub read_at: Option<String>,
}

/// An e-mail of the outbox, claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEmail {
    pub id: String,
    pub incident_id: String,
    pub to_address: String,
    pub subject: String,
    /// The notification's text (the links are added when sent).
    pub body: String,
    /// Attempts before this one.
    pub attempts: i64,
    pub created_at: String,
}

/// Attempts at sending one e-mail before it is given up.
pub const EMAIL_ATTEMPTS: i64 = 5;

/// When to try a failed e-mail again: 1, 4, 9, 16 minutes after the
/// attempt; `None` when it is given up.
pub fn retry_after(attempts_made: i64) -> Option<chrono::Duration> {
    (attempts_made < EMAIL_ATTEMPTS).then(|| chrono::Duration::minutes(attempts_made.pow(2)))
}

/// What the store knows about an event when it is recorded.
#[derive(Debug, Clone, Default)]
pub struct EventFacts<'a> {
    pub kind: Option<EventKind>,
    pub actor: &'a str,
    pub subject: &'a str,
    pub old_value: &'a str,
    pub new_value: &'a str,
    pub incident_title: &'a str,
    /// The incident's owner and participants after the change.
    pub members: Members,
    /// Users who made earlier changes to the incident.
    pub worked_on: Vec<String>,
    /// The task the event is about: its owner and who added it.
    pub task_owner: Option<String>,
    pub task_creator: Option<String>,
    /// The event put the incident's first step in Impact.
    pub impact_reached: bool,
    /// Users who follow a global kind this event is of.
    pub global_followers: Vec<String>,
}

/// Whether an event is worth telling anyone at all (edits of comments,
/// reorderings, imports and upgrades are not).
pub fn notifies(kind: EventKind, subject: &str) -> bool {
    use EventKind::*;
    match kind {
        Field => matches!(subject, "severity" | "status"),
        StepAdded | StepEdited | StepRemoved | Owner | Participants | Alerts | CommentAdded
        | TaskAdded | TaskEdited | TaskDone | TaskReopened | ObservableAdded => true,
        _ => false,
    }
}

/// The event raised the severity (its values are the severity labels).
pub fn severity_raised(subject: &str, old: &str, new: &str) -> bool {
    let level = |label: &str| Severity::ALL.iter().copied().find(|s| s.label() == label);
    subject == "severity" && matches!((level(old), level(new)), (Some(o), Some(n)) if n > o)
}

/// The step the event is about now lies in Impact.
pub fn into_impact(kind: EventKind, subject: &str, new: &str) -> bool {
    match kind {
        EventKind::StepAdded => new.ends_with(&format!(" under {IMPACT_TACTIC}")),
        EventKind::StepEdited => subject.ends_with(" tactic") && new == IMPACT_TACTIC,
        _ => false,
    }
}

/// The global kind an event is of, if any.
pub fn global_kind(facts: &EventFacts<'_>) -> Option<NotifyKind> {
    if facts.impact_reached {
        Some(NotifyKind::Impact)
    } else if severity_raised(facts.subject, facts.old_value, facts.new_value) {
        Some(NotifyKind::Severity)
    } else {
        None
    }
}

/// Who the event concerns and why (most specific reason first); never
/// its actor.
pub fn concerned(facts: &EventFacts<'_>) -> BTreeMap<String, Vec<NotifyKind>> {
    let mut out: BTreeMap<String, Vec<NotifyKind>> = BTreeMap::new();
    let mut add = |user: &str, kind: NotifyKind| {
        if !user.is_empty() && user != facts.actor {
            let kinds = out.entry(user.to_string()).or_default();
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    };
    let task_event = matches!(
        facts.kind,
        Some(
            EventKind::TaskAdded
                | EventKind::TaskEdited
                | EventKind::TaskDone
                | EventKind::TaskReopened
        )
    );
    if task_event {
        if let Some(owner) = &facts.task_owner {
            add(owner, NotifyKind::Task);
        }
        // Who gave a task hears of it being done, not of their own edits' kind.
        if !matches!(
            facts.kind,
            Some(EventKind::TaskAdded | EventKind::TaskEdited)
        ) && let Some(creator) = &facts.task_creator
        {
            add(creator, NotifyKind::Task);
        }
    }
    if let Some(kind) = global_kind(facts) {
        for user in &facts.global_followers {
            add(user, kind);
        }
    }
    // The owner before an owner change is told too.
    if facts.kind == Some(EventKind::Owner) {
        add(facts.old_value, NotifyKind::Owned);
    }
    if let Some(owner) = &facts.members.owner {
        add(owner, NotifyKind::Owned);
    }
    for user in facts.members.participants.iter().chain(&facts.worked_on) {
        add(user, NotifyKind::Involved);
    }
    out
}

/// One notification to write: to whom, of which kind, and whether e-mailed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub username: String,
    pub kind: NotifyKind,
    pub by_email: bool,
}

/// The notifications an event makes, by the users' choices: one per user,
/// of the first reason they follow; e-mailed if any followed reason is.
pub fn deliveries(
    concerned: BTreeMap<String, Vec<NotifyKind>>,
    prefs: &BTreeMap<String, Preferences>,
) -> Vec<Delivery> {
    let none = Preferences::default();
    concerned
        .into_iter()
        .filter_map(|(user, kinds)| {
            let p = prefs.get(&user).unwrap_or(&none);
            let followed: Vec<NotifyKind> =
                kinds.into_iter().filter(|k| p.choice(*k).follow).collect();
            let kind = *followed.first()?;
            let by_email = followed.iter().any(|k| p.choice(*k).by_email);
            Some(Delivery {
                username: user,
                kind,
                by_email,
            })
        })
        .collect()
}

/// What the notification says, as plain text (escaped where shown).
pub fn summary(facts: &EventFacts<'_>, to: &str) -> String {
    use EventKind::*;
    let who = facts.actor;
    let title = super::excerpt::shorten(facts.incident_title, 200);
    if facts.impact_reached {
        return format!("“{title}” reached Impact: {who} put its first step there");
    }
    let what = match facts.kind {
        Some(Owner) if facts.new_value == to => "made you the owner of".to_string(),
        Some(Owner) => "changed the owner of".to_string(),
        Some(Participants) => "changed who takes part in".to_string(),
        Some(CommentAdded) => "commented on".to_string(),
        Some(TaskAdded) if facts.task_owner.as_deref() == Some(to) => {
            format!("gave you a task “{}” on", shorten(facts.new_value))
        }
        Some(TaskAdded) => format!("added a task “{}” to", shorten(facts.new_value)),
        Some(TaskEdited) if facts.new_value.contains(&format!("owner {to}")) => {
            "gave you a task on".to_string()
        }
        Some(TaskEdited) => format!("changed a task ({}) of", shorten(facts.new_value)),
        Some(TaskDone) => format!("completed the task “{}” of", shorten(facts.new_value)),
        Some(TaskReopened) => format!("reopened the task “{}” of", shorten(facts.new_value)),
        Some(Field) if severity_raised(facts.subject, facts.old_value, facts.new_value) => {
            format!(
                "raised the severity from {} to {} of",
                facts.old_value, facts.new_value
            )
        }
        Some(Field) => format!(
            "changed the {} from {} to {} of",
            facts.subject,
            shorten(facts.old_value),
            shorten(facts.new_value)
        ),
        Some(StepAdded) => "added a step to".to_string(),
        Some(StepEdited) => "edited a step of".to_string(),
        Some(StepRemoved) => "removed a step of".to_string(),
        Some(Alerts) => format!("folded {} into", facts.new_value),
        Some(ObservableAdded) => "added an observable to".to_string(),
        _ => "changed".to_string(),
    };
    format!("{who} {what} “{title}”")
}

fn shorten(s: &str) -> String {
    super::excerpt::shorten(s, 80)
}

/// What a task falling due says.
pub fn due_summary(task_title: &str, incident_title: &str, due_on: &str, today: &str) -> String {
    let when = if due_on < today {
        format!("was due on {due_on}")
    } else {
        "is due today".to_string()
    };
    format!(
        "Your task “{}” on “{}” {when}",
        shorten(task_title),
        super::excerpt::shorten(incident_title, 200)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(kind: EventKind, actor: &'a str) -> EventFacts<'a> {
        EventFacts {
            kind: Some(kind),
            actor,
            incident_title: "Poisoned set",
            members: Members {
                owner: Some("priya".into()),
                participants: vec!["lee".into()],
            },
            worked_on: vec!["omar".into(), "priya".into()],
            ..Default::default()
        }
    }

    #[test]
    fn the_actor_is_never_told_and_each_user_once() {
        let c = concerned(&facts(EventKind::CommentAdded, "priya"));
        assert_eq!(
            c.keys().map(String::as_str).collect::<Vec<_>>(),
            ["lee", "omar"]
        );
        let c = concerned(&facts(EventKind::CommentAdded, "omar"));
        assert_eq!(c["priya"], [NotifyKind::Owned, NotifyKind::Involved]);
    }

    #[test]
    fn choices_are_honoured_and_the_first_followed_reason_wins() {
        let c = concerned(&facts(EventKind::CommentAdded, "omar"));
        let mut prefs = BTreeMap::new();
        let mut p = Preferences::default();
        p.chosen.insert(
            NotifyKind::Owned,
            Choice {
                follow: false,
                by_email: false,
            },
        );
        prefs.insert("priya".to_string(), p);
        let mut lee = Preferences::default();
        lee.chosen.insert(
            NotifyKind::Involved,
            Choice {
                follow: false,
                by_email: false,
            },
        );
        prefs.insert("lee".to_string(), lee);
        let d = deliveries(c, &prefs);
        assert_eq!(
            d,
            [Delivery {
                username: "priya".into(),
                kind: NotifyKind::Involved,
                by_email: false
            }]
        );
    }

    #[test]
    fn severity_is_raised_only_upwards_and_impact_by_its_tactic() {
        assert!(severity_raised("severity", "Low", "High"));
        assert!(!severity_raised("severity", "High", "Low"));
        assert!(!severity_raised("status", "Low", "High"));
        assert!(into_impact(
            EventKind::StepAdded,
            "step 3",
            "AML.T0048 under AML.TA0011"
        ));
        assert!(into_impact(
            EventKind::StepEdited,
            "step 3 tactic",
            "AML.TA0011"
        ));
        assert!(!into_impact(
            EventKind::StepEdited,
            "step 3 description",
            "AML.TA0011"
        ));
    }

    #[test]
    fn a_preferences_form_names_every_bad_field() {
        let input = PreferencesInput {
            follow: vec!["owned".into(), "<b>".into()],
            mail: vec!["nope".into()],
            email: Some("not an address".into()),
        };
        let fields: Vec<String> = input
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["follow[1]", "mail[0]", "email"]);
        let ok = PreferencesInput {
            follow: vec!["owned".into()],
            mail: vec!["owned".into(), "task".into()],
            email: Some(" ana@example.org ".into()),
        };
        let (p, a) = ok.validate().unwrap();
        assert_eq!(a.as_deref(), Some("ana@example.org"));
        assert!(p.choice(NotifyKind::Owned).by_email);
        assert!(!p.choice(NotifyKind::Task).follow && !p.choice(NotifyKind::Task).by_email);
    }
}
