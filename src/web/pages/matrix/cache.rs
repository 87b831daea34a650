//! Caches of the matrix: aggregates by filter, and whole responses by URL.
//! Entries are keyed by the [`DataStamp`] (database and data version) and
//! the active release, so a write or a release switch makes them unreachable
//! at once. An aggregate of an earlier version is patched rather than
//! recounted (see `store::matrix_patch`). Bounded by entries and bytes
//! (least recently used first), so distinct filter URLs cannot grow memory.

use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};

use axum::body::Bytes;

use crate::atlas::ActiveAtlas;
use crate::service::matrix;
use crate::store::{DataStamp, IncidentQuery, MatrixAggregate, Store};
use crate::web::AppError;
use crate::web::compress::Forms;
use crate::web::lru::Lru;

/// Most aggregates kept, and their weight in all (one is ~3 MB at 30,000 steps).
pub const MAX_AGGREGATES: usize = 16;
pub const MAX_AGGREGATE_BYTES: usize = 24 * 1024 * 1024;
/// Most responses kept (each up to ~150 KB, with its compressed forms), and
/// their weight in all.
pub const MAX_RESPONSES: usize = 128;
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

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
    /// Its gzip and brotli forms, each made once, when first asked for.
    pub forms: Arc<Forms>,
}

impl Cached {
    /// About how many bytes it holds: the body, and its compressed forms as
    /// they will be (about a quarter of it) when made.
    fn weight(&self) -> usize {
        128 + self.body.len() + self.body.len() / 2 + self.filename.as_ref().map_or(0, String::len)
    }
}

/// Aggregates by database and filter, with the data version each was built at.
type AggregateKey = (Option<Arc<Path>>, String);

struct Caches {
    aggregates: Lru<AggregateKey, (i64, Arc<MatrixAggregate>)>,
    responses: Lru<ResponseKey, Cached>,
}

static CACHES: LazyLock<Mutex<Caches>> = LazyLock::new(|| {
    Mutex::new(Caches {
        aggregates: Lru::new(MAX_AGGREGATES, MAX_AGGREGATE_BYTES, |(_, a)| weight(a)),
        responses: Lru::new(MAX_RESPONSES, MAX_RESPONSE_BYTES, Cached::weight),
    })
});

fn caches() -> std::sync::MutexGuard<'static, Caches> {
    match CACHES.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// How many aggregates and responses are cached, and their weight in bytes.
pub fn cache_sizes() -> (usize, usize, usize, usize) {
    let c = caches();
    (
        c.aggregates.len(),
        c.aggregates.bytes(),
        c.responses.len(),
        c.responses.bytes(),
    )
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
    let held = caches().aggregates.get(&key).cloned();
    let fresh = match held {
        // Built by a concurrent request from data as new or newer.
        Some((version, hit)) if version >= stamp.version => return Ok(hit),
        Some((version, base)) => matrix::aggregate_since(store, query, &base, version).await?,
        None => matrix::aggregate(store, query).await?,
    };
    let fresh = Arc::new(fresh);
    caches()
        .aggregates
        .insert(key, (stamp.version, fresh.clone()));
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
        caches().responses.insert(self.key, value);
    }
}
