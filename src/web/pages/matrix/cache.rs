//! Caches of the matrix: aggregates by filter, and whole responses by URL.
//! Entries are keyed by the [`DataStamp`] (database and data version) and
//! the active release, so a write or a release switch makes them unreachable
//! at once; stale entries are dropped as new ones come in. Bounded: when full
//! the oldest generation goes first, and at worst everything.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use axum::body::Bytes;

use crate::atlas::ActiveAtlas;
use crate::store::{DataStamp, MatrixAggregate, Store};
use crate::web::AppError;

/// Most aggregates kept (each up to a few MB for 100,000 steps).
const MAX_AGGREGATES: usize = 16;
/// Most responses kept (each up to ~150 KB).
const MAX_RESPONSES: usize = 128;

/// Which release a response was drawn against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ReleaseKey {
    version: String,
    imported_at: String,
}

impl ReleaseKey {
    fn of(atlas: &ActiveAtlas) -> Self {
        ReleaseKey {
            version: atlas.info.version.clone(),
            imported_at: atlas.info.imported_at.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ResponseKey {
    stamp: DataStamp,
    release: ReleaseKey,
    /// The route (`html`, `svg`, …).
    kind: &'static str,
    /// The canonical query.
    query: String,
}

/// A cached response body and its content type.
#[derive(Debug, Clone)]
pub struct Cached {
    pub content_type: &'static str,
    /// Served as a download under this name.
    pub filename: Option<String>,
    pub body: Bytes,
}

#[derive(Default)]
struct Caches {
    aggregates: HashMap<(DataStamp, String), Arc<MatrixAggregate>>,
    responses: HashMap<ResponseKey, Cached>,
}

static CACHES: LazyLock<Mutex<Caches>> = LazyLock::new(|| Mutex::new(Caches::default()));

fn caches() -> std::sync::MutexGuard<'static, Caches> {
    match CACHES.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Makes room in `map`: first entries of the same database at another data
/// version, then everything.
fn make_room<K, V>(
    map: &mut HashMap<K, V>,
    max: usize,
    stamp: &DataStamp,
    stamp_of: impl Fn(&K) -> &DataStamp,
) {
    if map.len() < max {
        return;
    }
    map.retain(|k, _| {
        let s = stamp_of(k);
        s.database != stamp.database || s.version == stamp.version
    });
    if map.len() >= max {
        map.clear();
    }
}

/// The aggregate for `filter_key`, computed by `compute` on a miss.
pub async fn aggregate<F, Fut>(
    store: &Store,
    stamp: &DataStamp,
    filter_key: String,
    compute: F,
) -> Result<Arc<MatrixAggregate>, AppError>
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = Result<MatrixAggregate, AppError>>,
{
    let key = (stamp.clone(), filter_key);
    if stamp.cacheable()
        && let Some(hit) = caches().aggregates.get(&key)
    {
        return Ok(hit.clone());
    }
    let fresh = Arc::new(compute(store.clone()).await?);
    if stamp.cacheable() {
        let mut c = caches();
        make_room(&mut c.aggregates, MAX_AGGREGATES, stamp, |k| &k.0);
        c.aggregates.insert(key, fresh.clone());
    }
    Ok(fresh)
}

/// A key for one response.
pub struct ResponseSlot {
    key: ResponseKey,
}

impl ResponseSlot {
    pub fn new(stamp: &DataStamp, atlas: &ActiveAtlas, kind: &'static str, query: String) -> Self {
        ResponseSlot {
            key: ResponseKey {
                stamp: stamp.clone(),
                release: ReleaseKey::of(atlas),
                kind,
                query,
            },
        }
    }

    pub fn get(&self) -> Option<Cached> {
        if !self.key.stamp.cacheable() {
            return None;
        }
        caches().responses.get(&self.key).cloned()
    }

    pub fn put(self, value: Cached) {
        if !self.key.stamp.cacheable() {
            return;
        }
        let mut c = caches();
        make_room(&mut c.responses, MAX_RESPONSES, &self.key.stamp, |k| {
            &k.stamp
        });
        c.responses.insert(self.key, value);
    }
}
