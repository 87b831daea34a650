//! Shared application state handed to every handler.

use std::sync::{Arc, RwLock};

use super::config::WebConfig;
use super::metrics::Metrics;
use super::rate_limit::{AccountLockout, LoginLimiter};
use crate::atlas::ActiveAtlas;
use crate::service::ingest_queue::IngestQueue;
use crate::service::releases;
use crate::store::{Store, StoreError};

/// Setup attempts allowed per client address per minute.
pub const SETUP_ATTEMPTS_PER_MINUTE: u32 = 5;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub atlas: AtlasCell,
    pub config: Arc<WebConfig>,
    pub login_limiter: Arc<LoginLimiter>,
    /// Attempts at the first-run setup page, per client address.
    pub setup_limiter: Arc<LoginLimiter>,
    /// Wrong passwords per account (sign-in and password change).
    pub lockout: Arc<AccountLockout>,
    /// Alert ingestion's writer: concurrent requests commit in groups.
    pub ingest: IngestQueue,
    /// The Prometheus counters (shared by every clone).
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(store: Store, atlas: ActiveAtlas, config: WebConfig) -> Self {
        AppState {
            ingest: IngestQueue::new(&store),
            store,
            atlas: AtlasCell::new(atlas),
            login_limiter: Arc::new(LoginLimiter::new(config.login_attempts_per_minute)),
            setup_limiter: Arc::new(LoginLimiter::new(SETUP_ATTEMPTS_PER_MINUTE)),
            lockout: Arc::new(AccountLockout::new()),
            metrics: Metrics::default(),
            config: Arc::new(config),
        }
    }
}

/// The active release, swapped atomically after an import so readers never
/// wait on SQL for knowledge-base facts, with the stamp of the stored
/// releases it was loaded at: [`AtlasCell::refresh`] reloads it when another
/// node or the CLI changed them.
#[derive(Clone)]
pub struct AtlasCell(Arc<AtlasSlot>);

struct AtlasSlot {
    loaded: RwLock<Loaded>,
    /// One reload at a time: requests that find the release stale together
    /// wait for the first one's load instead of each loading it.
    reloading: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Loaded {
    atlas: Arc<ActiveAtlas>,
    /// `None` until read (at start, after a local [`AtlasCell::set`]): the
    /// next refresh then reads the stamp and reloads once.
    stamp: Option<i64>,
}

impl AtlasCell {
    pub fn new(atlas: ActiveAtlas) -> Self {
        AtlasCell(Arc::new(AtlasSlot {
            loaded: RwLock::new(Loaded {
                atlas: Arc::new(atlas),
                stamp: None,
            }),
            reloading: tokio::sync::Mutex::new(()),
        }))
    }

    fn loaded(&self) -> Loaded {
        match self.0.loaded.read() {
            Ok(guard) => guard.clone(),
            // A writer never panics while holding the lock, but stay correct if one did.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn put(&self, atlas: ActiveAtlas, stamp: Option<i64>) {
        let fresh = Loaded {
            atlas: Arc::new(atlas),
            stamp,
        };
        match self.0.loaded.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }

    /// A snapshot of the active release; cheap (one `Arc` clone).
    pub fn get(&self) -> Arc<ActiveAtlas> {
        self.loaded().atlas
    }

    /// Puts in place the release this server just imported or activated.
    pub fn set(&self, atlas: ActiveAtlas) {
        self.put(atlas, None);
    }

    /// Reloads the active release when the stored releases changed since it
    /// was loaded (one primary-key read when they did not). The stamp is
    /// read before the release, so a change during the load is seen by the
    /// next refresh rather than lost.
    pub async fn refresh(&self, store: &Store) -> Result<(), StoreError> {
        let stamp = releases::stamp(store).await?;
        if self.loaded().stamp == Some(stamp) {
            return Ok(());
        }
        let _turn = self.0.reloading.lock().await;
        let stamp = releases::stamp(store).await?;
        if self.loaded().stamp == Some(stamp) {
            return Ok(());
        }
        let atlas = releases::load_or_seed(store).await?;
        self.put(atlas, Some(stamp));
        Ok(())
    }
}
