//! What the matrix pages count: the data version (the key of the response
//! caches, the reports' too) and the aggregate of a filter, counted whole or
//! patched from an earlier one.

use crate::store::{DataStamp, IncidentQuery, MatrixAggregate, Store, StoreResult, TechniqueHits};

/// The version of the incident data (it changes with every write).
pub async fn data_stamp(store: &Store) -> StoreResult<DataStamp> {
    store.data_stamp().await
}

/// The matrix aggregate of the incidents matching `query`, counted whole.
pub async fn aggregate(store: &Store, query: &IncidentQuery) -> StoreResult<MatrixAggregate> {
    store.matrix_aggregate(query).await
}

/// The aggregate of `query` from `base`, counted at data version `since`:
/// patched with the incidents changed since when few did, else counted whole.
pub async fn aggregate_since(
    store: &Store,
    query: &IncidentQuery,
    base: &MatrixAggregate,
    since: i64,
) -> StoreResult<MatrixAggregate> {
    match store.changed_incidents_since(since).await? {
        Some(changed) => store.patch_matrix_aggregate(query, base, &changed).await,
        None => store.matrix_aggregate(query).await,
    }
}

/// The incidents matching `query` with steps using one of `techniques`
/// (under `tactic` when given): the first `limit`, and the totals.
pub async fn technique_hits(
    store: &Store,
    query: &IncidentQuery,
    techniques: &[String],
    tactic: Option<&str>,
    limit: usize,
) -> StoreResult<TechniqueHits> {
    store.technique_hits(query, techniques, tactic, limit).await
}
