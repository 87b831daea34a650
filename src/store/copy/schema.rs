//! The tables to copy, as the target's schema has them (columns, types,
//! keys, references), and the checks made before anything is written: the
//! source's migrations are this build's, the target holds no rows and no
//! relation that atlasview's migrations do not create, and every table has
//! its twin on the other side.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{PgConnection, SqliteConnection};

use super::outcome::CopyError;

/// A column's type as the copy reads, writes and compares it: the types
/// the PostgreSQL migrations use (timestamps are RFC 3339 TEXT on both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// BIGINT; SQLite INTEGER.
    Int,
    /// BOOLEAN; SQLite INTEGER 0 or 1.
    Bool,
    /// TEXT; SQLite TEXT.
    Text,
    /// BYTEA; SQLite BLOB.
    Bytes,
}

impl Kind {
    fn of(data_type: &str) -> Option<Kind> {
        Some(match data_type {
            "bigint" => Kind::Int,
            "boolean" => Kind::Bool,
            "text" => Kind::Text,
            "bytea" => Kind::Bytes,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub(super) struct Column {
    pub name: String,
    pub kind: Kind,
}

/// A table of the target, with the columns the copy writes (generated
/// columns are left to PostgreSQL).
#[derive(Debug, Clone)]
pub(super) struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// The primary key's columns (every column when there is none): the
    /// order in which both sides are read for the checksum.
    pub key: Vec<String>,
    /// Tables this one references (foreign keys), copied before it.
    pub references: BTreeSet<String>,
}

impl Table {
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| quote(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// ORDER BY of the key, byte order on both backends (SQLite BINARY,
    /// PostgreSQL "C"), NULLs first as SQLite puts them.
    pub fn order_by(&self, postgres: bool) -> String {
        self.key
            .iter()
            .map(|k| {
                let text = self
                    .columns
                    .iter()
                    .any(|c| &c.name == k && c.kind == Kind::Text);
                match (postgres, text) {
                    (true, true) => format!("{} COLLATE \"C\" NULLS FIRST", quote(k)),
                    (true, false) => format!("{} NULLS FIRST", quote(k)),
                    (false, true) => format!("{} COLLATE BINARY", quote(k)),
                    (false, false) => quote(k),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An identifier quoted for either backend.
pub(super) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// PostgreSQL-only tables: sqlx's own, and the search index (rebuilt from
/// the copied incidents: SQLite's is an FTS5 table of another shape).
pub(super) const SEARCH_INDEX: &str = "search_index";
const POSTGRES_ONLY: &[&str] = &["_sqlx_migrations", SEARCH_INDEX];

/// SQLite-only tables: sqlx's own, SQLite's, and the FTS5 search index
/// (`incident_search` and its shadow tables `incident_search_*`).
fn sqlite_only(name: &str) -> bool {
    name == "_sqlx_migrations"
        || name == "search_docs"
        || name == "incident_search"
        || name.starts_with("incident_search_")
        || name.starts_with("sqlite_")
}

/// Tables the migrations write a row into, and the condition a row must
/// meet to be more than that seed: a target whose seed rows are as the
/// migrations left them is empty. The copy replaces them with the source's.
pub(super) const SEEDED: &[(&str, &str)] = &[
    ("data_versions", "version <> 0"),
    ("search_control", "deferred <> 0"),
];

/// The source's applied migrations against this build's: equal, or a
/// refusal naming the versions that differ.
pub(super) async fn check_source_migrations(src: &mut SqliteConnection) -> Result<(), CopyError> {
    let has_table: Option<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(&mut *src)
    .await?;
    if has_table.is_none() {
        return Err(CopyError::Schema(
            "the source has no migrations table: it is not an atlasview database".into(),
        ));
    }
    let applied: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *src)
            .await?;
    if let Some((version, _)) = applied.iter().find(|(_, ok)| !ok) {
        return Err(CopyError::SourceDirty { version: *version });
    }
    let applied: BTreeSet<i64> = applied.into_iter().map(|(v, _)| v).collect();
    let known: BTreeSet<i64> = crate::store::MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| m.version)
        .collect();
    let unknown: Vec<i64> = applied.difference(&known).copied().collect();
    if !unknown.is_empty() {
        return Err(CopyError::SourceAhead { unknown });
    }
    let missing: Vec<i64> = known.difference(&applied).copied().collect();
    if !missing.is_empty() {
        return Err(CopyError::SourceBehind { missing });
    }
    Ok(())
}

/// The tables and views the PostgreSQL migrations create (and do not drop
/// again), read from their SQL.
fn created_by_migrations() -> BTreeSet<String> {
    let mut made = BTreeSet::new();
    for m in crate::store::MIGRATOR_POSTGRES.iter() {
        if m.migration_type.is_down_migration() {
            continue;
        }
        let sql: String = m
            .sql
            .lines()
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let words: Vec<&str> = sql
            .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ';' | ','))
            .filter(|w| !w.is_empty())
            .collect();
        for (i, w) in words.iter().enumerate() {
            let create = *w == "create";
            if !create && *w != "drop" {
                continue;
            }
            let mut rest = words[i + 1..]
                .iter()
                .copied()
                .skip_while(|w| matches!(*w, "or" | "replace" | "materialized"));
            if !matches!(rest.next(), Some("table" | "view")) {
                continue;
            }
            let name = rest.find(|w| !matches!(*w, "if" | "not" | "exists"));
            if let Some(name) = name {
                let name = name.trim_matches('"').to_string();
                if create {
                    made.insert(name);
                } else {
                    made.remove(&name);
                }
            }
        }
    }
    made.insert("_sqlx_migrations".to_string());
    made
}

/// Every relation of the target outside PostgreSQL's own schemas that the
/// migrations do not create: a refusal naming the first. A sequence owned
/// by a column of one of our tables belongs to that table.
pub(super) async fn check_no_foreign_relations(tgt: &mut PgConnection) -> Result<(), CopyError> {
    let ours = created_by_migrations();
    let relations: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT n.nspname::text, c.relname::text, c.relkind::text, \
                (SELECT o.relname::text FROM pg_depend d JOIN pg_class o ON o.oid = d.refobjid \
                 WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass \
                   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
           AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = c.oid AND e.deptype = 'e') \
         ORDER BY 1, 2",
    )
    .fetch_all(&mut *tgt)
    .await?;
    let (schema,): (String,) = sqlx::query_as("SELECT current_schema()::text")
        .fetch_one(&mut *tgt)
        .await?;
    for (namespace, name, kind, owner) in relations {
        let known = namespace == schema
            && match (kind.as_str(), owner) {
                ("S", Some(table)) => ours.contains(&table),
                ("S", None) => false,
                _ => ours.contains(&name),
            };
        if !known {
            let kind = match kind.as_str() {
                "v" => "view",
                "m" => "materialized view",
                "f" => "foreign table",
                "S" => "sequence",
                _ => "table",
            };
            return Err(CopyError::ForeignRelation {
                kind,
                name: format!("{namespace}.{name}"),
            });
        }
    }
    Ok(())
}

/// The target's tables to copy, referenced tables first.
pub(super) async fn target_tables(tgt: &mut PgConnection) -> Result<Vec<Table>, CopyError> {
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_generated::text \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&mut *tgt)
    .await?;
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for (table, column, data_type, generated) in columns {
        if POSTGRES_ONLY.contains(&table.as_str()) {
            continue;
        }
        let entry = tables.entry(table.clone()).or_insert_with(|| Table {
            name: table.clone(),
            columns: Vec::new(),
            key: Vec::new(),
            references: BTreeSet::new(),
        });
        if generated == "ALWAYS" {
            continue;
        }
        let kind = Kind::of(&data_type).ok_or_else(|| {
            CopyError::Schema(format!(
                "{table}.{column} is {data_type}, a type the copy does not know"
            ))
        })?;
        entry.columns.push(Column { name: column, kind });
    }
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, a.attname::text \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, pos) \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
         WHERE i.indisprimary AND n.nspname = current_schema() \
         ORDER BY c.relname, k.pos",
    )
    .fetch_all(&mut *tgt)
    .await?;
    for (table, column) in keys {
        if let Some(t) = tables.get_mut(&table) {
            t.key.push(column);
        }
    }
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, r.relname::text FROM pg_constraint f \
         JOIN pg_class c ON c.oid = f.conrelid JOIN pg_class r ON r.oid = f.confrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE f.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(&mut *tgt)
    .await?;
    for (table, referenced) in references {
        if table != referenced
            && let Some(t) = tables.get_mut(&table)
        {
            t.references.insert(referenced);
        }
    }
    for t in tables.values_mut() {
        if t.key.is_empty() {
            t.key = t.columns.iter().map(|c| c.name.clone()).collect();
        }
    }
    in_reference_order(tables)
}

/// Referenced tables first, by name among equals.
fn in_reference_order(mut left: BTreeMap<String, Table>) -> Result<Vec<Table>, CopyError> {
    let mut ordered: Vec<Table> = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready: Vec<String> = left
            .values()
            .filter(|t| t.references.iter().all(|r| !left.contains_key(r)))
            .map(|t| t.name.clone())
            .collect();
        if ready.is_empty() {
            let names: Vec<&str> = left.keys().map(String::as_str).collect();
            return Err(CopyError::Schema(format!(
                "the foreign keys of {} reference each other round a loop",
                names.join(", ")
            )));
        }
        for name in ready {
            if let Some(t) = left.remove(&name) {
                ordered.push(t);
            }
        }
    }
    Ok(ordered)
}

