//! The target's triggers during the copy. Those that keep derived data
//! (the data version and changed-incident notes, the tag counts, the search
//! index) are disabled: the copied tables bring their derived rows as the
//! source has them, and the search index is rebuilt once at the end. The
//! audit log's guards stay on (COPY inserts; they refuse UPDATE, DELETE and
//! TRUNCATE). Any other trigger stops the copy: a new migration's trigger
//! has to be classed here before a copy runs under it.

use sqlx::PgConnection;

use super::outcome::CopyError;
use super::schema::{Table, quote};

/// Triggers whose names start so keep derived data.
const DERIVED: &[&str] = &["data_version_", "tag_counts_", "search_"];

/// The audit log's append-only guards.
const GUARDS: &[(&str, &str)] = &[
    ("audit_log", "audit_log_no_update"),
    ("audit_log", "audit_log_no_delete"),
    ("audit_log", "audit_log_no_truncate"),
];

/// A derived-data trigger, disabled for the copy.
#[derive(Debug, Clone)]
pub(super) struct Derived {
    table: String,
    trigger: String,
}

/// The derived-data triggers of the target's tables, or a refusal naming
/// a trigger that is neither derived nor a guard.
pub(super) async fn derived(
    tgt: &mut PgConnection,
    tables: &[Table],
) -> Result<Vec<Derived>, CopyError> {
    let all: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, t.tgname::text FROM pg_trigger t \
         JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT t.tgisinternal AND n.nspname = current_schema() ORDER BY 1, 2",
    )
    .fetch_all(&mut *tgt)
    .await?;
    let mut derived = Vec::new();
    for (table, trigger) in all {
        if GUARDS.contains(&(table.as_str(), trigger.as_str())) {
            continue;
        }
        let ours = tables.iter().any(|t| t.name == table);
        if ours && DERIVED.iter().any(|p| trigger.starts_with(p)) {
            derived.push(Derived { table, trigger });
        } else {
            return Err(CopyError::UnknownTrigger { table, trigger });
        }
    }
    Ok(derived)
}

/// `ALTER TABLE … DISABLE` (or `ENABLE`) `TRIGGER` for each, inside the
/// copy's transaction (a rollback undoes it too).
pub(super) async fn set_enabled(
    tgt: &mut PgConnection,
    triggers: &[Derived],
    enabled: bool,
) -> Result<(), CopyError> {
    let verb = if enabled { "ENABLE" } else { "DISABLE" };
    for t in triggers {
        sqlx::query(&format!(
            "ALTER TABLE {} {verb} TRIGGER {}",
            quote(&t.table),
            quote(&t.trigger)
        ))
        .execute(&mut *tgt)
        .await?;
    }
    Ok(())
}
