//! Shared application state handed to every handler.

use std::sync::{Arc, RwLock};

use super::config::WebConfig;
use super::metrics::Metrics;
use super::rate_limit::{AccountLockout, LoginLimiter};
use crate::atlas::ActiveAtlas;
use crate::service::ingest_queue::IngestQueue;
use crate::store::Store;

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
/// wait on SQL for knowledge-base facts.
#[derive(Clone)]
pub struct AtlasCell(Arc<RwLock<Arc<ActiveAtlas>>>);

impl AtlasCell {
    pub fn new(atlas: ActiveAtlas) -> Self {
        AtlasCell(Arc::new(RwLock::new(Arc::new(atlas))))
    }

    /// A snapshot of the active release; cheap (one `Arc` clone).
    pub fn get(&self) -> Arc<ActiveAtlas> {
        match self.0.read() {
            Ok(guard) => guard.clone(),
            // A writer never panics while holding the lock, but stay correct if one did.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set(&self, atlas: ActiveAtlas) {
        let fresh = Arc::new(atlas);
        match self.0.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }
}
