//! Upgrading incidents to a newer ATLAS release: the successor overrides, the
//! incidents an upgrade would move, applying an upgrade (one transaction,
//! audited in it), and the stored reports, step history and review flags.

use crate::store::backend::{Written, on_pool, on_tx};
use sqlx::FromRow;

use super::audit::append_audit;
use super::{AuditEvent, Store, StoreError, StoreResult, new_id, now_rfc3339};
use crate::atlas::successors::Successor;

/// A step as an upgrade sees it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CandidateStep {
    pub id: String,
    pub incident_id: String,
    pub position: i64,
    pub tactic_id: String,
    pub technique_id: String,
}

/// An incident as an upgrade sees it, with its steps in story order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeCandidate {
    pub id: String,
    pub title: String,
    pub atlas_release: String,
    pub version: i64,
    pub steps: Vec<CandidateStep>,
}

/// What an applied upgrade writes.
#[derive(Debug, Clone)]
pub struct UpgradeWrite {
    pub id: String,
    pub actor: String,
    pub to_release: String,
    pub incident_count: i64,
    pub step_count: i64,
    pub flagged: i64,
    /// One line, for lists.
    pub summary: String,
    /// The whole report as JSON.
    pub report: String,
    pub incidents: Vec<IncidentUpgrade>,
}

#[derive(Debug, Clone)]
pub struct IncidentUpgrade {
    pub id: String,
    pub from_release: String,
    /// The version the report was made from; another one is a conflict.
    pub version: i64,
    /// Steps that change or are flagged (unchanged steps are not listed).
    pub steps: Vec<StepUpgrade>,
}

#[derive(Debug, Clone)]
pub struct StepUpgrade {
    pub step_id: String,
    pub tactic_id: String,
    pub technique_id: String,
    /// Equal to `technique_id` unless the step is remapped to a successor.
    pub new_technique_id: String,
    /// `renamed`, `tactic_mismatch`, `remapped`, `retired`.
    pub change: &'static str,
    pub note: String,
    pub review: Option<ReviewWrite>,
}

#[derive(Debug, Clone)]
pub struct ReviewWrite {
    pub reason: &'static str,
    pub message: String,
    pub catalog_release: Option<String>,
}

