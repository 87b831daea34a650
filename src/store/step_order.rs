//! Moving one step to a given place in its incident's attack path, in one
//! transaction: the order is read, changed and written under the write lock,
//! with the incident's optimistic version checked and bumped.

use super::incidents::{bump_version, renumber, step_order};
use super::{Store, StoreError, StoreResult};

impl Store {
    /// Moves `step_id` to the 1-based `position` (clamped to the path's
    /// length), the other steps keeping their order. Returns the incident's
    /// version (unchanged when the step already was there). A step of another incident is `NotFound`; a stale
    /// `expected_version` is a `Conflict`.
    pub async fn move_step_to(
        &self,
        incident_id: &str,
        step_id: &str,
        position: i64,
        expected_version: Option<i64>,
    ) -> StoreResult<i64> {
        let (mut tx, _turn) = self.write().await?;
        let version = bump_version(&mut tx, incident_id, expected_version).await?;
        let mut order = step_order(&mut tx, incident_id).await?;
        let Some(at) = order.iter().position(|s| s == step_id) else {
            return Err(StoreError::NotFound(format!(
                "step {step_id} of incident {incident_id}"
            )));
        };
        let moved = order.remove(at);
        let to = usize::try_from(position.max(1) - 1)
            .unwrap_or(0)
            .min(order.len());
        order.insert(to, moved);
        if to == at {
            // Already there: nothing is written, the version stays.
            tx.rollback().await?;
            return Ok(version - 1);
        }
        renumber(&mut tx, &order).await?;
        tx.commit().await?;
        Ok(version)
    }
}
