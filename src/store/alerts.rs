//! Alerts, correlation rules, and the incidents and steps alerts feed. A
//! request's alerts are written through one [`AlertTx`] (one transaction,
//! taking SQLite's write lock up front), so an acknowledged alert is committed
//! together with everything it changed, or not at all.

use crate::store::backend::{Sql, Tx, Written, on_pool, on_tx};
use std::collections::{HashMap, HashSet};

use sqlx::FromRow;

use super::teamwork::record_tactic;
use super::{Store, StoreResult, new_id, now_rfc3339};
pub use crate::domain::alert::{CorrelationRule, split_tactics};

/// An open incident fed by a correlation key.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CorrelatedIncident {
    pub incident_id: String,
    pub first_event_at: String,
    pub last_event_at: String,
    pub max_severity: String,
}

/// A step of an incident as correlation sees it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct StepState {
    pub id: String,
    pub technique_id: String,
    /// `''` while the tactic is to be confirmed.
    pub tactic_id: String,
    pub source: String,
    pub alert_count: i64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub alert_sample: String,
    pub candidate_tactics: String,
}

/// A new alert row.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub id: String,
    pub source: String,
    pub alert_id: String,
    pub shape: &'static str,
    pub event_at: String,
    pub received_by: String,
    pub title: String,
    pub severity: Option<&'static str>,
    pub rule_name: String,
    pub correlation_key: String,
    pub incident_id: Option<String>,
    pub raw: String,
}

/// A step created by alerts, at the end of its incident until re-ordered.
#[derive(Debug, Clone)]
pub struct NewStep<'a> {
    pub id: &'a str,
    pub incident_id: &'a str,
    pub position: i64,
    pub tactic_id: &'a str,
    pub technique_id: &'a str,
    pub observed_at: &'a str,
    pub evidence: String,
}

/// One technique of a new alert.
#[derive(Debug, Clone)]
pub struct NewHit {
    pub alert_id: String,
    pub position: i64,
    pub raw_id: String,
    pub technique_id: String,
    pub tactic_id: Option<String>,
    pub step_id: Option<String>,
    pub mapped: bool,
}

/// An unmapped technique of a stored alert, with what correlation needs.
#[derive(Debug, Clone, FromRow)]
pub struct UnmappedHit {
    pub alert_row: String,
    pub position: i64,
    pub raw_id: String,
    pub technique_id: String,
    pub tactic_id: Option<String>,
    pub source: String,
    pub alert_id: String,
    pub event_at: String,
    pub received_at: String,
    pub title: String,
    pub severity: Option<String>,
    pub rule_name: String,
    pub correlation_key: String,
}

/// A stored correlation rule.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RuleRow {
    pub id: String,
    pub name: String,
    pub key_fields: String,
    pub idle_seconds: i64,
    pub position: i64,
}

impl RuleRow {
    pub fn rule(&self) -> CorrelationRule {
        CorrelationRule {
            name: self.name.clone(),
            fields: self
                .key_fields
                .split(',')
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect(),
            idle_seconds: self.idle_seconds,
        }
    }
}

/// A recent alert, for the ingestion page.
#[derive(Debug, Clone, FromRow)]
pub struct AlertListItem {
    pub source: String,
    pub alert_id: String,
    pub shape: String,
    pub event_at: String,
    pub received_at: String,
    pub title: String,
    pub severity: Option<String>,
    pub incident_id: Option<String>,
    pub techniques: String,
}

/// Alerts received from one source.
#[derive(Debug, Clone, FromRow)]
pub struct SourceStats {
    pub source: String,
    pub alerts: i64,
    pub last_received: String,
}

/// A step whose tactic an analyst has to pick.
#[derive(Debug, Clone, FromRow)]
pub struct ToConfirm {
    pub incident_id: String,
    pub incident_title: String,
    pub step_id: String,
    pub technique_id: String,
    pub candidate_tactics: String,
    pub alert_count: i64,
}

/// What the incident page shows beside a step fed by alerts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepAlerts {
    pub alert_count: i64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub candidate_tactics: Vec<String>,
    /// The latest alerts behind the step (at most 10).
    pub recent: Vec<StepAlert>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct StepAlert {
    pub source: String,
    pub alert_id: String,
    pub event_at: String,
    pub title: String,
}

/// One write transaction of alert ingestion.
pub struct AlertTx {
    pub(super) tx: Tx,
    /// This request's turn among the store's writers, held until commit.
    _turn: super::WriteTurn,
    pub(super) now: String,
}

