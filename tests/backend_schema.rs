//! The two backends' schemas (issue 18): SQLite's migrations and their
//! PostgreSQL twins (migrations/README.md) give the same tables, columns
//! (normalised type, nullability, default), primary keys, unique
//! constraints, foreign keys, indexes, views and triggers, but for the
//! objects one backend has alone, listed in [`SQLITE_ONLY`] and
//! [`POSTGRES_ONLY`]. So the SQL in `src/store` finds the same schema on both.

use std::collections::{BTreeMap, BTreeSet};

use atlasview::store::{MIGRATOR, MIGRATOR_POSTGRES};
use sqlx::{Connection, PgConnection, SqliteConnection};

use crate::support::fresh_postgres_database;

/// Tables and views on one backend only; their indexes and triggers go with them.
const SQLITE_ONLY: &[&str] = &[
    // FTS5 needs an integer rowid per document: search_docs numbers the incidents.
    "search_docs",
    // The FTS5 index (a virtual table) and the shadow tables FTS5 keeps it in.
    "incident_search",
    "incident_search_config",
    "incident_search_content",
    "incident_search_data",
    "incident_search_docsize",
    "incident_search_idx",
];
const POSTGRES_ONLY: &[&str] = &[
    // The search documents with their trigram and tsvector indexes (0012).
    "search_index",
];
/// Triggers on one backend only (on tables both have).
const POSTGRES_ONLY_TRIGGERS: &[&str] = &[
    // TRUNCATE fires no row trigger; SQLite has no TRUNCATE.
    "audit_log_no_truncate",
];

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    /// integer, text, boolean, blob or real; anything else as the backend names it.
    kind: String,
    not_null: bool,
    has_default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    columns: Vec<String>,
    table: String,
    to: Vec<String>,
    on_delete: String,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: Vec<Column>,
    primary_key: Vec<String>,
    unique: BTreeSet<Vec<String>>,
    foreign_keys: BTreeSet<ForeignKey>,
}

#[derive(Debug, PartialEq, Eq)]
struct Index {
    table: String,
    /// Normalised key columns or expressions, `…/desc` when descending.
    keys: Vec<String>,
    unique: bool,
    /// The normalised predicate of a partial index.
    predicate: String,
}

#[derive(Debug, Default)]
struct Schema {
    tables: BTreeMap<String, Table>,
    views: BTreeMap<String, Vec<String>>,
    indexes: BTreeMap<String, Index>,
    /// (table, trigger).
    triggers: BTreeSet<(String, String)>,
}

/// An SQL expression with case, spaces, quotes and parentheses taken out:
/// `(mapped = false)` and `mapped = FALSE`, `lower(title)` and `LOWER(title)`
/// read alike.
fn normalise(expr: &str) -> String {
    expr.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '"' | '(' | ')'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The type SQLite was given, as the kind both backends must agree on.
fn sqlite_kind(declared: &str) -> String {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" | "BIGINT" => "integer",
        "TEXT" => "text",
        "BOOLEAN" => "boolean",
        "BLOB" | "BYTEA" => "blob",
        "REAL" | "DOUBLE PRECISION" => "real",
        other => return format!("SQLite {other}"),
    }
    .to_string()
}

/// PostgreSQL's type as the same kind. Only BIGINT is `integer`: sqlx
/// decodes an i64 from INT8 alone, so an INTEGER column would not read.
fn postgres_kind(data_type: &str) -> String {
    match data_type {
        "bigint" => "integer",
        "text" => "text",
        "boolean" => "boolean",
        "bytea" => "blob",
        "double precision" => "real",
        other => return format!("PostgreSQL {other}"),
    }
    .to_string()
}

