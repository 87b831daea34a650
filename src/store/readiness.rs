//! What `/readyz` asks the database: which migrations it has applied and
//! whether a release is active. The migrations this build knows are
//! [`super::MIGRATOR`]'s, the same list [`Store::connect`] runs.

use crate::store::backend::on_pool;
use crate::store::{Store, StoreResult};

/// One migration as the database recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: i64,
    pub checksum: Vec<u8>,
    /// `false`: it started and failed (sqlx leaves the row dirty).
    pub success: bool,
}

impl Store {
    /// The rows of sqlx's own table (made by the first migration run).
    pub async fn applied_migrations(&self) -> StoreResult<Vec<AppliedMigration>> {
        let rows: Vec<(i64, Vec<u8>, bool)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(db)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(version, checksum, success)| AppliedMigration {
                version,
                checksum,
                success,
            })
            .collect())
    }

    /// The version of the active release, if one is (a cheap read, unlike
    /// loading it).
    pub async fn active_release_version(&self) -> StoreResult<Option<String>> {
        let row: Option<(String,)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT version FROM atlas_releases WHERE is_active"
        )
        .fetch_optional(db)
        .await)?;
        Ok(row.map(|(v,)| v))
    }
}
