//! Incidents and their ordered steps. Every write runs in one transaction and
//! bumps the incident's version; a write naming a stale version is refused.

mod query;
mod rows;

use crate::store::backend::{Sql, Tx, Written, on_pool, on_tx};

pub(super) use query::push_filters;
pub use query::{
    Assigned, BatchStart, Cursor, IncidentQuery, IncidentSummary, Page, Sort, TechniqueMatch,
};

use super::ids::new_id;
use super::teamwork::record;
use super::{Store, StoreError, StoreResult, now_rfc3339};
use crate::domain::teamwork::{EventKind, field_changes, step_changes, step_label};
use crate::domain::{FuzzyTime, IncidentDetail, IncidentDraft, Observation, Reference, StepDraft};
use rows::{INCIDENT_COLUMNS, IncidentRow, STEP_COLUMNS, StepRow};

fn time_parts(t: &Option<FuzzyTime>) -> (Option<String>, Option<&'static str>) {
    match t {
        Some(t) => (Some(t.rfc3339()), Some(t.precision.as_str())),
        None => (None, None),
    }
}

impl Store {
    /// Creates an incident with its steps; returns its ID.
    pub async fn create_incident(
        &self,
        draft: &IncidentDraft,
        atlas_release: &str,
        source_ref: Option<&str>,
        steps: &[StepDraft],
    ) -> StoreResult<String> {
        self.insert_incident(&new_id("inc-"), draft, atlas_release, source_ref, steps)
            .await
    }

