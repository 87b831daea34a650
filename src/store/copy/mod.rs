//! `atlasview db copy --to postgres://…`: a SQLite database copied into an
//! empty PostgreSQL one, in one PostgreSQL transaction, checked before it
//! commits.
//!
//! 1. The source is opened without migrating it (a read transaction: one
//!    consistent moment, also if a server still writes) and its applied
//!    migrations must be this build's.
//! 2. The target is migrated (sqlx's own lock), then one transaction takes
//!    the write lock every writer takes ([`super::pool::WRITE_LOCK_KEY`])
//!    and refuses, before writing anything: a row in any table, a relation
//!    the migrations do not create, a table without its twin, a trigger the
//!    copy does not know.
//! 3. The derived-data triggers are disabled; every table is copied with
//!    `COPY … FROM STDIN`, referenced tables first; sequences are set past
//!    the copied values; the search index is rebuilt; the triggers are
//!    enabled again.
//! 4. Every table's row count and SHA-256 (of every row in key order,
//!    computed from the values each side reads) must match, or the copy
//!    rolls back naming the table. Then it commits.

mod outcome;
mod rows;
mod schema;
mod triggers;

use std::str::FromStr;

use futures_util::future::BoxFuture;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

pub use outcome::{CopyError, CopyOutcome, CopyProgress, TableCopied};

use super::pool::{BUSY_TIMEOUT, MIGRATOR_POSTGRES, WRITE_LOCK_KEY, sqlite_url};

/// Runs on the target's transaction once the rows are in, before anything
/// else (a test corrupts the copy there to see the check refuse it).
pub type BeforeCheck =
    Box<dyn for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, Result<(), sqlx::Error>> + Send>;

/// Told each step of the copy (a progress line).
pub type Progress = Box<dyn FnMut(CopyProgress<'_>) + Send>;

/// How a copy reports and what a test may do inside it.
#[derive(Default)]
pub struct CopyOptions {
    pub progress: Option<Progress>,
    pub before_check: Option<BeforeCheck>,
}

impl CopyOptions {
    fn tell(&mut self, step: CopyProgress<'_>) {
        if let Some(progress) = self.progress.as_mut() {
            progress(step);
        }
    }
}

/// Copies the SQLite database at `source` (a path or `sqlite:` URL) into
/// the empty PostgreSQL database at `target`. On any error nothing is
/// committed (only the target's migrations, which run first, stay).
pub async fn sqlite_to_postgres(
    source: &str,
    target: &str,
    mut options: CopyOptions,
) -> Result<CopyOutcome, CopyError> {
    let mut src = SqliteConnectOptions::from_str(&sqlite_url(source))?
        .busy_timeout(BUSY_TIMEOUT)
        .connect()
        .await?;
    let mut read = src.begin().await?;
    schema::check_source_migrations(&mut read).await?;

    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(PgConnectOptions::from_str(target)?)
        .await?;
    MIGRATOR_POSTGRES.run(&pool).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL lock_timeout = '10s'")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITE_LOCK_KEY)
        .execute(&mut *tx)
        .await?;

    schema::check_no_foreign_relations(&mut tx).await?;
    let tables = schema::target_tables(&mut tx).await?;
    schema::check_target_empty(&mut tx, &tables).await?;
    schema::check_source_tables(&mut read, &tables).await?;
    let derived = triggers::derived(&mut tx, &tables).await?;

    triggers::set_enabled(&mut tx, &derived, false).await?;
    for (seeded, _) in schema::SEEDED {
        sqlx::query(&format!("DELETE FROM {}", schema::quote(seeded)))
            .execute(&mut *tx)
            .await?;
    }
    let mut source_digests = Vec::with_capacity(tables.len());
    for (i, table) in tables.iter().enumerate() {
        let digest = rows::copy_table(&mut read, &mut tx, table).await?;
        options.tell(CopyProgress::Copied {
            table: &table.name,
            rows: digest.rows,
            index: i + 1,
            of: tables.len(),
        });
        source_digests.push(digest);
    }
    read.commit().await?;
    src.close().await?;
    if let Some(hook) = options.before_check.take() {
        hook(&mut tx).await?;
    }
    let sequences = set_sequences(&mut tx).await?;
    let search_documents = reindex(&mut tx).await?;
    options.tell(CopyProgress::Reindexed {
        documents: search_documents,
    });
    triggers::set_enabled(&mut tx, &derived, true).await?;

    let mut copied = Vec::with_capacity(tables.len());
    for (i, (table, source)) in tables.iter().zip(source_digests).enumerate() {
        let target = rows::digest_target(&mut tx, table).await?;
        if target != source {
            return Err(CopyError::Mismatch {
                table: table.name.clone(),
                source_rows: source.rows,
                target_rows: target.rows,
                source_sha256: source.sha256,
                target_sha256: target.sha256,
            });
        }
        options.tell(CopyProgress::Checked {
            table: &table.name,
            index: i + 1,
            of: tables.len(),
        });
        copied.push(TableCopied {
            table: table.name.clone(),
            rows: source.rows,
            sha256: source.sha256,
        });
    }
    let incidents = copied
        .iter()
        .find(|t| t.table == "incidents")
        .map_or(0, |t| t.rows);
    if search_documents != incidents {
        return Err(CopyError::Schema(format!(
            "the rebuilt search index has {search_documents} documents for {incidents} incidents"
        )));
    }
    tx.commit().await?;
    // Fresh tables have no planner statistics until autovacuum comes round:
    // gather them now, so the first requests on the copy get good plans.
    sqlx::query("ANALYZE").execute(&pool).await?;
    pool.close().await;
    Ok(CopyOutcome {
        tables: copied,
        search_documents,
        sequences,
    })
}

/// Every sequence owned by a column (serial or identity) continues after
/// the column's largest copied value; gives them as `table.column`.
async fn set_sequences(tgt: &mut PgConnection) -> Result<Vec<String>, CopyError> {
    let owned: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT s.oid::regclass::text, c.relname::text, a.attname::text \
         FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' \
         JOIN pg_class c ON c.oid = d.refobjid \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass \
           AND d.deptype IN ('a', 'i') AND n.nspname = current_schema() \
         ORDER BY 2, 3",
    )
    .fetch_all(&mut *tgt)
    .await?;
    let mut set = Vec::with_capacity(owned.len());
    for (sequence, table, column) in owned {
        let column_q = schema::quote(&column);
        sqlx::query(&format!(
            "SELECT setval($1::regclass, COALESCE(MAX({column_q}), 1), MAX({column_q}) IS NOT NULL) FROM {}",
            schema::quote(&table)
        ))
        .bind(&sequence)
        .execute(&mut *tgt)
        .await?;
        set.push(format!("{table}.{column}"));
    }
    Ok(set)
}

/// The search index written afresh for every incident by the function the
/// search triggers and the store's reindex call (PostgreSQL 0012, 0025).
async fn reindex(tgt: &mut PgConnection) -> Result<u64, CopyError> {
    sqlx::query("SELECT search_reindex(ARRAY(SELECT id FROM incidents))")
        .execute(&mut *tgt)
        .await?;
    let (documents,): (i64,) = sqlx::query_as(&format!(
        "SELECT COUNT(*) FROM {}",
        schema::quote(schema::SEARCH_INDEX)
    ))
    .fetch_one(&mut *tgt)
    .await?;
    Ok(u64::try_from(documents).unwrap_or(0))
}
