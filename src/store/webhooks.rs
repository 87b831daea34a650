//! Webhooks (migration 0029): the hooks, their outbox of deliveries and the
//! delivery log. [`enqueue_event`] queues the deliveries an activity event
//! makes on the transaction that records it (see `teamwork::record_event`),
//! so a delivery exists exactly when its change was committed. The sender
//! (`service::webhooks`) is woken when a write turn that queued one ends
//! (`pool::delivery_queued`).

use crate::store::backend::{Sql, Tx, Written, on_pool, on_tx};
use serde_json::{Value, json};
use sqlx::FromRow;

use super::notifications::RecordedEvent;
use super::{Store, StoreError, StoreResult, new_id};
use crate::domain::notification as rules;
use crate::domain::teamwork::EventKind;
use crate::domain::webhook::{
    AttemptOutcome, ClaimedDelivery, DeliveryAttempt, Webhook, WebhookDraft, WebhookEvent,
};

/// Millisecond RFC 3339 UTC: the retry times of tests are shorter than a second.
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn now() -> String {
    stamp(chrono::Utc::now())
}

/// The active hooks subscribed to `event`, with their IDs.
async fn subscribers(conn: &mut Tx, event: WebhookEvent) -> StoreResult<Vec<String>> {
    let rows: Vec<(String, String)> = on_tx!(&mut *conn, |ex| sqlx::query_as(
        "SELECT id, events FROM webhooks WHERE active"
    )
    .fetch_all(&mut *ex)
    .await)?;
    Ok(rows
        .into_iter()
        .filter(|(_, events)| events.split(' ').any(|e| e == event.as_str()))
        .map(|(id, _)| id)
        .collect())
}

