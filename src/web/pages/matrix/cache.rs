//! The matrix's aggregates by filter (whole responses are kept by
//! [`response_cache`]). Entries are keyed by the [`DataStamp`] (database and
//! data version), so a write makes them unreachable at once. An aggregate of an earlier version is patched rather than
//! recounted (see `store::matrix_patch`). Bounded by entries and bytes
//! (least recently used first), so distinct filter URLs cannot grow memory.

use std::path::Path;
use std::sync::{Arc, LazyLock};

use crate::service::matrix;
use crate::store::{DataStamp, IncidentQuery, MatrixAggregate, Store};
use crate::web::lru::{Lru, SharedLru};
use crate::web::{AppError, response_cache};

/// Most aggregates kept, and their weight in all (one is ~3 MB at 30,000
/// steps, ~25 MB at 1,000,000: the bound keeps the whole record's at that
/// size, since one not kept is counted again in full after every write).
pub const MAX_AGGREGATES: usize = 16;
pub const MAX_AGGREGATE_BYTES: usize = 48 * 1024 * 1024;
/// Aggregates by database and filter, with the data version each was built at.
type AggregateKey = (Option<Arc<Path>>, String);

type Aggregates = Lru<AggregateKey, (i64, Arc<MatrixAggregate>)>;

static AGGREGATES: LazyLock<SharedLru<AggregateKey, (i64, Arc<MatrixAggregate>)>> =
    LazyLock::new(|| SharedLru::new(MAX_AGGREGATES, MAX_AGGREGATE_BYTES, |(_, a)| weight(a)));

fn aggregates() -> std::sync::MutexGuard<'static, Aggregates> {
    AGGREGATES.lock()
}

/// The matrix aggregate cache's lookups and size.
pub fn stats() -> crate::web::lru::CacheStats {
    AGGREGATES.stats()
}

/// How many aggregates and responses are cached, and their weight in bytes.
pub fn cache_sizes() -> (usize, usize, usize, usize) {
    let (responses, response_bytes) = response_cache::sizes();
    let (aggregates, aggregate_bytes) = AGGREGATES.sizes();
    (aggregates, aggregate_bytes, responses, response_bytes)
}

/// About how many bytes an aggregate holds.
fn weight(a: &MatrixAggregate) -> usize {
    let incidents: usize = a
        .incidents
        .iter()
        .map(|i| 64 + i.id.len() + i.title.len() + i.occurred_at.as_ref().map_or(0, String::len))
        .sum();
    let cells: usize = a
        .cells
        .iter()
        .map(|c| 80 + c.tactic_id.len() + c.technique_id.len() + 8 * c.hits.len())
        .sum();
    incidents + cells
}

/// The aggregate of `query` (whose canonical form is `filter_key`) at
/// `stamp`: the cached one, or the cached one of an earlier data version
/// patched with the incidents changed since, or a full count.
pub async fn aggregate(
    store: &Store,
    stamp: &DataStamp,
    filter_key: String,
    query: &IncidentQuery,
) -> Result<Arc<MatrixAggregate>, AppError> {
    if !stamp.cacheable() {
        return Ok(Arc::new(matrix::aggregate(store, query).await?));
    }
    let key = (stamp.database.clone(), filter_key);
    let held = aggregates().get(&key).cloned();
    let fresh = match held {
        // Built by a concurrent request from data as new or newer.
        Some((version, hit)) if version >= stamp.version => return Ok(hit),
        Some((version, base)) => matrix::aggregate_since(store, query, &base, version).await?,
        None => matrix::aggregate(store, query).await?,
    };
    let fresh = Arc::new(fresh);
    aggregates().insert(key, (stamp.version, fresh.clone()));
    Ok(fresh)
}
