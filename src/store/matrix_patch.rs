//! Keeping a matrix aggregate current without recounting every step.
//!
//! The triggers of migration 0011 record, in each write's own transaction,
//! which incidents changed at which data version (`incident_changes`). An
//! aggregate built at version V is brought to the current data by dropping
//! the incidents changed at V or later and adding back the current steps of
//! those the filters still choose: a few indexed reads, however many
//! incidents there are. Re-reading an incident twice is harmless (the
//! patch replaces it whole), so a reader may safely over-fetch.

use super::matrix::{Accumulator, finish, intern};
use super::{IncidentQuery, MatrixAggregate, Store, StoreResult};
use crate::store::backend::on_pool;

/// More changed incidents than this and a full recount is cheaper.
pub const MAX_PATCHED_INCIDENTS: usize = 2_000;

impl Store {
    /// The incidents changed at data version `since` or later; `None` when
    /// more than [`MAX_PATCHED_INCIDENTS`] did (recount instead).
    pub async fn changed_incidents_since(&self, since: i64) -> StoreResult<Option<Vec<String>>> {
        // Unordered, so that SQLite reads the version index (ordered by
        // incident ID it walked the whole change log: 4-8 ms at 15,000).
        let rows: Vec<(String,)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT incident_id FROM incident_changes WHERE version >= $1 LIMIT $2"
        )
        .bind(since)
        .bind(MAX_PATCHED_INCIDENTS as i64 + 1)
        .fetch_all(db)
        .await)?;
        if rows.len() > MAX_PATCHED_INCIDENTS {
            return Ok(None);
        }
        let mut ids: Vec<String> = rows.into_iter().map(|(id,)| id).collect();
        ids.sort_unstable();
        Ok(Some(ids))
    }

    /// `base` (the aggregate of `q` at some earlier version) with the
    /// incidents `changed` replaced by their current steps: equal to
    /// [`Store::matrix_aggregate`] when `changed` holds every incident
    /// changed since `base` was built.
    pub async fn patch_matrix_aggregate(
        &self,
        q: &IncidentQuery,
        base: &MatrixAggregate,
        changed: &[String],
    ) -> StoreResult<MatrixAggregate> {
        let incident_total = if changed.is_empty() {
            base.incident_total
        } else {
            self.matrix_incident_total(q).await?
        };
        let mut acc = without(base, changed);
        let kept = acc.incidents.len();
        self.matrix_rows(q, Some(changed), &mut acc).await?;
        let Accumulator {
            incidents,
            cells,
            step_total,
            ..
        } = acc;
        Ok(finish(incident_total, incidents, cells, step_total, kept))
    }
}

/// An accumulator holding `base` less the incidents `changed`.
fn without(base: &MatrixAggregate, changed: &[String]) -> Accumulator {
    // Sorted and searched: a few changed IDs against every incident, where
    // hashing each incident's ID cost more than the rest of the patch.
    let mut changed: Vec<&str> = changed.iter().map(String::as_str).collect();
    changed.sort_unstable();
    let mut acc = Accumulator::default();
    let mut renumbered: Vec<Option<u32>> = Vec::with_capacity(base.incidents.len());
    for incident in &base.incidents {
        if changed.binary_search(&incident.id.as_str()).is_ok() {
            renumbered.push(None);
            continue;
        }
        // Not in `incident_index`: the rows added next are those of the
        // changed incidents only, none of which is kept here.
        let n = acc.incidents.len() as u32;
        acc.incidents.push(incident.clone());
        renumbered.push(Some(n));
    }
    for cell in &base.cells {
        let mut hits = cell.hits.clone();
        hits.retain_mut(
            |h| match renumbered.get(h.incident as usize).copied().flatten() {
                Some(n) => {
                    h.incident = n;
                    true
                }
                None => false,
            },
        );
        if hits.is_empty() {
            continue;
        }
        let n = acc.tactic_index.len() as u32;
        let tactic = intern(&mut acc.tactic_index, &cell.tactic_id, || n);
        let n = acc.technique_index.len() as u32;
        let technique = intern(&mut acc.technique_index, &cell.technique_id, || n);
        acc.step_total += hits.len();
        acc.cell_index.insert((tactic, technique), acc.cells.len());
        acc.cells.push(super::CellAggregate {
            tactic_id: cell.tactic_id.clone(),
            technique_id: cell.technique_id.clone(),
            hits,
        });
    }
    acc
}
