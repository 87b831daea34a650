//! Notifications (migration 0024): each user's choices, their notifications
//! and the e-mail outbox. [`notify_event`] turns an activity event into
//! notifications on the transaction that records it, by the rules of
//! `domain::notification`, so no change is ever left untold (or told twice).

use crate::store::backend::{Sql, Tx, Written, on_pool, on_tx};
use std::collections::BTreeMap;

use sqlx::FromRow;

use super::{Store, StoreError, StoreResult, new_id, now_rfc3339};
use crate::domain::notification::{
    self as rules, Choice, Delivery, EventFacts, Notification, NotifyKind, OutboxEmail, Preferences,
};
use crate::domain::teamwork::{EventKind, Members};

/// The event just recorded, as [`super::teamwork::record_event`] wrote it.
pub(super) struct RecordedEvent<'a> {
    pub id: &'a str,
    pub incident_id: &'a str,
    pub actor: &'a str,
    pub kind: EventKind,
    pub subject: &'a str,
    pub old_value: &'a str,
    pub new_value: &'a str,
}

/// Writes the notifications (and queued e-mails) an event makes.
pub(super) async fn notify_event(conn: &mut Tx, e: &RecordedEvent<'_>) -> StoreResult<()> {
    notify_events(conn, std::slice::from_ref(e)).await
}

