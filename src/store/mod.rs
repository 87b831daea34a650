//! Storage: every SQL statement of atlasview lives below this module, behind
//! [`Store`]. The SQL is kept portable (SQLite now, PostgreSQL next): `$n`
//! placeholders in order, TEXT timestamps in RFC 3339, no SQLite-only functions.

mod alerts;
mod atlas;
mod audit;
mod auth;
mod ids;
mod imports;
mod incidents;
mod matrix;
mod report;
mod retrospective;

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use alerts::{
    AlertListItem, AlertTx, CorrelatedIncident, NewAlert, NewHit, NewStep, RuleRow, SourceStats,
    StepAlert, StepAlerts, StepState, ToConfirm, UnmappedHit, split_tactics,
};
pub use atlas::ImportOutcome;
pub use audit::{AuditEntry, AuditEvent, AuditQuery};
pub use auth::{Resolved, TokenInfo, User};
pub use ids::new_id;
pub use imports::{OriginRecord, Upsert};
pub use incidents::{IncidentQuery, IncidentSummary, Page, Sort};
pub use matrix::{
    AggregateIncident, CellAggregate, DataStamp, MatrixAggregate, StepHit, TechniqueHit,
    TechniqueHits,
};
pub use report::{ReportData, ReportIncident, ReportStep};
pub use retrospective::{CheckInput, MitigationCheck, RetroNotes, Retrospective};

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

/// The repository: a cheap-to-clone handle on the connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if missing) the database and runs pending migrations.
    pub async fn connect(database_url: &str) -> StoreResult<Self> {
        // A plain path is accepted as well as a `sqlite:` URL.
        let url = if database_url.starts_with("sqlite:") {
            database_url.to_string()
        } else {
            format!("sqlite://{database_url}")
        };
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Cheap liveness probe for `/healthz`.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Current time as stored: RFC 3339 UTC with seconds precision.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
