//! The facts counted over a period's report data ([`Facts`]), kept while
//! that data is the same value. A write patches the report data of the
//! period it touches into a new value, and hands back the data of a period
//! it does not touch (most often the period before, which the trends
//! compare with) as the same `Arc` ([`crate::store::Store::patch_report_data`]),
//! so the first dashboard after a write counts its own period only: at
//! 100,000 incidents a count of a period's 120,000 steps is a good part of
//! that view's time.
//!
//! Entries are keyed by the data's address and hold it weakly: a `Weak`
//! keeps its allocation, so no other data can take that address while the
//! entry lives, and an entry whose data is gone is never used. Bounded by
//! entries and bytes like the other caches.

use std::sync::{Arc, LazyLock, Weak};

use crate::atlas::ActiveAtlas;
use crate::render::report::Facts;
use crate::store::ReportData;
use crate::web::lru::SharedLru;

/// Most entries kept, and their weight in all: the dashboard and the
/// briefing each use two (the period and the one before).
pub const MAX_FACTS: usize = 16;
pub const MAX_FACTS_BYTES: usize = 32 * 1024 * 1024;

/// The data's address, and the release (version, import time) counted
/// against: its tactics order the stages.
type Key = (usize, String, String);
type Entry = (Weak<ReportData>, Arc<Facts>);

static ENTRIES: LazyLock<SharedLru<Key, Entry>> =
    LazyLock::new(|| SharedLru::new(MAX_FACTS, MAX_FACTS_BYTES, |(_, f)| weight(f)));

/// About how many bytes facts hold: mostly one reach per incident.
fn weight(f: &Facts) -> usize {
    let reach = f.reach.len() * (std::mem::size_of::<crate::render::report::Reach>() + 16);
    let counts = (f.techniques.len() + f.tactics.len() + f.stages.len()) * 64;
    reach + counts
}

/// The facts of `data` against `atlas`: the kept ones, or counted now.
pub fn facts(atlas: &ActiveAtlas, data: &Arc<ReportData>) -> Arc<Facts> {
    let key = (
        Arc::as_ptr(data) as usize,
        atlas.info.version.clone(),
        atlas.info.imported_at.clone(),
    );
    // The address is this data's: the caller holds it, and the entry's
    // `Weak` kept the allocation of whatever was there before.
    if let Some((_, facts)) = ENTRIES.lock().get(&key) {
        return facts.clone();
    }
    let counted = Arc::new(Facts::of(atlas, data));
    ENTRIES
        .lock()
        .insert(key, (Arc::downgrade(data), counted.clone()));
    counted
}

/// The facts cache's lookups and size.
pub fn stats() -> crate::web::lru::CacheStats {
    ENTRIES.stats()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_data_is_counted_once_and_other_data_again() {
        let atlas = crate::render::report::tests_support::atlas();
        let data = Arc::new(ReportData {
            incidents: Vec::new(),
            steps: Vec::new(),
        });
        let first = facts(&atlas, &data);
        assert!(Arc::ptr_eq(&first, &facts(&atlas, &data)));
        // Equal content at another address is counted on its own.
        let other = Arc::new(ReportData {
            incidents: Vec::new(),
            steps: Vec::new(),
        });
        assert!(!Arc::ptr_eq(&first, &facts(&atlas, &other)));
    }
}