/// One delivery to each of `hooks`: `body` with its own `id`, `event` and
/// `at`. Gives the deliveries' IDs, in the order of `hooks`.
async fn insert_deliveries(
    conn: &mut Tx,
    hooks: &[String],
    event: WebhookEvent,
    body: &Value,
) -> StoreResult<Vec<String>> {
    let at = now();
    let mut ids = Vec::with_capacity(hooks.len());
    for hook in hooks {
        let id = new_id("whd-");
        let mut body = body.clone();
        if let Some(map) = body.as_object_mut() {
            map.insert("id".into(), json!(id));
            map.insert("event".into(), json!(event.as_str()));
            map.insert("at".into(), json!(at));
        }
        on_tx!(&mut *conn, |ex| {
            sqlx::query(
            "INSERT INTO webhook_deliveries (id, webhook_id, event, body, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&id)
        .bind(hook)
        .bind(event.as_str())
        .bind(body.to_string())
        .bind(&at)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        ids.push(id);
    }
    if !hooks.is_empty() {
        super::pool::delivery_queued();
    }
    Ok(ids)
}

/// The incident as a delivery tells of it.
async fn incident_summary(conn: &mut Tx, id: &str) -> StoreResult<Option<Value>> {
    let row: Option<(String, String, String, String, String, String)> =
        on_tx!(&mut *conn, |ex| sqlx::query_as(
            "SELECT id, title, kind, severity, status, atlas_release FROM incidents WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *ex)
        .await)?;
    Ok(row.map(|(id, title, kind, severity, status, release)| {
        json!({
            "id": id,
            "title": title,
            "kind": kind,
            "severity": severity,
            "status": status,
            "atlas_release": release,
            "path": format!("/incidents/{id}"),
        })
    }))
}

/// The webhook event an activity event is, if any.
async fn event_of(conn: &mut Tx, e: &RecordedEvent<'_>) -> StoreResult<Option<WebhookEvent>> {
    Ok(match e.kind {
        EventKind::Created => Some(WebhookEvent::IncidentCreated),
        EventKind::Field if rules::severity_raised(e.subject, e.old_value, e.new_value) => {
            Some(WebhookEvent::SeverityRaised)
        }
        EventKind::Field if e.subject == "status" && e.old_value != e.new_value => {
            Some(WebhookEvent::StatusChanged)
        }
        kind if rules::into_impact(kind, e.subject, e.new_value) => {
            // Reached: this is the incident's first step under Impact.
            let (n,): (i64,) = on_tx!(&mut *conn, |ex| sqlx::query_as(
                "SELECT COUNT(*) FROM observations WHERE incident_id = $1 AND tactic_id = $2",
            )
            .bind(e.incident_id)
            .bind(rules::IMPACT_TACTIC)
            .fetch_one(&mut *ex)
            .await)?;
            (n == 1).then_some(WebhookEvent::ImpactReached)
        }
        _ => None,
    })
}

/// The timeline keeps a severity's or status's label ("Critical"); a
/// delivery carries the value the API uses ("critical").
fn value_of<'a>(subject: &str, label: &'a str) -> &'a str {
    use crate::domain::{Severity, Status};
    let found = match subject {
        "severity" => Severity::ALL
            .iter()
            .find(|s| s.label() == label)
            .map(|s| s.as_str()),
        "status" => Status::ALL
            .iter()
            .find(|s| s.label() == label)
            .map(|s| s.as_str()),
        _ => None,
    };
    found.unwrap_or(label)
}

/// Queues the deliveries an activity event makes, on its transaction.
pub(super) async fn enqueue_event(conn: &mut Tx, e: &RecordedEvent<'_>) -> StoreResult<()> {
    let Some(event) = event_of(conn, e).await? else {
        return Ok(());
    };
    let hooks = subscribers(conn, event).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let Some(incident) = incident_summary(conn, e.incident_id).await? else {
        return Ok(());
    };
    let mut body = json!({"incident": incident, "actor": e.actor});
    if e.kind == EventKind::Field || event == WebhookEvent::ImpactReached {
        let (from, to) = (
            value_of(e.subject, e.old_value),
            value_of(e.subject, e.new_value),
        );
        body["change"] = json!({"subject": e.subject, "from": from, "to": to});
    }
    insert_deliveries(conn, &hooks, event, &body).await?;
    Ok(())
}

/// Queues `incident.created` for an incident written without an activity
/// event (opened by alert correlation), on its transaction.
pub(super) async fn enqueue_created(
    conn: &mut Tx,
    incident_id: &str,
    actor: &str,
) -> StoreResult<()> {
    let hooks = subscribers(conn, WebhookEvent::IncidentCreated).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let Some(incident) = incident_summary(conn, incident_id).await? else {
        return Ok(());
    };
    let body = json!({"incident": incident, "actor": actor});
    insert_deliveries(conn, &hooks, WebhookEvent::IncidentCreated, &body).await?;
    Ok(())
}

/// Queues `incident.severity_raised` when alert correlation raises an
/// incident's severity to `to` above its current one (see
/// `AlertTx::enqueue_severity_raised`); called before the raise is written.
pub(super) async fn enqueue_raised(
    conn: &mut Tx,
    incident_id: &str,
    to: &str,
    actor: &str,
) -> StoreResult<()> {
    use crate::domain::Severity;
    let hooks = subscribers(conn, WebhookEvent::SeverityRaised).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let Some(mut incident) = incident_summary(conn, incident_id).await? else {
        return Ok(());
    };
    let from = incident["severity"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if !matches!((Severity::parse(&from), Severity::parse(to)), (Some(o), Some(n)) if n > o) {
        return Ok(());
    }
    incident["severity"] = json!(to);
    let body = json!({
        "incident": incident,
        "actor": actor,
        "change": {"subject": "severity", "from": from, "to": to},
    });
    insert_deliveries(conn, &hooks, WebhookEvent::SeverityRaised, &body).await?;
    Ok(())
}

/// Queues `ingest.unmapped` (see `AlertTx::enqueue_unmapped`).
pub(super) async fn enqueue_unmapped(
    conn: &mut Tx,
    alerts: usize,
    technique_ids: &[String],
    incidents: &[String],
    received_by: &str,
) -> StoreResult<()> {
    if alerts == 0 {
        return Ok(());
    }
    let hooks = subscribers(conn, WebhookEvent::IngestUnmapped).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let body = json!({
        "unmapped": {"alerts": alerts, "technique_ids": technique_ids},
        "incidents": incidents,
        "actor": received_by,
    });
    insert_deliveries(conn, &hooks, WebhookEvent::IngestUnmapped, &body).await?;
    Ok(())
}

#[derive(FromRow)]
struct HookRow {
    id: String,
    url: String,
    events: String,
    active: bool,
    created_by: String,
    created_at: String,
    pending: i64,
    failed: i64,
}

impl HookRow {
    fn into_webhook(self) -> Webhook {
        Webhook {
            events: self
                .events
                .split(' ')
                .filter_map(WebhookEvent::parse)
                .collect(),
            id: self.id,
            url: self.url,
            active: self.active,
            created_by: self.created_by,
            created_at: self.created_at,
            pending: self.pending,
            failed: self.failed,
        }
    }
}

const HOOKS: &str = "SELECT w.id, w.url, w.events, w.active, w.created_by, w.created_at,
        (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status IN ('pending', 'sending')) AS pending,
        (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'failed') AS failed
     FROM webhooks w";

#[derive(FromRow)]
struct AttemptRow {
    delivery_id: String,
    event: String,
    attempt: i64,
    at: String,
    status_code: Option<i64>,
    error: String,
    duration_ms: i64,
}

#[derive(FromRow)]
struct ClaimRow {
    id: String,
    webhook_id: String,
    url: String,
    secret: String,
    event: String,
    body: String,
    attempts: i64,
}

impl Store {
    /// Registers a hook with its (generated) secret.
    pub async fn create_webhook(
        &self,
        draft: &WebhookDraft,
        secret: &str,
        by: &str,
    ) -> StoreResult<Webhook> {
        let id = new_id("wh-");
        let events: Vec<&str> = draft.events.iter().map(|e| e.as_str()).collect();
        self.execute_write(
            Sql::new(
                "INSERT INTO webhooks (id, url, events, secret, active, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(&draft.url)
            .bind(events.join(" "))
            .bind(secret)
            .bind(draft.active)
            .bind(by)
            .bind(now()),
        )
        .await?;
        self.webhook(&id).await
    }

    /// Every hook, oldest first.
    pub async fn webhooks(&self) -> StoreResult<Vec<Webhook>> {
        let rows: Vec<HookRow> = on_pool!(&self.pool, |db| sqlx::query_as(&format!(
            "{HOOKS} ORDER BY w.created_at, w.id"
        ))
        .fetch_all(db)
        .await)?;
        Ok(rows.into_iter().map(HookRow::into_webhook).collect())
    }

    pub async fn webhook(&self, id: &str) -> StoreResult<Webhook> {
        let row: Option<HookRow> = on_pool!(&self.pool, |db| sqlx::query_as(&format!(
            "{HOOKS} WHERE w.id = $1"
        ))
        .bind(id)
        .fetch_optional(db)
        .await)?;
        row.map(HookRow::into_webhook)
            .ok_or_else(|| StoreError::NotFound(format!("webhook {id}")))
    }

    /// Removes a hook with its deliveries and their log.
    pub async fn delete_webhook(&self, id: &str) -> StoreResult<()> {
        let done = self
            .execute_write(Sql::new("DELETE FROM webhooks WHERE id = $1").bind(id))
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("webhook {id}")));
        }
        Ok(())
    }

    /// Turns a hook on or off (an inactive hook is queued nothing, and what
    /// it has queued waits).
    pub async fn set_webhook_active(&self, id: &str, active: bool) -> StoreResult<()> {
        let done = self
            .execute_write(
                Sql::new("UPDATE webhooks SET active = $1 WHERE id = $2")
                    .bind(active)
                    .bind(id),
            )
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("webhook {id}")));
        }
        Ok(())
    }

    /// Queues a test event to one hook (active or not); answers its delivery ID.
    pub async fn enqueue_test_delivery(&self, id: &str) -> StoreResult<String> {
        let hook = self.webhook(id).await?;
        let (mut tx, _turn) = self.write().await?;
        let body = json!({"webhook": {"id": hook.id, "url": hook.url}, "message": "A test event from atlasview."});
        let delivery = insert_deliveries(
            &mut tx,
            std::slice::from_ref(&hook.id),
            WebhookEvent::Test,
            &body,
        )
        .await?
        .pop()
        .ok_or_else(|| StoreError::Corrupt("no test delivery written".into()))?;
        tx.commit().await?;
        Ok(delivery)
    }

    /// Claims up to `limit` deliveries due at `now` (see [`stamp`]) of active
    /// hooks (and test events, which an admin may send to a hook turned off
    /// before turning it on): each is marked `sending`, so no two senders
    /// send one twice.
    pub async fn claim_deliveries(
        &self,
        now: &str,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        const DUE: &str = "SELECT d.id, d.webhook_id, w.url, w.secret, d.event, d.body, d.attempts
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (w.active OR d.event = 'webhook.test')
             ORDER BY d.next_attempt_at, d.id LIMIT $2";
        // Most rounds find nothing: no write turn for them. (The limit is an
        // `i64` as below: PostgreSQL keeps one prepared statement per SQL
        // text, typed by its first binding.)
        let any: Option<ClaimRow> = on_pool!(&self.pool, |db| sqlx::query_as(DUE)
            .bind(now)
            .bind(1_i64)
            .fetch_optional(db)
            .await)?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        let (mut tx, _turn) = self.write().await?;
        let rows: Vec<ClaimRow> = on_tx!(&mut tx, |ex| sqlx::query_as(DUE)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *ex)
            .await)?;
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        super::outbox::mark_sending(&mut tx, "webhook_deliveries", &ids).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| ClaimedDelivery {
                id: r.id,
                webhook_id: r.webhook_id,
                url: r.url,
                secret: r.secret,
                event: r.event,
                body: r.body,
                attempts: r.attempts,
            })
            .collect())
    }

    /// Logs one attempt at a claimed delivery and what became of it.
    pub async fn delivery_attempted(
        &self,
        d: &ClaimedDelivery,
        attempt: &DeliveryAttempt,
        outcome: &AttemptOutcome,
    ) -> StoreResult<()> {
        let now = now();
        let (status, next) = match outcome {
            AttemptOutcome::Delivered => ("delivered", now.as_str()),
            AttemptOutcome::RetryAt(at) => ("pending", at.as_str()),
            AttemptOutcome::Failed => ("failed", now.as_str()),
        };
        let (mut tx, _turn) = self.write().await?;
        on_tx!(&mut tx, |ex| {
            sqlx::query(
            "INSERT INTO webhook_attempts (id, delivery_id, webhook_id, event, attempt, at, status_code, error, duration_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(new_id("wha-"))
        .bind(&d.id)
        .bind(&d.webhook_id)
        .bind(&d.event)
        .bind(attempt.attempt)
        .bind(&attempt.at)
        .bind(attempt.status_code)
        .bind(&attempt.error)
        .bind(attempt.duration_ms)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3,
                 delivered_at = $4 WHERE id = $5",
        )
        .bind(status)
        .bind(attempt.attempt)
        .bind(next)
        .bind((*outcome == AttemptOutcome::Delivered).then_some(now.as_str()))
        .bind(&d.id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes the deliveries delivered or failed that were queued before
    /// `before` (see [`stamp`]), with their attempts.
    pub async fn prune_deliveries(&self, before: &str) -> StoreResult<u64> {
        let done = self
            .execute_write(
                Sql::new(
                    "DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND created_at < $1",
                )
                .bind(before),
            )
            .await?;
        Ok(done.rows_affected())
    }

    /// Puts back deliveries left `sending` by a sender stopped mid-way.
    pub async fn release_claimed_deliveries(&self) -> StoreResult<u64> {
        let done = self
            .execute_write(Sql::new(
                "UPDATE webhook_deliveries SET status = 'pending' WHERE status = 'sending'",
            ))
            .await?;
        Ok(done.rows_affected())
    }

    /// The latest `limit` attempts at a hook's deliveries, newest first.
    pub async fn delivery_log(
        &self,
        webhook_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryAttempt>> {
        let rows: Vec<AttemptRow> = on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT delivery_id, event, attempt, at, status_code, error, duration_ms FROM webhook_attempts
             WHERE webhook_id = $1 ORDER BY at DESC, attempt DESC LIMIT $2",
        )
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(db)
        .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| DeliveryAttempt {
                delivery_id: r.delivery_id,
                event: r.event,
                attempt: r.attempt,
                at: r.at,
                status_code: r.status_code,
                error: r.error,
                duration_ms: r.duration_ms,
            })
            .collect())
    }
}
