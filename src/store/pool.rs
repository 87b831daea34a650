//! The store itself: the connection pool, the writers' turn and the error
//! type every query returns.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};
use sqlx::{Sqlite, SqlitePool, Transaction};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard};

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
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => e
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|c| matches!(c & 0xff, 5 | 6)),
            _ => false,
        }
    }
}

/// The migrations compiled into this build (`migrations/sqlite/`): what
/// [`Store::connect`] runs and `/readyz` compares with the database.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// PostgreSQL's twins of [`MIGRATOR`]'s migrations (`migrations/postgres/`,
/// the same numbers and the same end state; tests/backend_schema.rs compares).
pub static MIGRATOR_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a statement waits for SQLite's lock (held by another process,
/// such as the CLI) before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The repository: a cheap-to-clone handle on the connection pool.
///
/// Writes take turns: every write first takes `writer` (a fair queue inside
/// this process), and write transactions start with `BEGIN IMMEDIATE`, so
/// that SQLite's write lock is held from the first statement. A transaction
/// that read first and then wanted to write could otherwise be refused with
/// `SQLITE_BUSY` without waiting, which a request would see as a 500.
#[derive(Clone, Debug)]
pub struct Store {
    pub(super) pool: SqlitePool,
    writer: Arc<Mutex<()>>,
}

/// The writer's turn, held for as long as a write transaction is open.
/// Its end (after the COMMIT or rollback) wakes the webhook sender when
/// the transaction queued a delivery.
pub(crate) struct WriteTurn {
    _guard: OwnedMutexGuard<()>,
}

impl Drop for WriteTurn {
    fn drop(&mut self) {
        if DELIVERY_QUEUED.swap(false, Ordering::AcqRel) {
            WEBHOOK_WAKE.notify_waiters();
        }
    }
}

/// Set when a transaction queued a webhook delivery; the write turn's end
/// wakes the sender (after the COMMIT, or the rollback, which it then finds
/// empty; it polls besides).
static DELIVERY_QUEUED: AtomicBool = AtomicBool::new(false);
static WEBHOOK_WAKE: Notify = Notify::const_new();

/// Called by whatever queues a webhook delivery, inside its transaction.
pub(super) fn delivery_queued() {
    DELIVERY_QUEUED.store(true, Ordering::Release);
}

/// What the webhook sender waits on between rounds.
pub fn webhook_wake() -> &'static Notify {
    &WEBHOOK_WAKE
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
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Store {
            pool,
            writer: Arc::new(Mutex::new(())),
        })
    }

    /// Opens a write transaction: waits for the writer's turn, then `BEGIN
    /// IMMEDIATE` takes SQLite's write lock up front. Keep the turn alive
    /// until the transaction is committed or dropped.
    pub(crate) async fn write(&self) -> StoreResult<(Transaction<'static, Sqlite>, WriteTurn)> {
        let turn = WriteTurn {
            _guard: self.writer.clone().lock_owned().await,
        };
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok((tx, turn))
    }

    /// Runs one writing statement on its own (auto-committed), in turn.
    pub(crate) async fn execute_write<'q>(
        &self,
        query: sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>,
    ) -> StoreResult<SqliteQueryResult> {
        let _turn = self.writer.lock().await;
        Ok(query.execute(&self.pool).await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Connections of the pool in use and idle now (for `/metrics`).
    pub fn pool_use(&self) -> (u32, u32) {
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        (self.pool.size().saturating_sub(idle), idle)
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