/// A refusal when any table of the target holds a row the migrations did
/// not write (the search index included).
pub(super) async fn check_target_empty(
    tgt: &mut PgConnection,
    tables: &[Table],
) -> Result<(), CopyError> {
    let names = tables.iter().map(|t| t.name.as_str()).chain([SEARCH_INDEX]);
    for name in names {
        let condition = SEEDED
            .iter()
            .find(|(t, _)| *t == name)
            .map_or("TRUE", |(_, c)| *c);
        let (rows,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM {} WHERE {condition}",
            quote(name)
        ))
        .fetch_one(&mut *tgt)
        .await?;
        if rows > 0 {
            return Err(CopyError::TargetNotEmpty {
                table: name.to_string(),
                rows,
            });
        }
    }
    Ok(())
}

/// Every target table has its twin in the source with every column the
/// copy writes, and every source table has its twin in the target.
pub(super) async fn check_source_tables(
    src: &mut SqliteConnection,
    tables: &[Table],
) -> Result<(), CopyError> {
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut *src)
            .await?;
    let source: BTreeSet<String> = names
        .into_iter()
        .map(|(n,)| n)
        .filter(|n| !sqlite_only(n))
        .collect();
    let target: BTreeSet<String> = tables.iter().map(|t| t.name.clone()).collect();
    if let Some(extra) = source.difference(&target).next() {
        return Err(CopyError::Schema(format!(
            "the source has table {extra}, which the PostgreSQL schema lacks"
        )));
    }
    if let Some(missing) = target.difference(&source).next() {
        return Err(CopyError::Schema(format!(
            "the PostgreSQL schema has table {missing}, which the source lacks"
        )));
    }
    for table in tables {
        let columns: Vec<(String,)> = sqlx::query_as("SELECT name FROM pragma_table_info($1)")
            .bind(&table.name)
            .fetch_all(&mut *src)
            .await?;
        let have: BTreeSet<String> = columns.into_iter().map(|(c,)| c).collect();
        if let Some(c) = table.columns.iter().find(|c| !have.contains(&c.name)) {
            return Err(CopyError::Schema(format!(
                "the source's {} has no column {}",
                table.name, c.name
            )));
        }
        if have.len() != table.columns.len() {
            let written: BTreeSet<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
            let extra = have.iter().find(|c| !written.contains(c.as_str()));
            return Err(CopyError::Schema(format!(
                "the source's {}.{} has no column in PostgreSQL to go to",
                table.name,
                extra.map_or("?", String::as_str)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migrations_create_the_tables_and_views_they_keep() {
        let made = created_by_migrations();
        for name in [
            "incidents",
            "audit_log",
            "search_index",
            "search_document",
            "tag_counts",
        ] {
            assert!(made.contains(name), "{name} missing from {made:?}");
        }
        assert!(!made.contains("trigger"), "{made:?}");
        assert!(!made.contains("index"), "{made:?}");
    }
}