/// The key columns of `CREATE [UNIQUE] INDEX … ON t (…) [WHERE …]` and its
/// predicate (SQLite keeps an index's SQL, not its expressions).
fn index_sql_keys(sql: &str) -> (Vec<String>, String) {
    let open = sql.find('(').expect("index columns");
    let (mut depth, mut close, mut start) = (0, open, open + 1);
    let mut keys = Vec::new();
    for (i, c) in sql.char_indices().skip(open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    keys.push(sql[start..i].to_string());
                    close = i;
                    break;
                }
            }
            ',' if depth == 1 => {
                keys.push(sql[start..i].to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    let keys = keys
        .iter()
        .map(|k| {
            let k = k.trim();
            let upper = k.to_ascii_uppercase();
            if let Some(stripped) = upper.strip_suffix(" DESC") {
                format!("{}/desc", normalise(&k[..stripped.len()]))
            } else if let Some(stripped) = upper.strip_suffix(" ASC") {
                normalise(&k[..stripped.len()])
            } else {
                normalise(k)
            }
        })
        .collect();
    let rest = &sql[close + 1..];
    let predicate = rest
        .to_ascii_uppercase()
        .find("WHERE")
        .map(|w| normalise(&rest[w + "WHERE".len()..]))
        .unwrap_or_default();
    (keys, predicate)
}

async fn sqlite_schema(conn: &mut SqliteConnection) -> Schema {
    let mut schema = Schema::default();
    let objects: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT type, name, tbl_name, sql FROM sqlite_master
         WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> '_sqlx_migrations' ORDER BY type, name",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("sqlite_master");
    for (kind, name, table, sql) in &objects {
        match kind.as_str() {
            "table" => {
                let rows: Vec<(String, String, i64, bool, i64)> = sqlx::query_as(
                    "SELECT name, type, \"notnull\", dflt_value IS NOT NULL, pk
                     FROM pragma_table_info($1) ORDER BY cid",
                )
                .bind(name)
                .fetch_all(&mut *conn)
                .await
                .expect("table_info");
                let mut pk: Vec<(i64, String)> = Vec::new();
                let mut t = Table::default();
                for (column, declared, not_null, has_default, pk_part) in rows {
                    if pk_part > 0 {
                        pk.push((pk_part, column.clone()));
                    }
                    t.columns.push(Column {
                        name: column,
                        kind: sqlite_kind(&declared),
                        // A PRIMARY KEY column is NOT NULL on PostgreSQL; SQLite
                        // lets a non-integer one be NULL (a legacy quirk) but
                        // no row of ours ever is.
                        not_null: not_null != 0 || pk_part > 0,
                        has_default,
                    });
                }
                pk.sort();
                t.primary_key = pk.into_iter().map(|(_, c)| c).collect();
                let indexes: Vec<(String, String)> = sqlx::query_as(
                    "SELECT name, origin FROM pragma_index_list($1) WHERE origin = 'u'",
                )
                .bind(name)
                .fetch_all(&mut *conn)
                .await
                .expect("index_list");
                for (index, _) in indexes {
                    let columns: Vec<(String,)> =
                        sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                            .bind(&index)
                            .fetch_all(&mut *conn)
                            .await
                            .expect("index_info");
                    t.unique.insert(columns.into_iter().map(|(c,)| c).collect());
                }
                let fks: Vec<(i64, String, String, String, String)> = sqlx::query_as(
                    "SELECT id, \"table\", \"from\", \"to\", on_delete
                     FROM pragma_foreign_key_list($1) ORDER BY id, seq",
                )
                .bind(name)
                .fetch_all(&mut *conn)
                .await
                .expect("foreign_key_list");
                let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
                for (id, to_table, from, to, on_delete) in fks {
                    let fk = by_id.entry(id).or_insert_with(|| ForeignKey {
                        columns: Vec::new(),
                        table: to_table,
                        to: Vec::new(),
                        on_delete,
                    });
                    fk.columns.push(from);
                    fk.to.push(to);
                }
                t.foreign_keys = by_id.into_values().collect();
                schema.tables.insert(name.clone(), t);
            }
            "view" => {
                let columns: Vec<(String,)> =
                    sqlx::query_as("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                        .bind(name)
                        .fetch_all(&mut *conn)
                        .await
                        .expect("view columns");
                schema
                    .views
                    .insert(name.clone(), columns.into_iter().map(|(c,)| c).collect());
            }
            "index" => {
                let sql = sql.as_deref().expect("a created index keeps its SQL");
                let (keys, predicate) = index_sql_keys(sql);
                let unique = sql.to_ascii_uppercase().starts_with("CREATE UNIQUE");
                schema.indexes.insert(
                    name.clone(),
                    Index {
                        table: table.clone(),
                        keys,
                        unique,
                        predicate,
                    },
                );
            }
            "trigger" => {
                schema.triggers.insert((table.clone(), name.clone()));
            }
            other => panic!("unexpected SQLite object {other} {name}"),
        }
    }
    schema
}

async fn postgres_schema(conn: &mut PgConnection) -> Schema {
    let mut schema = Schema::default();
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, table_type::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("tables");
    let columns: Vec<(String, String, String, bool, bool)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'NO',
                column_default IS NOT NULL
         FROM information_schema.columns WHERE table_schema = current_schema()
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("columns");
    for (table, kind) in &tables {
        let of_table = columns.iter().filter(|c| &c.0 == table);
        if kind == "VIEW" {
            schema
                .views
                .insert(table.clone(), of_table.map(|c| c.1.clone()).collect());
            continue;
        }
        let t = Table {
            columns: of_table
                .map(|(_, name, data_type, not_null, has_default)| Column {
                    name: name.clone(),
                    kind: postgres_kind(data_type),
                    not_null: *not_null,
                    has_default: *has_default,
                })
                .collect(),
            ..Table::default()
        };
        schema.tables.insert(table.clone(), t);
    }
    // Every index with its keys as PostgreSQL prints them; those behind a
    // PRIMARY KEY or UNIQUE constraint are the table's keys, not named indexes.
    #[derive(sqlx::FromRow)]
    struct IndexRow {
        table_name: String,
        index_name: String,
        is_unique: bool,
        predicate: Option<String>,
        keys: Vec<String>,
        descending: Vec<bool>,
    }
    let indexes: Vec<IndexRow> = sqlx::query_as(
        "SELECT c.relname::text AS table_name, i.relname::text AS index_name, ix.indisunique AS is_unique,
                pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
                ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, false)
                      FROM generate_series(1, ix.indnkeyatts) AS k ORDER BY k) AS keys,
                ARRAY(SELECT (ix.indoption[k - 1] & 1) = 1
                      FROM generate_series(1, ix.indnkeyatts) AS k ORDER BY k) AS descending
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid
         JOIN pg_class c ON c.oid = ix.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = current_schema() AND c.relname <> '_sqlx_migrations'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = ix.indexrelid
                           AND co.contype IN ('p', 'u'))",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("indexes");
    for row in indexes {
        let keys = row
            .keys
            .iter()
            .zip(row.descending)
            .map(|(k, d)| {
                let k = normalise(k);
                if d { format!("{k}/desc") } else { k }
            })
            .collect();
        schema.indexes.insert(
            row.index_name,
            Index {
                table: row.table_name,
                keys,
                unique: row.is_unique,
                predicate: row.predicate.as_deref().map(normalise).unwrap_or_default(),
            },
        );
    }
    #[derive(sqlx::FromRow)]
    struct ConstraintRow {
        table_name: String,
        kind: String,
        columns: Vec<String>,
        to_table: Option<String>,
        to_columns: Vec<String>,
        on_delete: String,
    }
    let constraints: Vec<ConstraintRow> =
        sqlx::query_as(
            "SELECT c.relname::text AS table_name, co.contype::text AS kind,
                    ARRAY(SELECT a.attname::text FROM unnest(co.conkey) WITH ORDINALITY AS k (attnum, n)
                          JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum
                          ORDER BY k.n) AS columns,
                    f.relname::text AS to_table,
                    ARRAY(SELECT a.attname::text FROM unnest(co.confkey) WITH ORDINALITY AS k (attnum, n)
                          JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.attnum
                          ORDER BY k.n) AS to_columns,
                    co.confdeltype::text AS on_delete
             FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_class f ON f.oid = co.confrelid
             WHERE n.nspname = current_schema() AND co.contype IN ('p', 'u', 'f')
               AND c.relname <> '_sqlx_migrations'",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("constraints");
    for row in constraints {
        let t = schema
            .tables
            .get_mut(&row.table_name)
            .expect("constraint's table");
        match row.kind.as_str() {
            "p" => t.primary_key = row.columns,
            "u" => {
                t.unique.insert(row.columns);
            }
            _ => {
                let on_delete = match row.on_delete.as_str() {
                    "c" => "CASCADE",
                    "n" => "SET NULL",
                    "d" => "SET DEFAULT",
                    "r" => "RESTRICT",
                    _ => "NO ACTION",
                };
                t.foreign_keys.insert(ForeignKey {
                    columns: row.columns,
                    table: row.to_table.expect("referenced table"),
                    to: row.to_columns,
                    on_delete: on_delete.to_string(),
                });
            }
        }
    }
    let triggers: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, t.tgname::text FROM pg_trigger t
         JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = current_schema() AND NOT t.tgisinternal",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("triggers");
    schema.triggers = triggers.into_iter().collect();
    schema
}

/// Leaves out the objects of `only` (and their indexes and triggers), after
/// checking that each is there: an allow-list entry for nothing is stale.
fn without(mut schema: Schema, only: &[&str], only_triggers: &[&str], backend: &str) -> Schema {
    for name in only {
        assert!(
            schema.tables.remove(*name).is_some() || schema.views.remove(*name).is_some(),
            "{name}, listed as {backend} only, is not in {backend}'s schema"
        );
    }
    schema
        .indexes
        .retain(|_, i| !only.contains(&i.table.as_str()));
    for name in only_triggers {
        let before = schema.triggers.len();
        schema.triggers.retain(|(_, t)| t != name);
        assert!(
            schema.triggers.len() < before,
            "trigger {name}, listed as {backend} only, is not in {backend}'s schema"
        );
    }
    schema
        .triggers
        .retain(|(table, _)| !only.contains(&table.as_str()));
    schema
}

/// Every difference between the two schemas, one line each.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    fn both<'a, K: Ord + std::fmt::Debug, V>(
        what: &str,
        a: &'a BTreeMap<K, V>,
        b: &'a BTreeMap<K, V>,
        out: &mut Vec<String>,
    ) -> Vec<(&'a K, &'a V, &'a V)> {
        for k in a.keys().filter(|k| !b.contains_key(k)) {
            out.push(format!("{what} {k:?} is on SQLite only"));
        }
        for k in b.keys().filter(|k| !a.contains_key(k)) {
            out.push(format!("{what} {k:?} is on PostgreSQL only"));
        }
        a.iter()
            .filter_map(|(k, va)| b.get(k).map(|vb| (k, va, vb)))
            .collect()
    }
    let mut out = Vec::new();
    for (name, a, b) in both("table", &sqlite.tables, &postgres.tables, &mut out) {
        if a.columns != b.columns {
            out.push(format!(
                "table {name}: columns differ\n  SQLite:     {:?}\n  PostgreSQL: {:?}",
                a.columns, b.columns
            ));
        }
        for (what, x, y) in [
            (
                "primary key",
                format!("{:?}", a.primary_key),
                format!("{:?}", b.primary_key),
            ),
            (
                "unique constraints",
                format!("{:?}", a.unique),
                format!("{:?}", b.unique),
            ),
            (
                "foreign keys",
                format!("{:?}", a.foreign_keys),
                format!("{:?}", b.foreign_keys),
            ),
        ] {
            if x != y {
                out.push(format!(
                    "table {name}: {what} differ: SQLite {x}, PostgreSQL {y}"
                ));
            }
        }
    }
    for (name, a, b) in both("view", &sqlite.views, &postgres.views, &mut out) {
        if a != b {
            out.push(format!(
                "view {name}: columns SQLite {a:?}, PostgreSQL {b:?}"
            ));
        }
    }
    for (name, a, b) in both("index", &sqlite.indexes, &postgres.indexes, &mut out) {
        if a != b {
            out.push(format!("index {name}: SQLite {a:?}, PostgreSQL {b:?}"));
        }
    }
    for t in sqlite.triggers.difference(&postgres.triggers) {
        out.push(format!("trigger {t:?} is on SQLite only"));
    }
    for t in postgres.triggers.difference(&sqlite.triggers) {
        out.push(format!("trigger {t:?} is on PostgreSQL only"));
    }
    out
}

