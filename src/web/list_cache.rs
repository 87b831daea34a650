//! Pages of the incident list (`/incidents`, `/api/v1/incidents`) by
//! query and data version: which incidents a page shows and how many the
//! filter selects ([`incidents::page_ids`]). That is what a filter costs —
//! a search for a common word matches about half of 100,000 incidents, all
//! of them counted and ranked for one page of 25 (about 300 ms) — while the
//! page's own rows are read fresh each time (a few milliseconds). A write
//! bumps the data version (members and tasks too), so no entry outlives
//! the data it was read from; entries of older versions age out. Bounded by
//! entries and bytes, so distinct filter URLs cannot grow memory.

use std::path::Path;
use std::sync::{Arc, LazyLock};

use crate::service::incidents;
use crate::store::{IncidentSummary, Page, Store, StoreResult};
use crate::web::lru::{CacheStats, SharedLru};

/// Most pages kept, and their weight in all (a page of 25 IDs is ~1 KB).
pub const MAX_PAGES: usize = 256;
pub const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// By database, data version and query (its filters, sort and page).
type Key = (Option<Arc<Path>>, i64, String);

static ENTRIES: LazyLock<SharedLru<Key, Arc<Page<String>>>> =
    LazyLock::new(|| SharedLru::new(MAX_PAGES, MAX_PAGE_BYTES, |p| weight(p)));

fn weight(p: &Page<String>) -> usize {
    let next = p.next.as_ref().map_or(0, |c| {
        c.id.len() + c.key.as_ref().map_or(0, String::len) + 32
    });
    128 + next + p.items.iter().map(|id| id.len() + 24).sum::<usize>()
}

/// One page of the incidents matching `q`: its IDs kept per data version,
/// its rows read now.
pub async fn list(
    store: &Store,
    q: &crate::store::IncidentQuery,
) -> StoreResult<Page<IncidentSummary>> {
    let stamp = crate::service::matrix::data_stamp(store).await?;
    if !stamp.cacheable() {
        return incidents::list(store, q).await;
    }
    let key = (stamp.database.clone(), stamp.version, format!("{q:?}"));
    let held = ENTRIES.lock().get(&key).cloned();
    let ids = match held {
        Some(ids) => ids,
        None => {
            let ids = Arc::new(incidents::page_ids(store, q).await?);
            ENTRIES.lock().insert(key, ids.clone());
            ids
        }
    };
    incidents::page_rows(store, Arc::unwrap_or_clone(ids)).await
}

/// The list cache's lookups and size.
pub fn stats() -> CacheStats {
    ENTRIES.stats()
}

/// How many pages are kept and their weight in bytes.
pub fn sizes() -> (usize, usize) {
    ENTRIES.sizes()
}
