//! The incidents and steps that alerts feed, inside an ingestion's
//! [`AlertTx`]: the open incidents of correlation keys and their steps read
//! (many keys in one statement), incidents opened and touched, and steps
//! written in a few multi-row statements.

use crate::store::backend::{Sql, Written, on_tx};
use sqlx::FromRow;

use super::{AlertTx, CorrelatedIncident, NewStep, StepState, StoreResult};

impl AlertTx {
    /// Open incidents correlated under (rule, key), latest first.
    pub async fn open_incidents(
        &mut self,
        rule_name: &str,
        key: &str,
    ) -> StoreResult<Vec<CorrelatedIncident>> {
        let found = self.open_incidents_of(&[(rule_name, key)]).await?;
        Ok(found.into_iter().map(|(_, _, c)| c).collect())
    }

    /// The open incidents of many (rule, key) slots at once, as (rule, key,
    /// incident), each slot's latest first: one statement for a request's
    /// slots instead of one per slot.
    pub async fn open_incidents_of(
        &mut self,
        slots: &[(&str, &str)],
    ) -> StoreResult<Vec<(String, String, CorrelatedIncident)>> {
        #[derive(FromRow)]
        struct Row {
            rule_name: String,
            correlation_key: String,
            #[sqlx(flatten)]
            incident: CorrelatedIncident,
        }
        let mut out = Vec::new();
        for chunk in slots.chunks(self.tx.rows_per_statement(2)) {
            // Driven from the slots (CROSS JOIN keeps SQLite's order): the
            // planner would otherwise walk every open incident.
            let mut qb: Sql = Sql::new("WITH slots (rule_name, correlation_key) AS (VALUES ");
            let mut sep = qb.separated(", ");
            for (rule, key) in chunk {
                sep.push("(")
                    .push_bind_unseparated(*rule)
                    .push_unseparated(", ")
                    .push_bind_unseparated(*key)
                    .push_unseparated(")");
            }
            qb.push(
                ") SELECT c.rule_name, c.correlation_key, c.incident_id, c.first_event_at, c.last_event_at,
                        c.max_severity
                 FROM slots s CROSS JOIN alert_correlations c JOIN incidents i ON i.id = c.incident_id
                 WHERE c.rule_name = s.rule_name AND c.correlation_key = s.correlation_key
                   AND i.status = 'open'
                 ORDER BY c.rule_name, c.correlation_key, c.last_event_at DESC",
            );
            let rows: Vec<Row> =
                on_tx!(&mut self.tx, |ex| qb.query_as()?.fetch_all(&mut *ex).await)?;
            out.extend(
                rows.into_iter()
                    .map(|r| (r.rule_name, r.correlation_key, r.incident)),
            );
        }
        Ok(out)
    }

    pub async fn incident_steps(&mut self, incident_id: &str) -> StoreResult<Vec<StepState>> {
        let found = self.steps_of(&[incident_id]).await?;
        Ok(found.into_iter().map(|(_, s)| s).collect())
    }