#[test]
fn every_migration_has_a_postgres_twin_of_the_same_number_and_name() {
    let names = |m: &sqlx::migrate::Migrator| -> Vec<(i64, String)> {
        m.iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect()
    };
    assert_eq!(names(&MIGRATOR), names(&MIGRATOR_POSTGRES));
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_give_the_same_schema() {
    let Some(db) = fresh_postgres_database().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("schema.db").display()
    );
    let mut lite = SqliteConnection::connect(&url).await.expect("SQLite");
    MIGRATOR.run(&mut lite).await.expect("SQLite migrations");
    let mut pg = PgConnection::connect(&db.url).await.expect("PostgreSQL");
    MIGRATOR_POSTGRES
        .run(&mut pg)
        .await
        .expect("PostgreSQL migrations");

    let sqlite = without(sqlite_schema(&mut lite).await, SQLITE_ONLY, &[], "SQLite");
    let postgres = without(
        postgres_schema(&mut pg).await,
        POSTGRES_ONLY,
        POSTGRES_ONLY_TRIGGERS,
        "PostgreSQL",
    );
    // What the comparison reads, so that an empty read cannot pass.
    assert!(sqlite.tables.len() > 40, "{:?}", sqlite.tables.keys());
    assert!(sqlite.indexes.len() > 35 && sqlite.triggers.len() > 30);
    let found = differences(&sqlite, &postgres);
    assert!(
        found.is_empty(),
        "the schemas differ:\n{}",
        found.join("\n")
    );

    // Text compares byte-wise on PostgreSQL as on SQLite (COLLATE "C"), but
    // in the PostgreSQL-only search documents (matched case-insensitively).
    let other: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, collation_name::text
         FROM information_schema.columns
         WHERE table_schema = current_schema() AND data_type = 'text'
           AND collation_name IS DISTINCT FROM 'C' AND table_name <> ALL ($1)",
    )
    .bind(
        POSTGRES_ONLY
            .iter()
            .chain(["_sqlx_migrations", "search_document"].iter())
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
    )
    .fetch_all(&mut pg)
    .await
    .expect("collations");
    assert!(
        other.is_empty(),
        "text columns without COLLATE \"C\": {other:?}"
    );
    pg.close().await.expect("close");
    lite.close().await.expect("close");
}
