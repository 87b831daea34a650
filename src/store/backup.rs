//! `atlasview db backup`: a consistent copy of a SQLite database while the
//! server runs, written by SQLite itself (`VACUUM INTO`: one read
//! transaction, so writers carry on and the copy is the database as of one
//! commit, compacted, in one file without `-wal`), then checked.
//!
//! It opens a connection of its own rather than a [`super::Store`]: a backup
//! taken before an upgrade must be of the database as it is, so no migration
//! runs, and a database that does not exist is an error, not a new one.

use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::{BUSY_TIMEOUT, StoreResult};

/// What the copy holds, read back from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCheck {
    /// `PRAGMA integrity_check`'s answer: `ok`, or the problems it found.
    pub integrity: String,
    pub incidents: i64,
    pub audit_records: i64,
}

impl BackupCheck {
    pub fn is_intact(&self) -> bool {
        self.integrity == "ok"
    }
}

/// A path or a `sqlite:` URL, as the server takes it.
fn options(database_url: &str) -> StoreResult<SqliteConnectOptions> {
    let url = super::pool::sqlite_url(database_url);
    Ok(SqliteConnectOptions::from_str(&url)?.busy_timeout(BUSY_TIMEOUT))
}

/// Writes a consistent copy of the database at `database_url` to `target`
/// (SQLite refuses a target that exists and is not empty).
pub async fn vacuum_into(database_url: &str, target: &str) -> StoreResult<()> {
    let mut conn = options(database_url)?.connect().await?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// Opens a copy read-only and checks it: integrity, and what it holds.
pub async fn check_copy(path: &str) -> StoreResult<BackupCheck> {
    let mut conn = options(path)?.read_only(true).connect().await?;
    let problems: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await?;
    let integrity = problems
        .into_iter()
        .map(|(p,)| p)
        .collect::<Vec<_>>()
        .join("; ");
    let (incidents,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM incidents")
        .fetch_one(&mut conn)
        .await?;
    let (audit_records,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(BackupCheck {
        integrity,
        incidents,
        audit_records,
    })
}
