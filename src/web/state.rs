//! Shared application state handed to every handler.

use std::sync::{Arc, RwLock};

use crate::atlas::ActiveAtlas;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub atlas: AtlasCell,
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
