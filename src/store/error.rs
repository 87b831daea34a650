//! The error every query of the store returns, on either backend.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("version conflict: {0}")]
    Conflict(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// SQLite could not get its lock within the busy timeout (codes 5 and 6
    /// and their extended forms such as 517, `SQLITE_BUSY_SNAPSHOT`): the
    /// change clashed with another one and may simply be tried again.
    ///
    /// On PostgreSQL the same holds of a serialisation failure (40001), a
    /// deadlock (40P01) and a lock not available (55P03).
    pub fn is_busy(&self) -> bool {
        let StoreError::Database(sqlx::Error::Database(e)) = self else {
            return false;
        };
        let Some(code) = e.code() else {
            return false;
        };
        if e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .is_some()
        {
            return matches!(code.as_ref(), "40001" | "40P01" | "55P03");
        }
        code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
    }
}