    /// The steps of many incidents at once, as (incident, step), each
    /// incident's in story order.
    pub async fn steps_of(
        &mut self,
        incident_ids: &[&str],
    ) -> StoreResult<Vec<(String, StepState)>> {
        #[derive(FromRow)]
        struct Row {
            incident_id: String,
            #[sqlx(flatten)]
            step: StepState,
        }
        let mut out = Vec::new();
        for chunk in incident_ids.chunks(self.tx.rows_per_statement(1)) {
            let mut qb: Sql = Sql::new(
                "SELECT o.incident_id, o.id, o.technique_id, o.tactic_id, o.source,
                        COALESCE(s.alert_count, 0) AS alert_count, s.first_seen, s.last_seen,
                        COALESCE(s.alert_sample, '') AS alert_sample,
                        COALESCE(s.candidate_tactics, '') AS candidate_tactics
                 FROM observations o LEFT JOIN step_triage s ON s.step_id = o.id
                 WHERE o.incident_id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY o.incident_id, o.position, o.id");
            let rows: Vec<Row> =
                on_tx!(&mut self.tx, |ex| qb.query_as()?.fetch_all(&mut *ex).await)?;
            out.extend(rows.into_iter().map(|r| (r.incident_id, r.step)));
        }
        Ok(out)
    }

    /// Opens an incident for a correlation key: kind incident, status open.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_incident(
        &mut self,
        id: &str,
        title: &str,
        severity: &str,
        occurred_at: &str,
        atlas_release: &str,
        rule_name: &str,
        key: &str,
        first_event_at: &str,
        last_event_at: &str,
    ) -> StoreResult<()> {
        on_tx!(&mut self.tx, |ex| {
            sqlx::query(
            "INSERT INTO incidents (id, title, summary, kind, severity, status, occurred_at, occurred_precision,
                 target, atlas_release, created_at, updated_at, version)
             VALUES ($1, $2, $3, 'incident', $4, 'open', $5, 'time', $6, $7, $8, $8, 1)",
        )
        .bind(id)
        .bind(title)
        .bind(format!(
            "Opened by alert correlation (rule \"{rule_name}\", key {key})."
        ))
        .bind(severity)
        .bind(occurred_at)
        .bind(key)
        .bind(atlas_release)
        .bind(&self.now)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        on_tx!(&mut self.tx, |ex| {
            sqlx::query(
            "INSERT INTO alert_correlations (incident_id, rule_name, correlation_key, first_event_at, last_event_at, max_severity)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(rule_name)
        .bind(key)
        .bind(first_event_at)
        .bind(last_event_at)
        .bind(severity)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        super::webhooks::enqueue_created(&mut self.tx, id, "alert correlation").await
    }

    /// Records the new event spans of correlated incidents and bumps their
    /// versions, two statements for a whole group; raises each severity
    /// where an alert brought a higher one than any before (`raise_to`).
    pub async fn touch_incidents(&mut self, touches: &[IncidentTouch<'_>]) -> StoreResult<()> {
        // `UPDATE … FROM (VALUES …)`: SQLite (3.33+) and PostgreSQL both name
        // the VALUES columns column1, column2, …
        for chunk in touches.chunks(self.tx.rows_per_statement(4)) {
            let mut qb: Sql = Sql::new(
                "UPDATE alert_correlations SET first_event_at = v.column2, last_event_at = v.column3,
                     max_severity = v.column4 FROM (",
            );
            qb.push_values(chunk, |mut b, t| {
                b.push_bind(t.id.to_string())
                    .push_bind(t.first_event_at.to_string())
                    .push_bind(t.last_event_at.to_string())
                    .push_bind(t.max_severity.to_string());
            });
            qb.push(") AS v WHERE alert_correlations.incident_id = v.column1");
            on_tx!(&mut self.tx, |ex| qb
                .query()?
                .execute(&mut *ex)
                .await
                .map(Written::from))?;
            let mut qb: Sql = Sql::new("UPDATE incidents SET version = version + 1, updated_at = ");
            qb.push_bind(self.now.clone());
            qb.push(", severity = COALESCE(v.column2, incidents.severity) FROM (");
            qb.push_values(chunk, |mut b, t| {
                b.push_bind(t.id.to_string())
                    .push_bind(t.raise_to.map(str::to_string));
            });
            qb.push(") AS v WHERE incidents.id = v.column1");
            on_tx!(&mut self.tx, |ex| qb
                .query()?
                .execute(&mut *ex)
                .await
                .map(Written::from))?;
        }
        Ok(())
    }

    /// Moves an incident's earliest event back (a late alert came in).
    pub async fn set_occurred(&mut self, id: &str, occurred_at: &str) -> StoreResult<()> {
        on_tx!(&mut self.tx, |ex| sqlx::query(
            "UPDATE incidents SET occurred_at = $1, occurred_precision = 'time'
             WHERE id = $2 AND (occurred_at IS NULL OR occurred_at > $1)",
        )
        .bind(occurred_at)
        .bind(id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        Ok(())
    }

    /// Writes the steps of a flush in a few multi-row statements: the new
    /// ones inserted, every changed one's counts upserted, and for existing
    /// alert-fed steps the evidence and first sighting updated. Of those,
    /// `resampled` are the steps whose alert sample grew: only their
    /// incidents' search documents change (migration 0025).
    pub async fn save_steps(
        &mut self,
        new: &[NewStep<'_>],
        changed: &[&StepState],
        evidence: &[(&str, String, &str)],
        resampled: &[&str],
    ) -> StoreResult<()> {
        // Each incident's search document once, not once per step written.
        let incidents: Vec<&str> = new.iter().map(|n| n.incident_id).collect();
        let touched = super::search::defer_many(&mut self.tx, &incidents, resampled).await?;
        for chunk in new.chunks(self.tx.rows_per_statement(13)) {
            let mut qb: Sql = Sql::new(
                "INSERT INTO observations (id, incident_id, position, tactic_id, technique_id, observed_at, observed_precision,
                     description, evidence, outcome, source, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, n| {
                b.push_bind(n.id)
                    .push_bind(n.incident_id)
                    .push_bind(n.position)
                    .push_bind(n.tactic_id)
                    .push_bind(n.technique_id)
                    .push_bind(n.observed_at)
                    .push_bind("time")
                    .push_bind("")
                    .push_bind(n.evidence.as_str())
                    .push_bind("detected")
                    .push_bind("alert")
                    .push_bind(self.now.as_str())
                    .push_bind(self.now.as_str());
            });
            on_tx!(&mut self.tx, |ex| qb
                .query()?
                .execute(&mut *ex)
                .await
                .map(Written::from))?;
        }
        for chunk in changed.chunks(self.tx.rows_per_statement(6)) {
            let mut qb: Sql = Sql::new(
                "INSERT INTO step_triage (step_id, alert_count, first_seen, last_seen, alert_sample, candidate_tactics) ",
            );
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(s.id.as_str())
                    .push_bind(s.alert_count)
                    .push_bind(s.first_seen.as_deref())
                    .push_bind(s.last_seen.as_deref())
                    .push_bind(s.alert_sample.as_str())
                    .push_bind(s.candidate_tactics.as_str());
            });
            qb.push(
                " ON CONFLICT (step_id) DO UPDATE SET alert_count = excluded.alert_count,
                  first_seen = excluded.first_seen, last_seen = excluded.last_seen,
                  alert_sample = excluded.alert_sample",
            );
            on_tx!(&mut self.tx, |ex| qb
                .query()?
                .execute(&mut *ex)
                .await
                .map(Written::from))?;
        }
        for chunk in evidence.chunks(self.tx.rows_per_statement(6)) {
            let mut qb: Sql = Sql::new("UPDATE observations SET evidence = CASE id");
            for (id, text, _) in chunk {
                qb.push(" WHEN ")
                    .push_bind(*id)
                    .push(" THEN ")
                    .push_bind(text.as_str());
            }
            qb.push(" END, observed_at = CASE id");
            for (id, _, first) in chunk {
                qb.push(" WHEN ")
                    .push_bind(*id)
                    .push(" THEN ")
                    .push_bind(*first);
            }
            qb.push(" END, observed_precision = 'time', updated_at = ")
                .push_bind(self.now.as_str())
                .push(" WHERE id IN (");
            let mut sep = qb.separated(", ");
            for (id, _, _) in chunk {
                sep.push_bind(*id);
            }
            qb.push(")");
            on_tx!(&mut self.tx, |ex| qb
                .query()?
                .execute(&mut *ex)
                .await
                .map(Written::from))?;
        }
        match touched {
            Some(touched) => super::search::reindex(&mut self.tx, &touched).await,
            None => Ok(()),
        }
    }

    /// Puts an incident's steps in event-time order (undated steps keep their
    /// place relative to each other, after the dated ones).
    pub async fn order_by_time(&mut self, incident_id: &str) -> StoreResult<()> {
        let rows: Vec<(String, i64)> = on_tx!(&mut self.tx, |ex| sqlx::query_as(
            "SELECT id, position FROM observations WHERE incident_id = $1
             ORDER BY (observed_at IS NULL), observed_at, position, id",
        )
        .bind(incident_id)
        .fetch_all(&mut *ex)
        .await)?;
        for (i, (id, position)) in rows.iter().enumerate() {
            let want = i as i64 + 1;
            if *position != want {
                on_tx!(&mut self.tx, |ex| sqlx::query(
                    "UPDATE observations SET position = $1 WHERE id = $2"
                )
                .bind(want)
                .bind(id)
                .execute(&mut *ex)
                .await
                .map(Written::from))?;
            }
        }
        Ok(())
    }
}

/// A correlated incident's new event span, for [`AlertTx::touch_incidents`].
pub struct IncidentTouch<'a> {
    pub id: &'a str,
    pub first_event_at: &'a str,
    pub last_event_at: &'a str,
    pub max_severity: &'a str,
    /// The higher severity an alert brought, if any.
    pub raise_to: Option<&'a str>,
}
