//! The store itself: the connection pool, the writers' turn and the error
//! type every query returns.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard};

use super::backend::{BackendKind, Pool, Sql, Tx, Written, on_pool, on_tx};
use super::error::StoreResult;

/// The SQLite migrations compiled into this build (`migrations/sqlite`):
/// what [`Store::connect`] runs and `/readyz` compares with the database.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The PostgreSQL migrations (`migrations/postgres`), kept in step with the
/// SQLite ones (`tests/backend_schema.rs` compares the two schemas).
pub static MIGRATOR_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The key of the PostgreSQL advisory lock every write transaction takes
/// first (`pg_advisory_xact_lock`): writers take turns across all nodes as
/// they do on SQLite, whose `BEGIN IMMEDIATE` takes the database's one write
/// lock, so code that reads and then writes in one transaction sees no
/// other writer between the two.
pub(super) const WRITE_LOCK_KEY: i64 = 0x6174_6c61_7376_0001;

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
    pub(super) pool: Pool,
    /// Which database this is, for cache keys: the SQLite file or the
    /// PostgreSQL server and database; `None` for an in-memory database,
    /// which is never cached.
    pub(super) identity: Option<Arc<std::path::Path>>,
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
    /// Opens the database and runs pending migrations: PostgreSQL for a
    /// `postgres://` (or `postgresql://`) URL, otherwise SQLite (a `sqlite:`
    /// URL or a plain path, created if missing).
    pub async fn connect(database_url: &str) -> StoreResult<Self> {
        let (pool, identity) = if is_postgres_url(database_url) {
            let options = PgConnectOptions::from_str(database_url)?;
            let identity = format!(
                "postgres://{}:{}/{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or_default()
            );
            let pool = connect_postgres(options).await?;
            (
                Pool::Postgres(pool),
                Some(Arc::from(std::path::Path::new(&identity))),
            )
        } else {
            let pool = connect_sqlite(database_url).await?;
            let options = pool.connect_options();
            let file = options.get_filename();
            let in_memory =
                file.as_os_str().is_empty() || file.to_string_lossy().contains(":memory:");
            let identity = (!in_memory).then(|| Arc::from(file));
            (Pool::Sqlite(pool), identity)
        };
        Ok(Store {
            pool,
            identity,
            writer: Arc::new(Mutex::new(())),
        })
    }

    /// The database this store runs on.
    pub fn backend(&self) -> BackendKind {
        self.pool.kind()
    }

    /// The migrations of this store's backend.
    pub fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend() {
            BackendKind::Sqlite => &MIGRATOR,
            BackendKind::Postgres => &MIGRATOR_POSTGRES,
        }
    }

    /// Opens a write transaction: waits for the writer's turn, then takes
    /// the database's write lock up front (SQLite: `BEGIN IMMEDIATE`;
    /// PostgreSQL: the advisory lock [`WRITE_LOCK_KEY`], held to the end of
    /// the transaction). Keep the turn alive until the transaction is
    /// committed or dropped.
    pub(crate) async fn write(&self) -> StoreResult<(Tx, WriteTurn)> {
        let turn = WriteTurn {
            _guard: self.writer.clone().lock_owned().await,
        };
        let tx = match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK_KEY)
                    .execute(&mut *tx)
                    .await?;
                Tx::Postgres(tx)
            }
        };
        Ok((tx, turn))
    }

    /// Opens a read-only transaction: one consistent view for several reads
    /// (and what the helpers that also serve write transactions take).
    pub(crate) async fn read(&self) -> StoreResult<Tx> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Runs one writing statement in its own transaction, in turn; gives the
    /// number of rows it changed.
    pub(crate) async fn execute_write(&self, sql: Sql<'_>) -> StoreResult<Written> {
        let rows = match &self.pool {
            Pool::Sqlite(pool) => {
                let _turn = self.writer.lock().await;
                sql.query()?.execute(pool).await?.rows_affected()
            }
            // In a transaction of its own for the write lock.
            Pool::Postgres(_) => {
                let (mut tx, _turn) = self.write().await?;
                let rows = on_tx!(&mut tx, |ex| sql
                    .query()?
                    .execute(&mut *ex)
                    .await?
                    .rows_affected());
                tx.commit().await?;
                rows
            }
        };
        Ok(Written::new(rows))
    }

    pub async fn close(&self) {
        on_pool!(&self.pool, |p| p.close().await);
    }

    /// Connections of the pool in use and idle now (for `/metrics`).
    pub fn pool_use(&self) -> (u32, u32) {
        let (size, idle) = on_pool!(&self.pool, |p| (p.size(), p.num_idle()));
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        (size.saturating_sub(idle), idle)
    }

    /// Cheap liveness probe for `/healthz`.
    pub async fn ping(&self) -> StoreResult<()> {
        on_pool!(&self.pool, |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}

/// Current time as stored: RFC 3339 UTC with seconds precision.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A plain path is accepted as well as a `sqlite:` URL.
pub(super) fn sqlite_url(database_url: &str) -> String {
    if database_url.starts_with("sqlite:") {
        database_url.to_string()
    } else {
        format!("sqlite://{database_url}")
    }
}

async fn connect_sqlite(database_url: &str) -> StoreResult<sqlx::SqlitePool> {
    let url = sqlite_url(database_url);
    let options = SqliteConnectOptions::from_str(&url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        // Statement journals and temporary b-trees in memory: in a file, a
        // multi-row statement's journal spilled past 64 KiB at every
        // statement of a write transaction (708,000 of the 916,000 writes a
        // bulk import of 15,000 records made went to /var/tmp/etilqs_*).
        .pragma("temp_store", "memory")
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

async fn connect_postgres(options: PgConnectOptions) -> StoreResult<sqlx::PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .min_connections(1)
        // Statements never wait on a lock longer than SQLite's busy timeout.
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("SET lock_timeout = '10s'")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    // sqlx takes a PostgreSQL advisory lock for the run, so when several
    // nodes start at once one migrates and the others wait, then find
    // nothing left to do.
    MIGRATOR_POSTGRES.run(&pool).await?;
    Ok(pool)
}
