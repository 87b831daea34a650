//! Bulk-imported incidents, upserted by (source, external ID): a record that
//! matches what was imported last changes nothing; one that differs replaces
//! the incident's fields and steps. A batch of records is one transaction,
//! and new records are written with multi-row INSERTs.

use crate::store::backend::{Sql, Tx, Written, on_pool, on_tx};

use super::ids::new_id;
use super::incidents::{bump_version, insert_step, update_fields};
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

impl OriginRecord {
    /// A hash of everything the record sets, to tell an unchanged re-import.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let text = format!(
            "{:?}|{}|{:?}|{}",
            self.draft, self.atlas_release, self.steps, self.order_unknown
        );
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}

fn time_columns(t: &Option<crate::domain::FuzzyTime>) -> (Option<String>, Option<&'static str>) {
    match t {
        Some(t) => (Some(t.rfc3339()), Some(t.precision.as_str())),
        None => (None, None),
    }
}

/// Stored origins: (source, external ID) -> (incident ID, content hash).
type Origins = std::collections::HashMap<(String, String), (String, String)>;

impl Store {
    /// Upserts records in one transaction; with `dry_run` it is rolled back,
    /// so the outcomes say what a real run would do. A record whose content
    /// hash matches the one last imported writes nothing.
    pub async fn upsert_origin_incidents(
        &self,
        records: &[OriginRecord],
        dry_run: bool,
    ) -> StoreResult<Vec<(String, Upsert)>> {
        let (mut tx, _turn) = self.write().await?;
        tx.roomy_cache().await?;
        // Each written incident's search document once, at the end.
        super::search::defer(&mut tx).await?;
        let now = now_rfc3339();
        // What is stored already: a query per source and IN list.
        let mut existing = Origins::new();
        let mut by_source: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for r in records {
            by_source.entry(&r.source).or_default().push(&r.external_id);
        }
        for (source, ids) in by_source {
            for chunk in ids.chunks(tx.rows_per_statement(1)) {
                let mut qb: Sql = Sql::new(
                    "SELECT external_id, incident_id, content_hash FROM incident_origins WHERE source = ",
                );
                qb.push_bind(source).push(" AND external_id IN (");
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(")");
                let rows: Vec<(String, String, String)> =
                    on_tx!(&mut tx, |ex| qb.query_as()?.fetch_all(&mut *ex).await)?;
                for (external_id, incident_id, hash) in rows {
                    existing.insert((source.to_string(), external_id), (incident_id, hash));
                }
            }
        }
        let mut out = Vec::with_capacity(records.len());
        let mut fresh: Vec<(String, &OriginRecord, String)> = Vec::new();
        for r in records {
            let hash = r.content_hash();
            match existing.get(&(r.source.clone(), r.external_id.clone())) {
                None => {
                    let id = new_id("inc-");
                    out.push((id.clone(), Upsert::Created));
                    fresh.push((id, r, hash));
                }
                Some((id, stored)) if *stored == hash => {
                    out.push((id.clone(), Upsert::Unchanged));
                }
                Some((id, _)) => {
                    bump_version(&mut tx, id, None).await?;
                    update_fields(&mut tx, id, &r.draft, &r.atlas_release).await?;
                    on_tx!(&mut tx, |ex| sqlx::query(
                        "DELETE FROM observations WHERE incident_id = $1"
                    )
                    .bind(id)
                    .execute(&mut *ex)
                    .await
                    .map(Written::from))?;
                    on_tx!(&mut tx, |ex| {
                        sqlx::query(
                        "UPDATE incident_origins SET order_unknown = $1, content_hash = $2 WHERE incident_id = $3",
                    )
                    .bind(r.order_unknown)
                    .bind(&hash)
                    .bind(id)
                    .execute(&mut *ex)
                    .await.map(Written::from)
                    })?;
                    for (i, (step, candidates)) in r.steps.iter().enumerate() {
                        let step_id = insert_step(&mut tx, id, i as i64 + 1, step, &now).await?;
                        if !candidates.is_empty() {
                            on_tx!(&mut tx, |ex| {
                                sqlx::query(
                                "INSERT INTO step_triage (step_id, alert_count, candidate_tactics) VALUES ($1, 0, $2)",
                            )
                            .bind(&step_id)
                            .bind(candidates)
                            .execute(&mut *ex)
                            .await.map(Written::from)
                            })?;
                        }
                    }
                    out.push((id.clone(), Upsert::Updated));
                }
            }
        }
        insert_fresh(&mut tx, &fresh, &now).await?;
        let written: Vec<String> = out
            .iter()
            .filter(|(_, o)| *o != Upsert::Unchanged)
            .map(|(id, _)| id.clone())
            .collect();
        super::search::reindex(&mut tx, &written).await?;
        if dry_run {
            tx.rollback_roomy().await?;
        } else {
            tx.commit_roomy().await?;
        }
        Ok(out)
    }

