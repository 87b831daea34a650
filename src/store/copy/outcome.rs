//! What a copy reports: its progress, what it copied, and why it refused
//! or stopped (every refusal before anything is written; every later
//! failure rolls the one transaction back).

use crate::store::StoreError;

/// One table copied and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopied {
    pub table: String,
    pub rows: u64,
    /// SHA-256 (hex) of the canonical form of every row in primary-key
    /// order, equal on both sides.
    pub sha256: String,
}

/// What [`super::sqlite_to_postgres`] committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOutcome {
    /// In the order copied (referenced tables first).
    pub tables: Vec<TableCopied>,
    /// Documents of the search index, rebuilt on the target.
    pub search_documents: u64,
    /// Sequences set past the copied values (`table.column`).
    pub sequences: Vec<String>,
}

impl CopyOutcome {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// Where a copy is, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyProgress<'a> {
    /// A table's rows are in the target (`index` of `of`, from 1).
    Copied {
        table: &'a str,
        rows: u64,
        index: usize,
        of: usize,
    },
    /// The search index is rebuilt from the copied incidents.
    Reindexed { documents: u64 },
    /// A table's rows read back from the target match the source's.
    Checked {
        table: &'a str,
        index: usize,
        of: usize,
    },
}

/// Why a copy refused or stopped. Nothing is committed in any case.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(
        "the target database is not empty: table {table} holds {rows} row(s); copy into a new, empty PostgreSQL database (createdb) that no server has started on"
    )]
    TargetNotEmpty { table: String, rows: i64 },
    #[error(
        "the target database holds {kind} {name}, which atlasview's migrations do not create; copy into a new, empty PostgreSQL database of its own"
    )]
    ForeignRelation { kind: &'static str, name: String },
    #[error(
        "the source database is behind this build: migration(s) {} not applied to it; start this build's server on it once (it migrates on start), stop it, then copy",
        versions(.missing)
    )]
    SourceBehind { missing: Vec<i64> },
    #[error(
        "the source database is ahead of this build: it has migration(s) {} that this build does not know; copy with the build that wrote it",
        versions(.unknown)
    )]
    SourceAhead { unknown: Vec<i64> },
    #[error("the source database has a failed migration {version}; repair it before copying")]
    SourceDirty { version: i64 },
    #[error(
        "trigger {trigger} on {table} in the target is not one the copy knows (derived data or the audit log's guard); the copy stops rather than copy under it"
    )]
    UnknownTrigger { table: String, trigger: String },
    #[error("the schemas of the source and the target differ: {0}")]
    Schema(String),
    #[error("{table}.{column}: {problem}")]
    Value {
        table: String,
        column: String,
        problem: String,
    },
    #[error(
        "table {table} differs after the copy: the source has {source_rows} row(s) (SHA-256 {source_sha256}), the target {target_rows} ({target_sha256}); rolled back, nothing written"
    )]
    Mismatch {
        table: String,
        source_rows: u64,
        target_rows: u64,
        source_sha256: String,
        target_sha256: String,
    },
    #[error("copying table {table}: {source}")]
    Table {
        table: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> Self {
        CopyError::Store(StoreError::Database(e))
    }
}

impl From<sqlx::migrate::MigrateError> for CopyError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        CopyError::Store(StoreError::Migrate(e))
    }
}

fn versions(list: &[i64]) -> String {
    list.iter()
        .map(|v| format!("{v:04}"))
        .collect::<Vec<_>>()
        .join(", ")
}
