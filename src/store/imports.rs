//! Bulk-imported incidents, upserted by (source, external ID): a record that
//! matches what is stored changes nothing; one that differs replaces the
//! incident's fields and steps. A batch of records is one transaction.

use super::ids::new_id;
use super::incidents::{
    bind_draft, bump_version, insert_step, same_content, update_fields, write_tags_and_references,
};
use super::{Store, StoreResult, now_rfc3339};
use crate::domain::{IncidentDraft, StepDraft};

/// One validated record, ready to store.
#[derive(Debug, Clone)]
pub struct OriginRecord {
    pub source: String,
    pub external_id: String,
    pub draft: IncidentDraft,
    pub atlas_release: String,
    /// Steps in story order, each with its candidate tactics (space-separated;
    /// non-empty when its tactic is to be confirmed).
    pub steps: Vec<(StepDraft, String)>,
    /// Steps were placed in matrix order from an unordered technique list.
    pub order_unknown: bool,
}

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Created,
    Updated,
    Unchanged,
}

impl Store {
    /// Upserts records in one transaction; with `dry_run` it is rolled back,
    /// so the outcomes say what a real run would do.
    pub async fn upsert_origin_incidents(
        &self,
        records: &[OriginRecord],
        dry_run: bool,
    ) -> StoreResult<Vec<(String, Upsert)>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let now = now_rfc3339();
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let existing: Option<(String, bool)> = sqlx::query_as(
                "SELECT incident_id, order_unknown FROM incident_origins WHERE source = $1 AND external_id = $2",
            )
            .bind(&r.source)
            .bind(&r.external_id)
            .fetch_optional(&mut *tx)
            .await?;
            let drafts: Vec<StepDraft> = r.steps.iter().map(|(s, _)| s.clone()).collect();
            let id = match existing {
                None => {
                    let id = new_id("inc-");
                    bind_draft(
                        sqlx::query(
                            "INSERT INTO incidents (title, summary, kind, severity, status, occurred_at, occurred_precision,
                                 detected_at, detected_precision, resolved_at, resolved_precision, target, actor, reporter,
                                 atlas_release, id, created_at, updated_at, version)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, 1)",
                        ),
                        &r.draft,
                        &r.atlas_release,
                    )
                    .bind(&id)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                    write_tags_and_references(&mut tx, &id, &r.draft).await?;
                    sqlx::query(
                        "INSERT INTO incident_origins (incident_id, source, external_id, order_unknown) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&id)
                    .bind(&r.source)
                    .bind(&r.external_id)
                    .bind(r.order_unknown)
                    .execute(&mut *tx)
                    .await?;
                    self.write_steps(&mut tx, &id, r, &now).await?;
                    out.push((id, Upsert::Created));
                    continue;
                }
                Some((id, order_unknown)) => {
                    let current = self.get_incident(&id).await?;
                    let candidates = self.candidates_of(&id).await?;
                    let wanted: Vec<&str> = r.steps.iter().map(|(_, c)| c.as_str()).collect();
                    if let Some(current) = &current
                        && order_unknown == r.order_unknown
                        && candidates == wanted
                        && same_content(current, &r.draft, &r.atlas_release, &drafts)
                    {
                        out.push((id, Upsert::Unchanged));
                        continue;
                    }
                    id
                }
            };
            bump_version(&mut tx, &id, None).await?;
            update_fields(&mut tx, &id, &r.draft, &r.atlas_release).await?;
            sqlx::query("DELETE FROM observations WHERE incident_id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE incident_origins SET order_unknown = $1 WHERE incident_id = $2")
                .bind(r.order_unknown)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            self.write_steps(&mut tx, &id, r, &now).await?;
            out.push((id, Upsert::Updated));
        }
        if dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(out)
    }

    async fn write_steps(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        id: &str,
        r: &OriginRecord,
        now: &str,
    ) -> StoreResult<()> {
        for (i, (step, candidates)) in r.steps.iter().enumerate() {
            let step_id = insert_step(tx, id, i as i64 + 1, step, now).await?;
            if !candidates.is_empty() {
                sqlx::query(
                    "INSERT INTO step_triage (step_id, alert_count, candidate_tactics) VALUES ($1, 0, $2)",
                )
                .bind(&step_id)
                .bind(candidates)
                .execute(&mut **tx)
                .await?;
            }
        }
        Ok(())
    }

    /// The candidate tactics of an incident's steps, in story order (`""` for a confirmed step).
    async fn candidates_of(&self, incident_id: &str) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT COALESCE(s.candidate_tactics, '') FROM observations o
             LEFT JOIN step_triage s ON s.step_id = o.id
             WHERE o.incident_id = $1 ORDER BY o.position, o.id",
        )
        .bind(incident_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }

    /// The origin of a bulk-imported incident: (source, external ID, order unknown).
    pub async fn incident_origin(
        &self,
        incident_id: &str,
    ) -> StoreResult<Option<(String, String, bool)>> {
        Ok(sqlx::query_as(
            "SELECT source, external_id, order_unknown FROM incident_origins WHERE incident_id = $1",
        )
        .bind(incident_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A fingerprint of every incident, step, tag and reference (for checking
    /// that a re-run changed nothing).
    pub async fn data_fingerprint(&self) -> StoreResult<String> {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let incidents: Vec<(String, String, String, String, i64, String)> = sqlx::query_as(
            "SELECT id, title, severity, status, version, updated_at FROM incidents ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in incidents {
            h.update(format!("{row:?}\n"));
        }
        let steps: Vec<(String, String, i64, String, String, String)> = sqlx::query_as(
            "SELECT id, incident_id, position, tactic_id, technique_id, updated_at FROM observations ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in steps {
            h.update(format!("{row:?}\n"));
        }
        let tags: Vec<(String, String)> =
            sqlx::query_as("SELECT incident_id, tag FROM incident_tags ORDER BY incident_id, tag")
                .fetch_all(&self.pool)
                .await?;
        for row in tags {
            h.update(format!("{row:?}\n"));
        }
        Ok(hex::encode(h.finalize()))
    }
}