    /// The origin of a bulk-imported incident: (source, external ID, order unknown).
    pub async fn incident_origin(
        &self,
        incident_id: &str,
    ) -> StoreResult<Option<(String, String, bool)>> {
        Ok(on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT source, external_id, order_unknown FROM incident_origins WHERE incident_id = $1",
        )
        .bind(incident_id)
        .fetch_optional(db)
        .await
        })?)
    }

    /// A fingerprint of every incident, step, tag and reference (for checking
    /// that a re-run changed nothing).
    pub async fn data_fingerprint(&self) -> StoreResult<String> {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let incidents: Vec<(String, String, String, String, i64, String)> =
            on_pool!(&self.pool, |db| {
                sqlx::query_as(
            "SELECT id, title, severity, status, version, updated_at FROM incidents ORDER BY id",
        )
        .fetch_all(db)
        .await
            })?;
        for row in incidents {
            h.update(format!("{row:?}\n"));
        }
        let steps: Vec<(String, String, i64, String, String, String)> = on_pool!(
            &self.pool,
            |db| {
                sqlx::query_as(
            "SELECT id, incident_id, position, tactic_id, technique_id, updated_at FROM observations ORDER BY id",
        )
        .fetch_all(db)
        .await
            }
        )?;
        for row in steps {
            h.update(format!("{row:?}\n"));
        }
        let tags: Vec<(String, String)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT incident_id, tag FROM incident_tags ORDER BY incident_id, tag"
        )
        .fetch_all(db)
        .await)?;
        for row in tags {
            h.update(format!("{row:?}\n"));
        }
        Ok(hex::encode(h.finalize()))
    }
}

