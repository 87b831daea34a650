//! Which incident is the copy of an ATLAS case study (the case-study import
//! keeps the study's ID as the incident's `source_ref`).

use super::{Store, StoreResult};
use crate::store::backend::on_pool;

impl Store {
    /// The incident imported from `case_study_id`, as `(id, title)`.
    pub async fn incident_copy_of(
        &self,
        case_study_id: &str,
    ) -> StoreResult<Option<(String, String)>> {
        Ok(on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT id, title FROM incidents WHERE source_ref = $1 ORDER BY created_at, id LIMIT 1",
        )
        .bind(case_study_id)
        .fetch_optional(db)
        .await)?)
    }
}