/// [`notify_event`] for several events recorded on one transaction (the
/// alerts of an ingestion group): what every event needs of its incident
/// (title, members, who worked on it) is read once for all of them.
pub(super) async fn notify_events(conn: &mut Tx, events: &[RecordedEvent<'_>]) -> StoreResult<()> {
    let told: Vec<&RecordedEvent<'_>> = events
        .iter()
        .filter(|e| rules::notifies(e.kind, e.subject))
        .collect();
    if told.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<&str> = told.iter().map(|e| e.incident_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let known = IncidentContext::load(conn, &ids).await?;
    for e in told {
        let Some(context) = known.get(e.incident_id) else {
            continue;
        };
        notify_with(conn, e, context).await?;
    }
    Ok(())
}

/// Incidents per `IN (…)` list of [`IncidentContext::load`].
const IDS_PER_STATEMENT: usize = 200;

/// What notifying of an event needs to know of its incident.
#[derive(Default)]
struct IncidentContext {
    title: String,
    members: Members,
    /// The users who have changed the incident (its timeline's actors).
    worked_on: Vec<String>,
}

impl IncidentContext {
    /// The context of each of `ids` that exists, in a few statements.
    async fn load(conn: &mut Tx, ids: &[&str]) -> StoreResult<BTreeMap<String, IncidentContext>> {
        let mut out: BTreeMap<String, IncidentContext> = BTreeMap::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut qb: Sql = Sql::new("SELECT id, title FROM incidents WHERE id IN (");
            push_ids(&mut qb, chunk);
            let rows: Vec<(String, String)> =
                on_tx!(&mut *conn, |ex| qb.query_as()?.fetch_all(&mut *ex).await)?;
            for (id, title) in rows {
                out.entry(id).or_default().title = title;
            }
            let mut qb: Sql = Sql::new(
                "SELECT incident_id, username, is_owner FROM incident_members WHERE incident_id IN (",
            );
            push_ids(&mut qb, chunk);
            qb.push(" ORDER BY incident_id, username");
            let rows: Vec<(String, String, bool)> =
                on_tx!(&mut *conn, |ex| qb.query_as()?.fetch_all(&mut *ex).await)?;
            for (id, user, owner) in rows {
                let Some(c) = out.get_mut(&id) else { continue };
                if owner {
                    c.members.owner = Some(user);
                } else {
                    c.members.participants.push(user);
                }
            }
            let mut qb: Sql = Sql::new(
                "SELECT DISTINCT e.incident_id, u.username FROM incident_events e
                 JOIN users u ON u.username = e.actor WHERE e.incident_id IN (",
            );
            push_ids(&mut qb, chunk);
            qb.push(" ORDER BY e.incident_id, u.username");
            let rows: Vec<(String, String)> =
                on_tx!(&mut *conn, |ex| qb.query_as()?.fetch_all(&mut *ex).await)?;
            for (id, user) in rows {
                if let Some(c) = out.get_mut(&id) {
                    c.worked_on.push(user);
                }
            }
        }
        Ok(out)
    }
}

fn push_ids(qb: &mut Sql<'_>, ids: &[&str]) {
    let mut sep = qb.separated(", ");
    for id in ids {
        sep.push_bind(id.to_string());
    }
    qb.push(")");
}

/// Writes the notifications of one event, its incident's context known.
async fn notify_with(
    conn: &mut Tx,
    e: &RecordedEvent<'_>,
    context: &IncidentContext,
) -> StoreResult<()> {
    let mut facts = EventFacts {
        kind: Some(e.kind),
        actor: e.actor,
        subject: e.subject,
        old_value: e.old_value,
        new_value: e.new_value,
        incident_title: &context.title,
        members: context.members.clone(),
        worked_on: context.worked_on.clone(),
        ..Default::default()
    };
    if matches!(
        e.kind,
        EventKind::TaskAdded
            | EventKind::TaskEdited
            | EventKind::TaskDone
            | EventKind::TaskReopened
    ) {
        let task: Option<(Option<String>, String)> = on_tx!(&mut *conn, |ex| sqlx::query_as(
            "SELECT owner, created_by FROM incident_tasks WHERE id = $1"
        )
        .bind(e.subject)
        .fetch_optional(&mut *ex)
        .await)?;
        if let Some((owner, creator)) = task {
            facts.task_owner = owner;
            facts.task_creator = Some(creator);
        }
    }
    if rules::into_impact(e.kind, e.subject, e.new_value) {
        let (n,): (i64,) = on_tx!(&mut *conn, |ex| sqlx::query_as(
            "SELECT COUNT(*) FROM observations WHERE incident_id = $1 AND tactic_id = $2",
        )
        .bind(e.incident_id)
        .bind(rules::IMPACT_TACTIC)
        .fetch_one(&mut *ex)
        .await)?;
        facts.impact_reached = n == 1;
    }
    if let Some(kind) = rules::global_kind(&facts) {
        let rows: Vec<(String,)> = on_tx!(&mut *conn, |ex| sqlx::query_as(
            "SELECT username FROM notification_preferences WHERE kind = $1 AND follow",
        )
        .bind(kind.as_str())
        .fetch_all(&mut *ex)
        .await)?;
        facts.global_followers = rows.into_iter().map(|(u,)| u).collect();
    }
    let concerned = rules::concerned(&facts);
    let names: Vec<String> = concerned.keys().cloned().collect();
    let (prefs, emails) = recipients(conn, &names).await?;
    let concerned = concerned
        .into_iter()
        .filter(|(u, _)| emails.contains_key(u))
        .collect();
    for d in rules::deliveries(concerned, &prefs) {
        let summary = rules::summary(&facts, &d.username);
        let to = emails.get(&d.username).cloned().flatten();
        let n = NewNotification {
            delivery: &d,
            incident_id: e.incident_id,
            event_id: Some(e.id),
            subject: e.subject,
            summary: &summary,
        };
        insert_notification(conn, &n, to.as_deref()).await?;
    }
    Ok(())
}

/// The choices and e-mail addresses of those of `names` who are enabled users.
async fn recipients(
    conn: &mut Tx,
    names: &[String],
) -> StoreResult<(
    BTreeMap<String, Preferences>,
    BTreeMap<String, Option<String>>,
)> {
    let mut prefs: BTreeMap<String, Preferences> = BTreeMap::new();
    let mut emails = BTreeMap::new();
    if names.is_empty() {
        return Ok((prefs, emails));
    }
    let mut qb: Sql =
        Sql::new("SELECT username, email FROM users WHERE NOT disabled AND username IN (");
    push_names(&mut qb, names);
    let rows: Vec<(String, Option<String>)> =
        on_tx!(&mut *conn, |ex| qb.query_as()?.fetch_all(&mut *ex).await)?;
    emails.extend(rows);
    let mut qb: Sql = Sql::new(
        "SELECT username, kind, follow, by_email FROM notification_preferences WHERE username IN (",
    );
    push_names(&mut qb, names);
    let rows: Vec<PreferenceRow> =
        on_tx!(&mut *conn, |ex| qb.query_as()?.fetch_all(&mut *ex).await)?;
    for r in rows {
        if let Some(kind) = NotifyKind::parse(&r.kind) {
            let choice = Choice {
                follow: r.follow,
                by_email: r.by_email,
            };
            prefs
                .entry(r.username)
                .or_default()
                .chosen
                .insert(kind, choice);
        }
    }
    Ok((prefs, emails))
}

fn push_names(qb: &mut Sql<'_>, names: &[String]) {
    let mut sep = qb.separated(", ");
    for n in names {
        sep.push_bind(n.clone());
    }
    qb.push(")");
}

#[derive(FromRow)]
struct PreferenceRow {
    username: String,
    kind: String,
    follow: bool,
    by_email: bool,
}

struct NewNotification<'a> {
    delivery: &'a Delivery,
    incident_id: &'a str,
    event_id: Option<&'a str>,
    subject: &'a str,
    summary: &'a str,
}

/// One notification, and its e-mail when the user wants it and has an address.
async fn insert_notification(
    conn: &mut Tx,
    n: &NewNotification<'_>,
    email: Option<&str>,
) -> StoreResult<()> {
    let id = new_id("ntf-");
    // Microseconds: a user's notifications sort by it, newest first.
    let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let now = now_rfc3339();
    on_tx!(&mut *conn, |ex| {
        sqlx::query(
        "INSERT INTO notifications (id, username, incident_id, kind, event_id, subject, summary, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&n.delivery.username)
    .bind(n.incident_id)
    .bind(n.delivery.kind.as_str())
    .bind(n.event_id)
    .bind(n.subject)
    .bind(n.summary)
    .bind(&created)
    .execute(&mut *ex)
    .await.map(Written::from)
    })?;
    let Some(to) = email.filter(|_| n.delivery.by_email) else {
        return Ok(());
    };
    on_tx!(&mut *conn, |ex| {
        sqlx::query(
        "INSERT INTO email_outbox (id, notification_id, incident_id, to_address, subject, body, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id("mail-"))
    .bind(&id)
    .bind(n.incident_id)
    .bind(to)
    .bind(format!(
        "[atlasview] {}",
        crate::domain::excerpt::shorten(n.summary, 150)
    ))
    .bind(n.summary)
    .bind(&now)
    .bind(&now)
    .execute(&mut *ex)
    .await.map(Written::from)
    })?;
    Ok(())
}

#[derive(FromRow)]
struct NotificationRow {
    id: String,
    incident_id: String,
    kind: String,
    summary: String,
    created_at: String,
    read_at: Option<String>,
}

#[derive(FromRow)]
struct OutboxRow {
    id: String,
    incident_id: String,
    to_address: String,
    subject: String,
    body: String,
    attempts: i64,
    created_at: String,
}

impl Store {
    /// How many notifications of `user` are unread (the header's badge).
    pub async fn unread_notifications(&self, user: &str) -> StoreResult<i64> {
        let (n,): (i64,) = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT COUNT(*) FROM notifications WHERE username = $1 AND read_at IS NULL",
        )
        .bind(user)
        .fetch_one(db)
        .await)?;
        Ok(n)
    }

    /// The newest `limit` notifications of `user`, newest first.
    pub async fn notifications_of(&self, user: &str, limit: i64) -> StoreResult<Vec<Notification>> {
        let rows: Vec<NotificationRow> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT id, incident_id, kind, summary, created_at, read_at FROM notifications
             WHERE username = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(user)
        .bind(limit)
        .fetch_all(db)
        .await)?;
        rows.into_iter()
            .map(|r| {
                Ok(Notification {
                    kind: NotifyKind::parse(&r.kind).ok_or_else(|| {
                        StoreError::Corrupt(format!("notification kind `{}`", r.kind))
                    })?,
                    id: r.id,
                    incident_id: r.incident_id,
                    summary: r.summary,
                    created_at: r.created_at,
                    read_at: r.read_at,
                })
            })
            .collect()
    }

    /// Marks one notification of `user` read; another user's is not found.
    pub async fn mark_notification_read(&self, user: &str, id: &str) -> StoreResult<()> {
        let mine: Option<(String,)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT id FROM notifications WHERE id = $1 AND username = $2"
        )
        .bind(id)
        .bind(user)
        .fetch_optional(db)
        .await)?;
        if mine.is_none() {
            return Err(StoreError::NotFound(format!("notification {id}")));
        }
        self.execute_write(
            Sql::new(
                "UPDATE notifications SET read_at = $1 WHERE id = $2 AND username = $3 AND read_at IS NULL",
            )
            .bind(now_rfc3339())
            .bind(id)
            .bind(user),
        )
        .await?;
        Ok(())
    }

    /// Marks every notification of `user` read; answers how many were unread.
    pub async fn mark_all_notifications_read(&self, user: &str) -> StoreResult<u64> {
        let done = self
            .execute_write(
                Sql::new(
                    "UPDATE notifications SET read_at = $1 WHERE username = $2 AND read_at IS NULL",
                )
                .bind(now_rfc3339())
                .bind(user),
            )
            .await?;
        Ok(done.rows_affected())
    }

    /// `user`'s choices (defaults where none) and e-mail address.
    pub async fn notification_preferences(
        &self,
        user: &str,
    ) -> StoreResult<(Preferences, Option<String>)> {
        let mut tx = self.read().await?;
        let names = [user.to_string()];
        let (mut prefs, emails) = recipients(&mut tx, &names).await?;
        Ok((
            prefs.remove(user).unwrap_or_default(),
            emails.get(user).cloned().flatten(),
        ))
    }

    /// Replaces `user`'s choices and e-mail address (blank: none).
    pub async fn set_notification_preferences(
        &self,
        user: &str,
        prefs: &Preferences,
        email: Option<&str>,
    ) -> StoreResult<()> {
        let (mut tx, _turn) = self.write().await?;
        let now = now_rfc3339();
        let done = on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE users SET email = $1, updated_at = $2 WHERE username = $3"
        )
        .bind(email)
        .bind(&now)
        .bind(user)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("user {user}")));
        }
        for kind in NotifyKind::ALL {
            let c = prefs.choice(*kind);
            on_tx!(&mut tx, |ex| {
                sqlx::query(
                "INSERT INTO notification_preferences (username, kind, follow, by_email, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (username, kind) DO UPDATE SET follow = excluded.follow,
                     by_email = excluded.by_email, updated_at = excluded.updated_at",
            )
            .bind(user)
            .bind(kind.as_str())
            .bind(c.follow)
            .bind(c.by_email)
            .bind(&now)
            .execute(&mut *ex)
            .await.map(Written::from)
            })?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Tells each owner of an open task due by `today` (`YYYY-MM-DD`) once
    /// per due date; answers how many notifications were written.
    pub async fn notify_due_tasks(&self, today: &str) -> StoreResult<usize> {
        const DUE: &str = "SELECT t.id, t.incident_id, t.title, i.title, t.owner, t.due_on
             FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id
             WHERE t.status = 'open' AND t.due_on <= $1 AND t.owner IS NOT NULL
               AND (t.due_notified_on IS NULL OR t.due_notified_on <> t.due_on)
             ORDER BY t.due_on, t.id";
        // Most ticks find nothing: no write turn for them.
        let any: Option<(String,)> = on_pool!(&self.pool, |db| sqlx::query_as(&format!(
            "SELECT id FROM ({DUE}) due LIMIT 1"
        ))
        .bind(today)
        .fetch_optional(db)
        .await)?;
        if any.is_none() {
            return Ok(0);
        }
        let (mut tx, _turn) = self.write().await?;
        let due: Vec<(String, String, String, String, String, String)> =
            on_tx!(&mut tx, |ex| sqlx::query_as(DUE)
                .bind(today)
                .fetch_all(&mut *ex)
                .await)?;
        let mut written = 0;
        for (task, incident, title, incident_title, owner, due_on) in due {
            on_tx!(&mut tx, |ex| sqlx::query(
                "UPDATE incident_tasks SET due_notified_on = $1 WHERE id = $2"
            )
            .bind(&due_on)
            .bind(&task)
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
            let (prefs, emails) = recipients(&mut tx, std::slice::from_ref(&owner)).await?;
            let Some(email) = emails.get(&owner) else {
                continue;
            };
            let concerned = BTreeMap::from([(owner.clone(), vec![NotifyKind::Due])]);
            for d in rules::deliveries(concerned, &prefs) {
                let summary = rules::due_summary(&title, &incident_title, &due_on, today);
                let n = NewNotification {
                    delivery: &d,
                    incident_id: &incident,
                    event_id: None,
                    subject: &task,
                    summary: &summary,
                };
                insert_notification(&mut tx, &n, email.as_deref()).await?;
                written += 1;
            }
        }
        tx.commit().await?;
        Ok(written)
    }

    /// Claims up to `limit` e-mails due to be sent at `now` (RFC 3339): each
    /// is marked `sending`, so two senders never send one twice.
    pub async fn claim_emails(&self, now: &str, limit: i64) -> StoreResult<Vec<OutboxEmail>> {
        let (waiting,): (i64,) = on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT COUNT(*) FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= $1",
        )
        .bind(now)
        .fetch_one(db)
        .await
        })?;
        if waiting == 0 {
            return Ok(Vec::new());
        }
        let (mut tx, _turn) = self.write().await?;
        let rows: Vec<OutboxRow> = on_tx!(&mut tx, |ex| {
            sqlx::query_as(
            "SELECT id, incident_id, to_address, subject, body, attempts, created_at FROM email_outbox
             WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *ex)
        .await
        })?;
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        super::outbox::mark_sending(&mut tx, "email_outbox", &ids).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| OutboxEmail {
                id: r.id,
                incident_id: r.incident_id,
                to_address: r.to_address,
                subject: r.subject,
                body: r.body,
                attempts: r.attempts,
                created_at: r.created_at,
            })
            .collect())
    }

    /// Records an attempt at a claimed e-mail: sent (`error` none), to be
    /// tried again at `retry_at`, or given up (neither).
    pub async fn email_attempted(
        &self,
        id: &str,
        error: Option<&str>,
        retry_at: Option<&str>,
    ) -> StoreResult<()> {
        let now = now_rfc3339();
        let (status, next) = match (error, retry_at) {
            (None, _) => ("sent", now.as_str()),
            (Some(_), Some(at)) => ("pending", at),
            (Some(_), None) => ("failed", now.as_str()),
        };
        self.execute_write(
            Sql::new(
                "UPDATE email_outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2,
                     last_error = $3, sent_at = $4 WHERE id = $5",
            )
            .bind(status)
            .bind(next)
            .bind(error.unwrap_or_default())
            .bind(error.is_none().then_some(now.as_str()))
            .bind(id),
        )
        .await?;
        Ok(())
    }

    /// Puts back e-mails left `sending` (by a sender stopped mid-way).
    pub async fn release_claimed_emails(&self) -> StoreResult<u64> {
        let done = self
            .execute_write(Sql::new(
                "UPDATE email_outbox SET status = 'pending' WHERE status = 'sending'",
            ))
            .await?;
        Ok(done.rows_affected())
    }

    /// Each e-mail's recipient, subject and status, oldest first (for tests and admins).
    pub async fn outbox(&self) -> StoreResult<Vec<(String, String, String, i64)>> {
        Ok(on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT to_address, subject, status, attempts FROM email_outbox ORDER BY created_at, id",
        )
        .fetch_all(db)
        .await
        })?)
    }
}