    async fn insert_incident(
        &self,
        id: &str,
        draft: &IncidentDraft,
        atlas_release: &str,
        source_ref: Option<&str>,
        steps: &[StepDraft],
    ) -> StoreResult<String> {
        let id = id.to_string();
        let now = now_rfc3339();
        let (mut tx, _turn) = self.write().await?;
        // The draft's columns come first, in `bind_draft`'s order.
        let insert = bind_draft(
            Sql::new(
                "INSERT INTO incidents (title, summary, kind, severity, status, occurred_at, occurred_precision,
                     detected_at, detected_precision, resolved_at, resolved_precision, target, actor, reporter,
                     atlas_release, id, source_ref, created_at, updated_at, version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1)",
            ),
            draft,
            atlas_release,
        )
        .bind(&id)
        .bind(source_ref)
        .bind(&now)
        .bind(&now);
        on_tx!(&mut tx, |ex| insert
            .query()?
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
        write_tags_and_references(&mut tx, &id, draft).await?;
        for (i, step) in steps.iter().enumerate() {
            insert_step(&mut tx, &id, i as i64 + 1, step, &now).await?;
        }
        let steps = format!("{} steps", steps.len());
        record(&mut tx, &id, EventKind::Created, "", "", &steps).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An incident with its steps in order.
    pub async fn get_incident(&self, id: &str) -> StoreResult<Option<IncidentDetail>> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents i WHERE i.id = $1");
        let row: Option<IncidentRow> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(db)
            .await)?;
        let Some(row) = row else { return Ok(None) };
        let tags = self
            .tags_of(&[id.to_string()])
            .await?
            .remove(id)
            .unwrap_or_default();
        let references: Vec<(String, String)> = on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT title, url FROM incident_references WHERE incident_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(db)
        .await
        })?;
        let references = references
            .into_iter()
            .map(|(title, url)| Reference { title, url })
            .collect();
        let incident = row.into_incident(tags, references)?;
        let steps = self.steps_of(id).await?;
        Ok(Some(IncidentDetail { incident, steps }))
    }

    async fn steps_of(&self, incident_id: &str) -> StoreResult<Vec<Observation>> {
        let sql = format!(
            "SELECT {STEP_COLUMNS} FROM observations WHERE incident_id = $1 ORDER BY position, id"
        );
        let rows: Vec<StepRow> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(incident_id)
            .fetch_all(db)
            .await)?;
        rows.into_iter().map(StepRow::into_observation).collect()
    }

    pub(super) async fn tags_of(
        &self,
        ids: &[String],
    ) -> StoreResult<std::collections::HashMap<String, Vec<String>>> {
        let mut map: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(map);
        }
        let mut qb: Sql =
            Sql::new("SELECT incident_id, tag FROM incident_tags WHERE incident_id IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(id);
        }
        qb.push(") ORDER BY incident_id, tag");
        let rows: Vec<(String, String)> =
            on_pool!(&self.pool, |db| qb.query_as()?.fetch_all(db).await)?;
        for (id, tag) in rows {
            map.entry(id).or_default().push(tag);
        }
        Ok(map)
    }

    /// The references of the incidents `ids`, each in order.
    pub(super) async fn references_of(
        &self,
        ids: &[String],
    ) -> StoreResult<std::collections::HashMap<String, Vec<Reference>>> {
        let mut map: std::collections::HashMap<String, Vec<Reference>> =
            std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(map);
        }
        let mut qb: Sql = Sql::new(
            "SELECT incident_id, title, url FROM incident_references WHERE incident_id IN (",
        );
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(id);
        }
        qb.push(") ORDER BY incident_id, position");
        let rows: Vec<(String, String, String)> =
            on_pool!(&self.pool, |db| qb.query_as()?.fetch_all(db).await)?;
        for (id, title, url) in rows {
            map.entry(id).or_default().push(Reference { title, url });
        }
        Ok(map)
    }

    /// Replaces an incident's fields; `expected_version` must be current.
    pub async fn update_incident(
        &self,
        id: &str,
        draft: &IncidentDraft,
        atlas_release: &str,
        expected_version: i64,
    ) -> StoreResult<i64> {
        let (mut tx, _turn) = self.write().await?;
        // Read while holding the write lock: nobody can change it meanwhile.
        let before = self.get_incident(id).await?;
        let version = bump_version(&mut tx, id, Some(expected_version)).await?;
        update_fields(&mut tx, id, draft, atlas_release).await?;
        if let Some(before) = before {
            for (field, old, new) in field_changes(&before.incident, draft, atlas_release) {
                record(&mut tx, id, EventKind::Field, field, &old, &new).await?;
            }
        }
        tx.commit().await?;
        Ok(version)
    }

    /// Deletes an incident and its steps. With a version, it must be current.
    pub async fn delete_incident(
        &self,
        id: &str,
        expected_version: Option<i64>,
    ) -> StoreResult<()> {
        let (mut tx, _turn) = self.write().await?;
        bump_version(&mut tx, id, expected_version).await?;
        on_tx!(&mut tx, |ex| sqlx::query(
            "DELETE FROM incidents WHERE id = $1"
        )
        .bind(id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        // Its attachments went with it; so does content no other one holds.
        super::attachments::drop_unheld_blobs(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Inserts a step at `position` (1-based; at the end when `None` or past it).
    /// Returns the step's ID and the incident's new version.
    pub async fn add_step(
        &self,
        incident_id: &str,
        step: &StepDraft,
        position: Option<i64>,
        expected_version: Option<i64>,
    ) -> StoreResult<(String, i64)> {
        let (mut tx, _turn) = self.write().await?;
        let version = bump_version(&mut tx, incident_id, expected_version).await?;
        let (count,): (i64,) = on_tx!(&mut tx, |ex| sqlx::query_as(
            "SELECT COUNT(*) FROM observations WHERE incident_id = $1"
        )
        .bind(incident_id)
        .fetch_one(&mut *ex)
        .await)?;
        if count >= crate::domain::limits::STEPS as i64 {
            return Err(StoreError::Conflict(format!(
                "an incident has at most {} steps",
                crate::domain::limits::STEPS
            )));
        }
        // Positions are 1..=count: make room at `at` with one statement
        // rather than renumbering every step.
        let at = position
            .map(|p| p.max(1))
            .unwrap_or(count + 1)
            .min(count + 1);
        on_tx!(&mut tx, |ex| {
            sqlx::query(
            "UPDATE observations SET position = position + 1 WHERE incident_id = $1 AND position >= $2",
        )
        .bind(incident_id)
        .bind(at)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        let now = now_rfc3339();
        let id = insert_step(&mut tx, incident_id, at, step, &now).await?;
        let label = step_label(&step.tactic_id, &step.technique_id);
        record(
            &mut tx,
            incident_id,
            EventKind::StepAdded,
            &format!("step {at}"),
            "",
            &label,
        )
        .await?;
        tx.commit().await?;
        Ok((id, version))
    }

    /// Replaces a step's content, and moves it when `position` is given.
    pub async fn update_step(
        &self,
        incident_id: &str,
        step_id: &str,
        step: &StepDraft,
        position: Option<i64>,
        expected_version: Option<i64>,
    ) -> StoreResult<i64> {
        let (mut tx, _turn) = self.write().await?;
        let before = self.get_incident(incident_id).await?;
        let version = bump_version(&mut tx, incident_id, expected_version).await?;
        let (occ, occ_p) = time_parts(&step.observed);
        let done = on_tx!(&mut tx, |ex| {
            sqlx::query(
            "UPDATE observations SET tactic_id = $1, technique_id = $2, observed_at = $3, observed_precision = $4,
                 description = $5, evidence = $6, confidence = $7, outcome = $8, source = $9, updated_at = $10
             WHERE id = $11 AND incident_id = $12",
        )
        .bind(&step.tactic_id)
        .bind(&step.technique_id)
        .bind(occ)
        .bind(occ_p)
        .bind(&step.description)
        .bind(&step.evidence)
        .bind(step.confidence)
        .bind(step.outcome.as_str())
        .bind(step.source.as_str())
        .bind(now_rfc3339())
        .bind(step_id)
        .bind(incident_id)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "step {step_id} of incident {incident_id}"
            )));
        }
        if let Some(p) = position {
            let mut order = step_order(&mut tx, incident_id).await?;
            order.retain(|x| x != step_id);
            let at = ((p.max(1) - 1) as usize).min(order.len());
            order.insert(at, step_id.to_string());
            renumber(&mut tx, &order).await?;
        }
        let old = before.and_then(|b| b.steps.into_iter().find(|s| s.id == step_id));
        if let Some(old) = old {
            let name = format!("step {}", old.position);
            for (field, was, now) in step_changes(&old, step) {
                record(
                    &mut tx,
                    incident_id,
                    EventKind::StepEdited,
                    &format!("{name} {field}"),
                    &was,
                    &now,
                )
                .await?;
            }
            let order = step_order(&mut tx, incident_id).await?;
            let at = order.iter().position(|s| s == step_id).map_or(0, |i| i + 1);
            if at as i64 != old.position {
                let label = step_label(&step.tactic_id, &step.technique_id);
                record(
                    &mut tx,
                    incident_id,
                    EventKind::StepMoved,
                    &label,
                    &old.position.to_string(),
                    &at.to_string(),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(version)
    }

    pub async fn delete_step(
        &self,
        incident_id: &str,
        step_id: &str,
        expected_version: Option<i64>,
    ) -> StoreResult<i64> {
        let (mut tx, _turn) = self.write().await?;
        let before = self.get_incident(incident_id).await?;
        let version = bump_version(&mut tx, incident_id, expected_version).await?;
        let done = on_tx!(&mut tx, |ex| sqlx::query(
            "DELETE FROM observations WHERE id = $1 AND incident_id = $2"
        )
        .bind(step_id)
        .bind(incident_id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "step {step_id} of incident {incident_id}"
            )));
        }
        let order = step_order(&mut tx, incident_id).await?;
        renumber(&mut tx, &order).await?;
        if let Some(old) = before.and_then(|b| b.steps.into_iter().find(|s| s.id == step_id)) {
            let label = step_label(&old.tactic_id, &old.technique_id);
            let name = format!("step {}", old.position);
            record(
                &mut tx,
                incident_id,
                EventKind::StepRemoved,
                &name,
                &label,
                "",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(version)
    }

    /// Puts the steps in the given order; `order` must name every step once.
    pub async fn reorder_steps(
        &self,
        incident_id: &str,
        order: &[String],
        expected_version: Option<i64>,
    ) -> StoreResult<i64> {
        let (mut tx, _turn) = self.write().await?;
        let before = self.get_incident(incident_id).await?;
        let version = bump_version(&mut tx, incident_id, expected_version).await?;
        let mut current = step_order(&mut tx, incident_id).await?;
        let mut wanted = order.to_vec();
        current.sort();
        wanted.sort();
        if current != wanted {
            return Err(StoreError::Conflict(
                "the new order must list every step of the incident exactly once".to_string(),
            ));
        }
        renumber(&mut tx, order).await?;
        if let Some(before) = before {
            let name = |id: &String| {
                before
                    .steps
                    .iter()
                    .find(|s| &s.id == id)
                    .map_or_else(String::new, |s| s.technique_id.clone())
            };
            let old: Vec<String> = before
                .steps
                .iter()
                .map(|s| s.technique_id.clone())
                .collect();
            let new: Vec<String> = order.iter().map(name).collect();
            if old != new {
                record(
                    &mut tx,
                    incident_id,
                    EventKind::StepsReordered,
                    "",
                    &old.join(" → "),
                    &new.join(" → "),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(version)
    }

    /// Creates (as `new_id`) or refreshes the incident imported from `source_ref`.
    /// Returns its ID, whether anything changed (re-importing the same data
    /// changes nothing) and whether it was created.
    pub async fn upsert_imported_incident(
        &self,
        new_id: &str,
        source_ref: &str,
        draft: &IncidentDraft,
        atlas_release: &str,
        steps: &[StepDraft],
    ) -> StoreResult<(String, bool, bool)> {
        let existing: Option<(String,)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT id FROM incidents WHERE source_ref = $1"
        )
        .bind(source_ref)
        .fetch_optional(db)
        .await)?;
        let Some((id,)) = existing else {
            let id = self
                .insert_incident(new_id, draft, atlas_release, Some(source_ref), steps)
                .await?;
            return Ok((id, true, true));
        };
        let Some(current) = self.get_incident(&id).await? else {
            return Err(StoreError::NotFound(format!("incident {id}")));
        };
        if same_content(&current, draft, atlas_release, steps) {
            return Ok((id, false, false));
        }
        // One transaction: the fields and the steps change together or not at all.
        let (mut tx, _turn) = self.write().await?;
        bump_version(&mut tx, &id, Some(current.incident.version)).await?;
        update_fields(&mut tx, &id, draft, atlas_release).await?;
        on_tx!(&mut tx, |ex| sqlx::query(
            "DELETE FROM observations WHERE incident_id = $1"
        )
        .bind(&id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        let now = now_rfc3339();
        for (i, step) in steps.iter().enumerate() {
            insert_step(&mut tx, &id, i as i64 + 1, step, &now).await?;
        }
        for (field, old, new) in field_changes(&current.incident, draft, atlas_release) {
            record(&mut tx, &id, EventKind::Field, field, &old, &new).await?;
        }
        let steps = format!("{} steps", steps.len());
        record(&mut tx, &id, EventKind::Reimported, source_ref, "", &steps).await?;
        tx.commit().await?;
        Ok((id, true, false))
    }
}

fn same_content(
    current: &IncidentDetail,
    draft: &IncidentDraft,
    release: &str,
    steps: &[StepDraft],
) -> bool {
    let i = &current.incident;
    let fields_same = i.title == draft.title
        && i.summary == draft.summary
        && i.kind == draft.kind
        && i.severity == draft.severity
        && i.status == draft.status
        && i.occurred == draft.occurred
        && i.detected == draft.detected
        && i.resolved == draft.resolved
        && i.target == draft.target
        && i.actor == draft.actor
        && i.reporter == draft.reporter
        && i.tags == draft.tags
        && i.references == draft.references
        && i.atlas_release == release;
    fields_same
        && current.steps.len() == steps.len()
        && current.steps.iter().zip(steps).all(|(a, b)| {
            a.tactic_id == b.tactic_id
                && a.technique_id == b.technique_id
                && a.observed == b.observed
                && a.description == b.description
                && a.evidence == b.evidence
                && a.confidence == b.confidence
                && a.outcome == b.outcome
                && a.source == b.source
        })
}

/// Bumps the version (checking it when `expected` is given); tells a missing
/// incident (404) from a stale version (409).
pub(super) async fn bump_version(tx: &mut Tx, id: &str, expected: Option<i64>) -> StoreResult<i64> {
    let current: Option<(i64,)> = on_tx!(&mut *tx, |ex| sqlx::query_as(
        "SELECT version FROM incidents WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(&mut *ex)
    .await)?;
    let Some((current,)) = current else {
        return Err(StoreError::NotFound(format!("incident {id}")));
    };
    if let Some(expected) = expected
        && expected != current
    {
        return Err(StoreError::Conflict(format!(
            "incident {id} was changed by someone else (you edited version {expected}, it is now at version {current}); reload and apply your change again"
        )));
    }
    let done = on_tx!(&mut *tx, |ex| {
        sqlx::query(
        "UPDATE incidents SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3"
    )
    .bind(now_rfc3339())
    .bind(id)
    .bind(current)
    .execute(&mut *ex)
    .await
    .map(Written::from)
    })?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!(
            "incident {id} was changed concurrently; reload and try again"
        )));
    }
    Ok(current + 1)
}

/// Binds an incident's editable columns as `$1`..`$15`, in the order that the
/// incident INSERT and UPDATE statements list them.
fn bind_draft<'q>(query: Sql<'q>, draft: &'q IncidentDraft, atlas_release: &'q str) -> Sql<'q> {
    let (occ, occ_p) = time_parts(&draft.occurred);
    let (det, det_p) = time_parts(&draft.detected);
    let (res, res_p) = time_parts(&draft.resolved);
    query
        .bind(&draft.title)
        .bind(&draft.summary)
        .bind(draft.kind.as_str())
        .bind(draft.severity.as_str())
        .bind(draft.status.as_str())
        .bind(occ)
        .bind(occ_p)
        .bind(det)
        .bind(det_p)
        .bind(res)
        .bind(res_p)
        .bind(&draft.target)
        .bind(&draft.actor)
        .bind(&draft.reporter)
        .bind(atlas_release)
}

pub(super) async fn update_fields(
    tx: &mut Tx,
    id: &str,
    draft: &IncidentDraft,
    atlas_release: &str,
) -> StoreResult<()> {
    let update = bind_draft(
        Sql::new(
            "UPDATE incidents SET title = $1, summary = $2, kind = $3, severity = $4, status = $5,
                 occurred_at = $6, occurred_precision = $7, detected_at = $8, detected_precision = $9,
                 resolved_at = $10, resolved_precision = $11, target = $12, actor = $13, reporter = $14,
                 atlas_release = $15
             WHERE id = $16",
        ),
        draft,
        atlas_release,
    )
    .bind(id);
    on_tx!(&mut *tx, |ex| update
        .query()?
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
    on_tx!(&mut *tx, |ex| sqlx::query(
        "DELETE FROM incident_tags WHERE incident_id = $1"
    )
    .bind(id)
    .execute(&mut *ex)
    .await
    .map(Written::from))?;
    on_tx!(&mut *tx, |ex| sqlx::query(
        "DELETE FROM incident_references WHERE incident_id = $1"
    )
    .bind(id)
    .execute(&mut *ex)
    .await
    .map(Written::from))?;
    write_tags_and_references(tx, id, draft).await?;
    Ok(())
}

pub(super) async fn step_order(tx: &mut Tx, incident_id: &str) -> StoreResult<Vec<String>> {
    let rows: Vec<(String,)> = on_tx!(&mut *tx, |ex| sqlx::query_as(
        "SELECT id FROM observations WHERE incident_id = $1 ORDER BY position, id"
    )
    .bind(incident_id)
    .fetch_all(&mut *ex)
    .await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub(super) async fn renumber(tx: &mut Tx, order: &[String]) -> StoreResult<()> {
    for (i, id) in order.iter().enumerate() {
        on_tx!(&mut *tx, |ex| sqlx::query(
            "UPDATE observations SET position = $1 WHERE id = $2"
        )
        .bind(i as i64 + 1)
        .bind(id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
    }
    Ok(())
}

pub(super) async fn insert_step(
    tx: &mut Tx,
    incident_id: &str,
    position: i64,
    step: &StepDraft,
    now: &str,
) -> StoreResult<String> {
    let id = new_id("step-");
    let (occ, occ_p) = time_parts(&step.observed);
    on_tx!(&mut *tx, |ex| {
        sqlx::query(
        "INSERT INTO observations (id, incident_id, position, tactic_id, technique_id, observed_at, observed_precision,
             description, evidence, confidence, outcome, source, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&id)
    .bind(incident_id)
    .bind(position)
    .bind(&step.tactic_id)
    .bind(&step.technique_id)
    .bind(occ)
    .bind(occ_p)
    .bind(&step.description)
    .bind(&step.evidence)
    .bind(step.confidence)
    .bind(step.outcome.as_str())
    .bind(step.source.as_str())
    .bind(now)
    .bind(now)
    .execute(&mut *ex)
    .await.map(Written::from)
    })?;
    Ok(id)
}

async fn write_tags_and_references(
    tx: &mut Tx,
    id: &str,
    draft: &IncidentDraft,
) -> StoreResult<()> {
    for tag in &draft.tags {
        on_tx!(&mut *tx, |ex| sqlx::query(
            "INSERT INTO incident_tags (incident_id, tag) VALUES ($1, $2)"
        )
        .bind(id)
        .bind(tag)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
    }
    for (i, r) in draft.references.iter().enumerate() {
        on_tx!(&mut *tx, |ex| {
            sqlx::query("INSERT INTO incident_references (incident_id, position, title, url) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(i as i64)
            .bind(&r.title)
            .bind(&r.url)
            .execute(&mut *ex)
            .await.map(Written::from)
        })?;
    }
    Ok(())
}