/// A stored upgrade (without its report).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct UpgradeRecord {
    pub id: String,
    pub at: String,
    pub actor: String,
    pub to_release: String,
    pub incidents: i64,
    pub steps: i64,
    pub flagged: i64,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct StepHistoryEntry {
    pub step_id: String,
    pub upgrade_id: String,
    pub at: String,
    pub change: String,
    pub from_release: String,
    pub to_release: String,
    pub old_tactic_id: String,
    pub old_technique_id: String,
    pub new_technique_id: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct StepReview {
    pub step_id: String,
    pub upgrade_id: String,
    /// The step's tactic and technique when it was flagged.
    pub tactic_id: String,
    pub technique_id: String,
    pub reason: String,
    pub message: String,
    pub catalog_release: Option<String>,
    pub created_at: String,
}

#[derive(FromRow)]
struct OverrideRow {
    technique_id: String,
    successor_id: Option<String>,
    release: String,
    note: String,
}

#[derive(FromRow)]
struct IncidentRow {
    id: String,
    title: String,
    atlas_release: String,
    version: i64,
}

impl Store {
    /// The admin's successor overrides, by technique ID.
    pub async fn successor_overrides(&self) -> StoreResult<Vec<Successor>> {
        let rows: Vec<OverrideRow> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT technique_id, successor_id, release, note FROM atlas_successor_overrides
             ORDER BY technique_id",
        )
        .fetch_all(db)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|r| Successor {
                technique: r.technique_id,
                successor: r.successor_id,
                release: r.release,
                note: r.note,
            })
            .collect())
    }

    /// Sets (or replaces) an override, audited in the same transaction.
    pub async fn set_successor_override(
        &self,
        entry: &Successor,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let (mut tx, _turn) = self.write().await?;
        on_tx!(&mut tx, |ex| sqlx::query(
            "DELETE FROM atlas_successor_overrides WHERE technique_id = $1"
        )
        .bind(&entry.technique)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        on_tx!(&mut tx, |ex| {
            sqlx::query(
            "INSERT INTO atlas_successor_overrides (technique_id, successor_id, release, note, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&entry.technique)
        .bind(&entry.successor)
        .bind(&entry.release)
        .bind(&entry.note)
        .bind(now_rfc3339())
        .bind(&audit.actor)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes an override (the shipped entry, if any, applies again).
    pub async fn clear_successor_override(
        &self,
        technique: &str,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let (mut tx, _turn) = self.write().await?;
        let done = on_tx!(&mut tx, |ex| sqlx::query(
            "DELETE FROM atlas_successor_overrides WHERE technique_id = $1"
        )
        .bind(technique)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "a successor override for {technique}"
            )));
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every incident not mapped to `release`, with its steps; the caller
    /// keeps those on an older release.
    pub async fn upgrade_candidates(&self, release: &str) -> StoreResult<Vec<UpgradeCandidate>> {
        let incidents: Vec<IncidentRow> = on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT id, title, atlas_release, version FROM incidents WHERE atlas_release <> $1 ORDER BY id",
        )
        .bind(release)
        .fetch_all(db)
        .await
        })?;
        let steps: Vec<CandidateStep> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT o.id, o.incident_id, o.position, o.tactic_id, o.technique_id
             FROM observations o JOIN incidents i ON i.id = o.incident_id
             WHERE i.atlas_release <> $1 ORDER BY o.incident_id, o.position, o.id",
        )
        .bind(release)
        .fetch_all(db)
        .await)?;
        let mut by_incident: std::collections::HashMap<String, Vec<CandidateStep>> =
            std::collections::HashMap::new();
        for s in steps {
            by_incident
                .entry(s.incident_id.clone())
                .or_default()
                .push(s);
        }
        Ok(incidents
            .into_iter()
            .map(|i| UpgradeCandidate {
                steps: by_incident.remove(&i.id).unwrap_or_default(),
                id: i.id,
                title: i.title,
                atlas_release: i.atlas_release,
                version: i.version,
            })
            .collect())
    }

    /// Applies an upgrade in one transaction: the incidents move to the new
    /// release, remapped steps get their successor, every changed step gets a
    /// history row, flagged steps a review, and the report and the audit
    /// entry are stored. An incident changed since the report was made (its
    /// version or a step differs) aborts the whole upgrade with a conflict.
    /// `progress` is told how many incidents are written so far.
    pub async fn apply_upgrade(
        &self,
        w: &UpgradeWrite,
        audit: &AuditEvent,
        mut progress: impl FnMut(usize),
    ) -> StoreResult<()> {
        let now = now_rfc3339();
        let (mut tx, _turn) = self.write().await?;
        on_tx!(&mut tx, |ex| {
            sqlx::query(
            "INSERT INTO atlas_upgrades (id, at, actor, to_release, incidents, steps, flagged, summary, report)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&w.id)
        .bind(&now)
        .bind(&w.actor)
        .bind(&w.to_release)
        .bind(w.incident_count)
        .bind(w.step_count)
        .bind(w.flagged)
        .bind(&w.summary)
        .bind(&w.report)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        for (n, inc) in w.incidents.iter().enumerate() {
            let done = on_tx!(&mut tx, |ex| {
                sqlx::query(
                "UPDATE incidents SET atlas_release = $1, version = version + 1, updated_at = $2
                 WHERE id = $3 AND version = $4 AND atlas_release = $5",
            )
            .bind(&w.to_release)
            .bind(&now)
            .bind(&inc.id)
            .bind(inc.version)
            .bind(&inc.from_release)
            .execute(&mut *ex)
            .await.map(Written::from)
            })?;
            if done.rows_affected() == 0 {
                return Err(changed_since(&inc.id));
            }
            on_tx!(&mut tx, |ex| sqlx::query(
                "DELETE FROM step_reviews WHERE incident_id = $1"
            )
            .bind(&inc.id)
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
            for s in &inc.steps {
                if s.new_technique_id != s.technique_id {
                    let done = on_tx!(&mut tx, |ex| {
                        sqlx::query(
                        "UPDATE observations SET technique_id = $1, updated_at = $2
                         WHERE id = $3 AND incident_id = $4 AND technique_id = $5 AND tactic_id = $6",
                    )
                    .bind(&s.new_technique_id)
                    .bind(&now)
                    .bind(&s.step_id)
                    .bind(&inc.id)
                    .bind(&s.technique_id)
                    .bind(&s.tactic_id)
                    .execute(&mut *ex)
                    .await.map(Written::from)
                    })?;
                    if done.rows_affected() == 0 {
                        return Err(changed_since(&inc.id));
                    }
                }
                on_tx!(&mut tx, |ex| {
                    sqlx::query(
                    "INSERT INTO step_history (id, step_id, incident_id, upgrade_id, at, change, from_release,
                         to_release, old_tactic_id, old_technique_id, new_technique_id, note)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(new_id("hist-"))
                .bind(&s.step_id)
                .bind(&inc.id)
                .bind(&w.id)
                .bind(&now)
                .bind(s.change)
                .bind(&inc.from_release)
                .bind(&w.to_release)
                .bind(&s.tactic_id)
                .bind(&s.technique_id)
                .bind(&s.new_technique_id)
                .bind(&s.note)
                .execute(&mut *ex)
                .await.map(Written::from)
                })?;
                if let Some(r) = &s.review {
                    on_tx!(&mut tx, |ex| {
                        sqlx::query(
                        "INSERT INTO step_reviews (step_id, incident_id, upgrade_id, tactic_id, technique_id, reason,
                             message, catalog_release, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&s.step_id)
                    .bind(&inc.id)
                    .bind(&w.id)
                    .bind(&s.tactic_id)
                    .bind(&s.new_technique_id)
                    .bind(r.reason)
                    .bind(&r.message)
                    .bind(&r.catalog_release)
                    .bind(&now)
                    .execute(&mut *ex)
                    .await.map(Written::from)
                    })?;
                }
            }
            super::teamwork::record_event(
                &mut tx,
                &inc.id,
                &w.actor,
                crate::domain::teamwork::EventKind::Upgraded,
                "atlas_release",
                &inc.from_release,
                &w.to_release,
            )
            .await?;
            progress(n + 1);
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applied upgrades, newest first.
    pub async fn list_upgrades(&self) -> StoreResult<Vec<UpgradeRecord>> {
        Ok(on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT id, at, actor, to_release, incidents, steps, flagged, summary FROM atlas_upgrades
             ORDER BY at DESC, id DESC",
        )
        .fetch_all(db)
        .await
        })?)
    }

    /// One applied upgrade with its report (JSON).
    pub async fn get_upgrade(&self, id: &str) -> StoreResult<Option<(UpgradeRecord, String)>> {
        let record: Option<UpgradeRecord> = on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT id, at, actor, to_release, incidents, steps, flagged, summary FROM atlas_upgrades
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(db)
        .await
        })?;
        let Some(record) = record else {
            return Ok(None);
        };
        let (report,): (String,) = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT report FROM atlas_upgrades WHERE id = $1"
        )
        .bind(id)
        .fetch_one(db)
        .await)?;
        Ok(Some((record, report)))
    }

    /// What upgrades did to an incident's steps, oldest first.
    pub async fn step_history(&self, incident_id: &str) -> StoreResult<Vec<StepHistoryEntry>> {
        Ok(on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT step_id, upgrade_id, at, change, from_release, to_release, old_tactic_id, old_technique_id,
                    new_technique_id, note
             FROM step_history WHERE incident_id = $1 ORDER BY at, id",
        )
        .bind(incident_id)
        .fetch_all(db)
        .await
        })?)
    }

    /// An incident's steps flagged for review by the last upgrade (the caller
    /// drops flags of steps edited since: their tactic or technique differs).
    pub async fn step_reviews(&self, incident_id: &str) -> StoreResult<Vec<StepReview>> {
        Ok(on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT step_id, upgrade_id, tactic_id, technique_id, reason, message, catalog_release, created_at
             FROM step_reviews WHERE incident_id = $1 ORDER BY step_id",
        )
        .bind(incident_id)
        .fetch_all(db)
        .await
        })?)
    }
}

fn changed_since(incident: &str) -> StoreError {
    StoreError::Conflict(format!(
        "incident {incident} was changed after the upgrade report was made; nothing was upgraded — run the preview again"
    ))
}