/// Writes new records with multi-row INSERTs: incidents, origins, tags,
/// references, steps and their tactics to confirm.
async fn insert_fresh(
    tx: &mut Tx,
    fresh: &[(String, &OriginRecord, String)],
    now: &str,
) -> StoreResult<()> {
    for chunk in fresh.chunks(tx.rows_per_statement(19)) {
        let mut qb: Sql = Sql::new(
            "INSERT INTO incidents (id, title, summary, kind, severity, status, occurred_at, occurred_precision,
                 detected_at, detected_precision, resolved_at, resolved_precision, target, actor, reporter,
                 atlas_release, created_at, updated_at, version) ",
        );
        qb.push_values(chunk, |mut b, (id, r, _)| {
            let d = &r.draft;
            let (occ, occ_p) = time_columns(&d.occurred);
            let (det, det_p) = time_columns(&d.detected);
            let (res, res_p) = time_columns(&d.resolved);
            b.push_bind(id.as_str())
                .push_bind(d.title.as_str())
                .push_bind(d.summary.as_str())
                .push_bind(d.kind.as_str())
                .push_bind(d.severity.as_str())
                .push_bind(d.status.as_str())
                .push_bind(occ)
                .push_bind(occ_p)
                .push_bind(det)
                .push_bind(det_p)
                .push_bind(res)
                .push_bind(res_p)
                .push_bind(d.target.as_str())
                .push_bind(d.actor.as_str())
                .push_bind(d.reporter.as_str())
                .push_bind(r.atlas_release.as_str())
                .push_bind(now)
                .push_bind(now)
                .push_bind(1_i64);
        });
        on_tx!(&mut *tx, |ex| qb
            .query()?
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
    }
    // In statements of their own size: with the incidents' 19 columns they
    // went 6 to a statement, a fifth of the import's statements.
    for chunk in fresh.chunks(tx.rows_per_statement(5)) {
        let mut qb: Sql = Sql::new(
            "INSERT INTO incident_origins (incident_id, source, external_id, order_unknown, content_hash) ",
        );
        qb.push_values(chunk, |mut b, (id, r, hash)| {
            b.push_bind(id.as_str())
                .push_bind(r.source.as_str())
                .push_bind(r.external_id.as_str())
                .push_bind(r.order_unknown)
                .push_bind(hash.as_str());
        });
        on_tx!(&mut *tx, |ex| qb
            .query()?
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
    }

    let tags: Vec<(&str, &str)> = fresh
        .iter()
        .flat_map(|(id, r, _)| r.draft.tags.iter().map(move |t| (id.as_str(), t.as_str())))
        .collect();
    for chunk in tags.chunks(tx.rows_per_statement(2)) {
        let mut qb: Sql = Sql::new("INSERT INTO incident_tags (incident_id, tag) ");
        qb.push_values(chunk, |mut b, (id, tag)| {
            b.push_bind(*id).push_bind(*tag);
        });
        on_tx!(&mut *tx, |ex| qb
            .query()?
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
    }
    let refs: Vec<(&str, i64, &crate::domain::Reference)> = fresh
        .iter()
        .flat_map(|(id, r, _)| {
            r.draft
                .references
                .iter()
                .enumerate()
                .map(move |(i, x)| (id.as_str(), i as i64, x))
        })
        .collect();
    for chunk in refs.chunks(tx.rows_per_statement(4)) {
        let mut qb: Sql =
            Sql::new("INSERT INTO incident_references (incident_id, position, title, url) ");
        qb.push_values(chunk, |mut b, (id, i, r)| {
            b.push_bind(*id)
                .push_bind(*i)
                .push_bind(r.title.as_str())
                .push_bind(r.url.as_str());
        });
        on_tx!(&mut *tx, |ex| qb
            .query()?
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
    }

    struct StepRow<'a> {
        id: String,
        incident_id: &'a str,
        position: i64,
        step: &'a StepDraft,
        candidates: &'a str,
    }
    let steps: Vec<StepRow> = fresh
        .iter()
        .flat_map(|(id, r, _)| {
            r.steps
                .iter()
                .enumerate()
                .map(move |(i, (step, c))| StepRow {
                    id: new_id("step-"),
                    incident_id: id.as_str(),
                    position: i as i64 + 1,
                    step,
                    candidates: c.as_str(),
                })
        })
        .collect();
    for chunk in steps.chunks(tx.rows_per_statement(14)) {
        let mut qb: Sql = Sql::new(
            "INSERT INTO observations (id, incident_id, position, tactic_id, technique_id, observed_at, observed_precision,
                 description, evidence, confidence, outcome, source, created_at, updated_at) ",
        );
        qb.push_values(chunk, |mut b, s| {
            let (obs, obs_p) = time_columns(&s.step.observed);
            b.push_bind(s.id.as_str())
                .push_bind(s.incident_id)
                .push_bind(s.position)
                .push_bind(s.step.tactic_id.as_str())
                .push_bind(s.step.technique_id.as_str())
                .push_bind(obs)
                .push_bind(obs_p)
                .push_bind(s.step.description.as_str())
                .push_bind(s.step.evidence.as_str())
                .push_bind(s.step.confidence)
                .push_bind(s.step.outcome.as_str())
                .push_bind(s.step.source.as_str())
                .push_bind(now)
                .push_bind(now);
        });
        on_tx!(&mut *tx, |ex| qb
            .query()?
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
    }
    let triage: Vec<&StepRow> = steps.iter().filter(|s| !s.candidates.is_empty()).collect();
    for chunk in triage.chunks(tx.rows_per_statement(3)) {
        let mut qb: Sql =
            Sql::new("INSERT INTO step_triage (step_id, alert_count, candidate_tactics) ");
        qb.push_values(chunk, |mut b, s| {
            b.push_bind(s.id.as_str())
                .push_bind(0_i64)
                .push_bind(s.candidates);
        });
        on_tx!(&mut *tx, |ex| qb
            .query()?
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
    }
    Ok(())
}