impl Store {
    /// Opens the write transaction of one ingestion request.
    pub async fn begin_alerts(&self) -> StoreResult<AlertTx> {
        let (tx, turn) = self.write().await?;
        Ok(AlertTx {
            tx,
            _turn: turn,
            now: now_rfc3339(),
        })
    }

    pub async fn list_rules(&self) -> StoreResult<Vec<RuleRow>> {
        Ok(on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT id, name, key_fields, idle_seconds, position FROM correlation_rules ORDER BY position, name",
        )
        .fetch_all(db)
        .await
        })?)
    }

    /// Adds a rule, or replaces the one of the same name (keeping its place).
    pub async fn save_rule(&self, rule: &CorrelationRule) -> StoreResult<bool> {
        let (mut tx, _turn) = self.write().await?;
        let fields = rule.fields.join(",");
        let updated = on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE correlation_rules SET key_fields = $1, idle_seconds = $2 WHERE name = $3",
        )
        .bind(&fields)
        .bind(rule.idle_seconds)
        .bind(&rule.name)
        .execute(&mut *ex)
        .await
        .map(Written::from))?
        .rows_affected();
        let created = updated == 0;
        if created {
            let (next,): (i64,) = on_tx!(&mut tx, |ex| sqlx::query_as(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM correlation_rules"
            )
            .fetch_one(&mut *ex)
            .await)?;
            on_tx!(&mut tx, |ex| {
                sqlx::query(
                "INSERT INTO correlation_rules (id, name, key_fields, idle_seconds, position, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(new_id("rule-"))
            .bind(&rule.name)
            .bind(&fields)
            .bind(rule.idle_seconds)
            .bind(next)
            .bind(now_rfc3339())
            .execute(&mut *ex)
            .await.map(Written::from)
            })?;
        }
        tx.commit().await?;
        Ok(created)
    }

    pub async fn delete_rule(&self, name: &str) -> StoreResult<bool> {
        let done = on_pool!(&self.pool, |db| sqlx::query(
            "DELETE FROM correlation_rules WHERE name = $1"
        )
        .bind(name)
        .execute(db)
        .await
        .map(Written::from))?;
        Ok(done.rows_affected() > 0)
    }

    /// Unmapped techniques of stored alerts, oldest first.
    pub async fn unmapped_hits(&self, limit: i64) -> StoreResult<Vec<UnmappedHit>> {
        Ok(on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT h.alert_id AS alert_row, h.position, h.raw_id, h.technique_id, h.tactic_id,
                    a.source, a.alert_id, a.event_at, a.received_at, a.title, a.severity, a.rule_name, a.correlation_key
             FROM alert_hits h JOIN alerts a ON a.id = h.alert_id
             WHERE h.mapped = FALSE
             ORDER BY a.event_at, a.id, h.position
             LIMIT $1",
        )
        .bind(limit)
        .fetch_all(db)
        .await
        })?)
    }

    pub async fn unmapped_count(&self) -> StoreResult<i64> {
        let (n,): (i64,) = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT COUNT(DISTINCT alert_id) FROM alert_hits WHERE mapped = FALSE"
        )
        .fetch_one(db)
        .await)?;
        Ok(n)
    }

    pub async fn alert_count(&self) -> StoreResult<i64> {
        let (n,): (i64,) = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT COUNT(*) FROM alerts"
        )
        .fetch_one(db)
        .await)?;
        Ok(n)
    }

    /// Whether an alert of this source and ID is stored.
    pub async fn alert_exists(&self, source: &str, alert_id: &str) -> StoreResult<bool> {
        let row: Option<(String,)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT id FROM alerts WHERE source = $1 AND alert_id = $2"
        )
        .bind(source)
        .bind(alert_id)
        .fetch_optional(db)
        .await)?;
        Ok(row.is_some())
    }

    /// The latest alerts received, with the techniques they name.
    pub async fn recent_alerts(&self, limit: i64) -> StoreResult<Vec<AlertListItem>> {
        let rows: Vec<AlertListItem> = on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT a.source, a.alert_id, a.shape, a.event_at, a.received_at, a.title, a.severity, a.incident_id,
                    '' AS techniques
             FROM alerts a ORDER BY a.received_at DESC, a.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(db)
        .await
        })?;
        Ok(rows)
    }

    pub async fn alert_sources(&self) -> StoreResult<Vec<SourceStats>> {
        Ok(on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT source, COUNT(*) AS alerts, MAX(received_at) AS last_received
             FROM alerts GROUP BY source ORDER BY source",
        )
        .fetch_all(db)
        .await)?)
    }

    /// Alerts received per hour since `since` (RFC 3339), oldest first: (`YYYY-MM-DDTHH`, count).
    pub async fn alerts_per_hour(&self, since: &str) -> StoreResult<Vec<(String, i64)>> {
        Ok(on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT SUBSTR(received_at, 1, 13) AS hour, COUNT(*) FROM alerts
             WHERE received_at >= $1 GROUP BY SUBSTR(received_at, 1, 13) ORDER BY hour",
        )
        .bind(since)
        .fetch_all(db)
        .await)?)
    }

    /// Steps whose tactic is still to be confirmed, newest incidents first.
    pub async fn steps_to_confirm(&self, limit: i64) -> StoreResult<Vec<ToConfirm>> {
        Ok(on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT o.incident_id, i.title AS incident_title, o.id AS step_id, o.technique_id,
                    s.candidate_tactics, s.alert_count
             FROM step_triage s
             JOIN observations o ON o.id = s.step_id
             JOIN incidents i ON i.id = o.incident_id
             WHERE s.candidate_tactics <> ''
             ORDER BY i.updated_at DESC, o.incident_id, o.position
             LIMIT $1",
        )
        .bind(limit)
        .fetch_all(db)
        .await)?)
    }

    /// Per step of an incident: its alert counts, tactics to confirm and latest alerts.
    pub async fn step_alerts(&self, incident_id: &str) -> StoreResult<HashMap<String, StepAlerts>> {
        #[derive(FromRow)]
        struct Row {
            step_id: String,
            alert_count: i64,
            first_seen: Option<String>,
            last_seen: Option<String>,
            candidate_tactics: String,
        }
        let rows: Vec<Row> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT s.step_id, s.alert_count, s.first_seen, s.last_seen, s.candidate_tactics
             FROM step_triage s JOIN observations o ON o.id = s.step_id
             WHERE o.incident_id = $1",
        )
        .bind(incident_id)
        .fetch_all(db)
        .await)?;
        let mut out = HashMap::new();
        for row in rows {
            let recent: Vec<StepAlert> = if row.alert_count > 0 {
                on_pool!(&self.pool, |db| sqlx::query_as(
                    "SELECT a.source, a.alert_id, a.event_at, a.title
                     FROM alert_hits h JOIN alerts a ON a.id = h.alert_id
                     WHERE h.step_id = $1 ORDER BY a.event_at DESC, a.id DESC LIMIT 10",
                )
                .bind(&row.step_id)
                .fetch_all(db)
                .await)?
            } else {
                Vec::new()
            };
            out.insert(
                row.step_id,
                StepAlerts {
                    alert_count: row.alert_count,
                    first_seen: row.first_seen,
                    last_seen: row.last_seen,
                    candidate_tactics: split_tactics(&row.candidate_tactics),
                    recent,
                },
            );
        }
        Ok(out)
    }

    /// Sets the tactic of a step marked "tactic to confirm" to one of its
    /// candidates. Returns the incident's new version.
    pub async fn confirm_step_tactic(
        &self,
        incident_id: &str,
        step_id: &str,
        tactic_id: &str,
    ) -> StoreResult<i64> {
        let (mut tx, _turn) = self.write().await?;
        let row: Option<(String,)> = on_tx!(&mut tx, |ex| {
            sqlx::query_as(
            "SELECT s.candidate_tactics FROM step_triage s JOIN observations o ON o.id = s.step_id
             WHERE s.step_id = $1 AND o.incident_id = $2",
        )
        .bind(step_id)
        .bind(incident_id)
        .fetch_optional(&mut *ex)
        .await
        })?;
        let Some((candidates,)) = row else {
            return Err(super::StoreError::NotFound(format!(
                "step {step_id} of incident {incident_id}"
            )));
        };
        if candidates.is_empty() {
            return Err(super::StoreError::Conflict(
                "the tactic of this step is already confirmed".to_string(),
            ));
        }
        if !split_tactics(&candidates).iter().any(|t| t == tactic_id) {
            return Err(super::StoreError::Conflict(format!(
                "{tactic_id} is not one of this step's candidate tactics ({candidates})"
            )));
        }
        let now = now_rfc3339();
        on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE observations SET tactic_id = $1, updated_at = $2 WHERE id = $3"
        )
        .bind(tactic_id)
        .bind(&now)
        .bind(step_id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE step_triage SET candidate_tactics = '' WHERE step_id = $1"
        )
        .bind(step_id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        record_tactic(&mut tx, incident_id, step_id, &candidates, tactic_id).await?;
        let (version,): (i64,) = on_tx!(&mut tx, |ex| {
            sqlx::query_as(
            "UPDATE incidents SET version = version + 1, updated_at = $1 WHERE id = $2 RETURNING version",
        )
        .bind(&now)
        .bind(incident_id)
        .fetch_one(&mut *ex)
        .await
        })?;
        tx.commit().await?;
        Ok(version)
    }
}

