//! Finished responses kept by URL: the matrix views, the dashboard and the
//! briefing are pure functions of (incident data, active release, query,
//! visitor), so a repeated view costs one primary-key read (the data
//! version) and a map lookup. Entries are keyed by the store's
//! [`DataStamp`] and the active release, so a write or a release switch
//! makes them unreachable at once; a body keeps its gzip and brotli forms,
//! each made once. Bounded by entries and bytes (least recently used
//! first), so distinct filter URLs cannot grow memory.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::atlas::ActiveAtlas;
use crate::store::DataStamp;
use crate::web::AppError;
use crate::web::compress::{self, Forms};
use crate::web::lru::{Lru, SharedLru};

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
    /// The route (`html`, `svg`, `dashboard`, …).
    kind: &'static str,
    /// The canonical query, and whatever else the body depends on.
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
    fn new(content_type: &'static str, body: String, filename: Option<&str>) -> Cached {
        Cached {
            content_type,
            filename: filename.map(str::to_string),
            body: Bytes::from(body),
            forms: Default::default(),
        }
    }

    /// A rendered HTML page.
    pub fn html(body: String) -> Cached {
        Cached::new("text/html; charset=utf-8", body, None)
    }

    /// An SVG document.
    pub fn svg(body: String) -> Cached {
        Cached::new("image/svg+xml", body, None)
    }

    /// A JSON document (a download when `filename` is given).
    pub fn json(body: String, filename: Option<&str>) -> Cached {
        Cached::new("application/json", body, filename)
    }

    /// About how many bytes it holds: the body, and its compressed forms as
    /// they will be (about a quarter of it) when made.
    fn weight(&self) -> usize {
        128 + self.body.len() + self.body.len() / 2 + self.filename.as_ref().map_or(0, String::len)
    }

    /// The response, in the encoding the client prefers (compressed once).
    pub fn respond(self) -> Response {
        let encoding = compress::current();
        let body = self.forms.get(&self.body, encoding);
        let mut res = match self.filename {
            Some(name) => (
                [
                    (header::CONTENT_TYPE, self.content_type.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                body,
            )
                .into_response(),
            None => ([(header::CONTENT_TYPE, self.content_type)], body).into_response(),
        };
        compress::mark(&mut res, encoding);
        res
    }
}

static RESPONSES: LazyLock<SharedLru<ResponseKey, Cached>> =
    LazyLock::new(|| SharedLru::new(MAX_RESPONSES, MAX_RESPONSE_BYTES, Cached::weight));

fn responses() -> std::sync::MutexGuard<'static, Lru<ResponseKey, Cached>> {
    RESPONSES.lock()
}

/// The response cache's lookups and size.
pub fn stats() -> crate::web::lru::CacheStats {
    RESPONSES.stats()
}

/// How many responses are cached, and their weight in bytes.
pub fn sizes() -> (usize, usize) {
    RESPONSES.sizes()
}

/// The place of one response in the cache.
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

    /// A page whose header and controls depend on who is looking: the
    /// visitor is part of the key.
    pub fn for_visitor(
        stamp: &DataStamp,
        atlas: &ActiveAtlas,
        kind: &'static str,
        mut query: String,
    ) -> Self {
        query.push('\n');
        query.push_str(&crate::render::visitor::cache_key());
        ResponseSlot::new(stamp, atlas, kind, query)
    }

    fn get(&self) -> Option<Cached> {
        if !self.key.stamp.cacheable() {
            return None;
        }
        responses().get(&self.key).cloned()
    }

    /// The cached response, or the one `render` makes (then kept). Requests
    /// that miss the same entry at once (every view right after a write)
    /// take turns: the first renders, the others find its result, so a
    /// write costs one render, not one per waiting visitor.
    pub async fn get_or_render<F>(self, render: F) -> Result<Cached, AppError>
    where
        F: AsyncFnOnce() -> Result<Cached, AppError>,
    {
        if let Some(hit) = self.get() {
            return Ok(hit);
        }
        if !self.key.stamp.cacheable() {
            return render().await;
        }
        let turn = in_flight().entry(self.key.clone()).or_default().clone();
        let guard = turn.lock().await;
        let result = match self.get() {
            Some(hit) => Ok(hit),
            None => match render().await {
                Ok(fresh) => {
                    responses().insert(self.key.clone(), fresh.clone());
                    Ok(fresh)
                }
                Err(e) => Err(e),
            },
        };
        drop(guard);
        // The last one out removes the turn (the map holds one `Arc`).
        let mut map = in_flight();
        if map
            .get(&self.key)
            .is_some_and(|t| Arc::strong_count(t) <= 2)
        {
            map.remove(&self.key);
        }
        drop(map);
        drop(turn);
        result
    }
}

type Turns = HashMap<ResponseKey, Arc<tokio::sync::Mutex<()>>>;

/// The entries being rendered now, each with the turn its requests take.
static IN_FLIGHT: LazyLock<Mutex<Turns>> = LazyLock::new(Default::default);

fn in_flight() -> std::sync::MutexGuard<'static, Turns> {
    match IN_FLIGHT.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::atlas::model::{Release, SourceFormat};
    use crate::atlas::{ActiveAtlas, ReleaseInfo};

    fn atlas() -> ActiveAtlas {
        let release = Release {
            version: "t".into(),
            name: "t".into(),
            format: SourceFormat::Legacy,
            tactics: vec![],
            techniques: vec![],
            mitigations: vec![],
            case_studies: vec![],
        };
        let info = ReleaseInfo {
            version: "t".into(),
            name: "t".into(),
            format: "legacy".into(),
            source: "t".into(),
            imported_at: "single-flight".into(),
            is_active: true,
            has_descriptions: false,
            tactic_count: 0,
            technique_count: 0,
            mitigation_count: 0,
            case_study_count: 0,
        };
        ActiveAtlas::new(info, release)
    }

    #[tokio::test]
    async fn requests_missing_one_entry_at_once_render_it_once() {
        let atlas = atlas();
        let stamp = DataStamp {
            database: Some(Arc::from(std::path::Path::new("/single-flight.db"))),
            version: 7,
        };
        let renders = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let slot = ResponseSlot::new(&stamp, &atlas, "test", "q=1".into());
            let renders = renders.clone();
            tasks.push(tokio::spawn(async move {
                slot.get_or_render(async || {
                    renders.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok(Cached::html("<p>once</p>".into()))
                })
                .await
                .map(|c| c.body)
            }));
        }
        for t in tasks {
            assert_eq!(&t.await.unwrap().unwrap()[..], b"<p>once</p>");
        }
        assert_eq!(
            renders.load(Ordering::SeqCst),
            1,
            "one render for eight requests"
        );
        assert!(in_flight().is_empty(), "no turn is left behind");
        // A failed render is not kept: the next request renders again.
        let slot = ResponseSlot::new(&stamp, &atlas, "test", "q=2".into());
        let failed = slot
            .get_or_render(async || Err(AppError::Internal("boom".into())))
            .await;
        assert!(failed.is_err());
        let slot = ResponseSlot::new(&stamp, &atlas, "test", "q=2".into());
        let ok = slot
            .get_or_render(async || Ok(Cached::html("<p>again</p>".into())))
            .await
            .unwrap();
        assert_eq!(&ok.body[..], b"<p>again</p>");
    }
}
