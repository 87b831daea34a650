//! The reports' data by query (whole pages are kept by
//! [`crate::web::response_cache`]):
//! the dashboard's and the briefing's period, the period before and the
//! briefing's four-quarter trend. Entries are kept with the data version
//! they were read at; after a write an entry is patched with the incidents
//! changed since (`store::report`'s `patch_report_data`), so the first view
//! after a write reads a few rows, not the period again. Bounded by entries
//! and bytes (least recently used first), so distinct periods cannot grow
//! memory.

use std::path::Path;
use std::sync::{Arc, LazyLock};

use crate::service::reports;
use crate::store::{DataStamp, IncidentQuery, ReportData, Store};
use crate::web::AppError;
use crate::web::lru::{Lru, SharedLru};

/// Most entries kept, and their weight in all. A 90-day period at 15,000
/// incidents is ~0.4 MB; at 100,000 incidents with 1,000,000 steps it is
/// ~14 MB, and a briefing reads three entries (period, the one before, the
/// trend) of ~38 MB together: with less room they evict each other in turn
/// and every view after a write reads all three again (5 s, bench/server.sh).
pub const MAX_REPORT_DATA: usize = 24;
pub const MAX_REPORT_DATA_BYTES: usize = 64 * 1024 * 1024;

/// By database, query and whether steps are read.
type Key = (Option<Arc<Path>>, String, bool);
type Entries = Lru<Key, (i64, Arc<ReportData>)>;

static ENTRIES: LazyLock<SharedLru<Key, (i64, Arc<ReportData>)>> =
    LazyLock::new(|| SharedLru::new(MAX_REPORT_DATA, MAX_REPORT_DATA_BYTES, |(_, d)| weight(d)));

fn entries() -> std::sync::MutexGuard<'static, Entries> {
    ENTRIES.lock()
}

/// The report data cache's lookups and size.
pub fn stats() -> crate::web::lru::CacheStats {
    ENTRIES.stats()
}

/// How many entries are kept and their weight in bytes.
pub fn sizes() -> (usize, usize) {
    ENTRIES.sizes()
}

/// About how many bytes report data holds.
fn weight(d: &ReportData) -> usize {
    let incidents: usize = d
        .incidents
        .iter()
        .map(|i| 160 + i.id.len() + i.title.len() + i.created_at.len())
        .sum();
    let steps: usize = d
        .steps
        .iter()
        .map(|s| 64 + s.tactic_id.len() + s.technique_id.len())
        .sum();
    incidents + steps
}

/// The report data of `query` (with steps when `steps`) at `stamp`: the
/// kept one, the kept one of an earlier version patched, or a fresh read.
pub async fn report_data(
    store: &Store,
    stamp: &DataStamp,
    query: &IncidentQuery,
    steps: bool,
) -> Result<Arc<ReportData>, AppError> {
    if !stamp.cacheable() {
        return Ok(Arc::new(reports::report_data(store, query, steps).await?));
    }
    let key = (stamp.database.clone(), format!("{query:?}"), steps);
    let held = {
        let mut entries = entries();
        match entries.get(&key).cloned() {
            // Read by a concurrent request from data as new or newer.
            Some((version, hit)) if version >= stamp.version => return Ok(hit),
            // Taken out to be patched in place (its rows move instead of
            // being copied); a concurrent request meanwhile reads afresh.
            Some(_) => entries.remove(&key),
            None => None,
        }
    };
    let fresh = match held {
        Some((version, base)) => {
            reports::report_data_since(store, query, base, version, steps).await?
        }
        None => Arc::new(reports::report_data(store, query, steps).await?),
    };
    entries().insert(key, (stamp.version, fresh.clone()));
    Ok(fresh)
}