impl AlertTx {
    /// The time this transaction stamps on what it writes.
    pub fn now(&self) -> &str {
        &self.now
    }

    pub async fn rules(&mut self) -> StoreResult<Vec<RuleRow>> {
        Ok(on_tx!(&mut self.tx, |ex| {
            sqlx::query_as(
            "SELECT id, name, key_fields, idle_seconds, position FROM correlation_rules ORDER BY position, name",
        )
        .fetch_all(&mut *ex)
        .await
        })?)
    }

    /// Which of these alert IDs of `source` are stored already.
    pub async fn existing(&mut self, source: &str, ids: &[&str]) -> StoreResult<HashSet<String>> {
        let mut found = HashSet::new();
        for chunk in ids.chunks(self.tx.rows_per_statement(1)) {
            let mut qb: Sql = Sql::new("SELECT alert_id FROM alerts WHERE source = ");
            qb.push_bind(source).push(" AND alert_id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            qb.push(")");
            let rows: Vec<(String,)> =
                on_tx!(&mut self.tx, |ex| qb.query_as()?.fetch_all(&mut *ex).await)?;
            found.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(found)
    }

    pub async fn insert_alerts(&mut self, alerts: &[NewAlert]) -> StoreResult<()> {
        for chunk in alerts.chunks(self.tx.rows_per_statement(13)) {
            let mut qb: Sql = Sql::new(
                "INSERT INTO alerts (id, source, alert_id, shape, event_at, received_at, received_by, title, severity,
                     rule_name, correlation_key, incident_id, raw) ",
            );
            qb.push_values(chunk, |mut b, a| {
                b.push_bind(&a.id)
                    .push_bind(&a.source)
                    .push_bind(&a.alert_id)
                    .push_bind(a.shape)
                    .push_bind(&a.event_at)
                    .push_bind(&self.now)
                    .push_bind(&a.received_by)
                    .push_bind(&a.title)
                    .push_bind(a.severity)
                    .push_bind(&a.rule_name)
                    .push_bind(&a.correlation_key)
                    .push_bind(&a.incident_id)
                    .push_bind(&a.raw);
            });
            on_tx!(&mut self.tx, |ex| qb
                .query()?
                .execute(&mut *ex)
                .await
                .map(Written::from))?;
        }
        Ok(())
    }

    pub async fn insert_hits(&mut self, hits: &[NewHit]) -> StoreResult<()> {
        for chunk in hits.chunks(self.tx.rows_per_statement(7)) {
            let mut qb: Sql = Sql::new(
                "INSERT INTO alert_hits (alert_id, position, raw_id, technique_id, tactic_id, step_id, mapped) ",
            );
            qb.push_values(chunk, |mut b, h| {
                b.push_bind(&h.alert_id)
                    .push_bind(h.position)
                    .push_bind(&h.raw_id)
                    .push_bind(&h.technique_id)
                    .push_bind(&h.tactic_id)
                    .push_bind(&h.step_id)
                    .push_bind(h.mapped);
            });
            on_tx!(&mut self.tx, |ex| qb
                .query()?
                .execute(&mut *ex)
                .await
                .map(Written::from))?;
        }
        Ok(())
    }

    /// Maps a formerly unmapped technique of a stored alert to its step.
    pub async fn map_hit(
        &mut self,
        alert_row: &str,
        position: i64,
        step_id: &str,
        incident_id: &str,
    ) -> StoreResult<()> {
        on_tx!(&mut self.tx, |ex| {
            sqlx::query(
            "UPDATE alert_hits SET mapped = TRUE, step_id = $1 WHERE alert_id = $2 AND position = $3",
        )
        .bind(step_id)
        .bind(alert_row)
        .bind(position)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        on_tx!(&mut self.tx, |ex| sqlx::query(
            "UPDATE alerts SET incident_id = $1 WHERE id = $2 AND incident_id IS NULL"
        )
        .bind(incident_id)
        .bind(alert_row)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        Ok(())
    }

    pub async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
