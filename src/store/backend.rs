//! The two databases the store runs on (SQLite embedded, PostgreSQL for
//! several nodes) and how one piece of query code serves both.
//!
//! Query code is written once and compiled once per backend: [`on_pool!`]
//! and [`on_tx!`] expand their body in one `match` arm per backend, so the
//! body sees the concrete pool or connection type of that arm (sqlx's
//! drivers stay generic-free, there is no per-row conversion as with sqlx's
//! `Any` driver, and the SQLite path compiles to what it was before).
//! Statements built piece by piece use [`Sql`], whose `$n` placeholders both
//! databases accept, and whose arguments ([`Arg`]) encode for both.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo};
use sqlx::sqlite::SqliteArgumentValue;
use sqlx::{Arguments, Database, Encode, PgPool, Postgres, Sqlite, SqlitePool, Transaction, Type};

use super::error::{StoreError, StoreResult};

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
        }
    }
}

/// The connection pool of one backend.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    pub(crate) fn kind(&self) -> BackendKind {
        match self {
            Pool::Sqlite(_) => BackendKind::Sqlite,
            Pool::Postgres(_) => BackendKind::Postgres,
        }
    }
}

/// An open transaction on either backend.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub(crate) async fn rollback(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// What query code needs to know of the backend it is compiled for.
pub(crate) trait Backend: Database {
    /// The arguments of a [`Sql`] statement, encoded for this backend.
    fn arguments<'q>(args: &'q [Arg<'q>]) -> Result<Self::Arguments<'q>, StoreError>;
    /// Whether [`Sql`] may run with anonymous `?` placeholders (SQLite).
    const ANONYMOUS_PLACEHOLDERS: bool;
}

impl Backend for Sqlite {
    const ANONYMOUS_PLACEHOLDERS: bool = true;
    fn arguments<'q>(args: &'q [Arg<'q>]) -> Result<Self::Arguments<'q>, StoreError> {
        let mut out = <Self as Database>::Arguments::default();
        for a in args {
            out.add(a).map_err(sqlx::Error::Encode)?;
        }
        Ok(out)
    }
}

impl Backend for Postgres {
    const ANONYMOUS_PLACEHOLDERS: bool = false;
    fn arguments<'q>(args: &'q [Arg<'q>]) -> Result<Self::Arguments<'q>, StoreError> {
        let mut out = <Self as Database>::Arguments::default();
        for a in args {
            out.add(a).map_err(sqlx::Error::Encode)?;
        }
        Ok(out)
    }
}

/// Runs `$body` with `$db` bound to the store's pool, compiled once for
/// each backend.
macro_rules! on_pool {
    ($pool:expr, |$db:ident| $body:expr) => {
        match $pool {
            $crate::store::backend::Pool::Sqlite($db) => $body,
            $crate::store::backend::Pool::Postgres($db) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the connection of an open transaction
/// (`&mut Tx`), compiled once for each backend.
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::store::backend::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::store::backend::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

pub(crate) use {on_pool, on_tx};

/// What a writing statement changed, on either backend.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Written(u64);

impl Written {
    pub(crate) fn new(rows: u64) -> Self {
        Written(rows)
    }

    pub(crate) fn rows_affected(self) -> u64 {
        self.0
    }
}

impl From<sqlx::sqlite::SqliteQueryResult> for Written {
    fn from(r: sqlx::sqlite::SqliteQueryResult) -> Self {
        Written(r.rows_affected())
    }
}

impl From<sqlx::postgres::PgQueryResult> for Written {
    fn from(r: sqlx::postgres::PgQueryResult) -> Self {
        Written(r.rows_affected())
    }
}

/// One argument of a [`Sql`] statement.
#[derive(Clone, Debug)]
pub(crate) enum Arg<'a> {
    Str(&'a str),
    String(String),
    Int(i64),
    Bool(bool),
    /// A NULL of the given kind (PostgreSQL types every parameter).
    Null(ArgKind),
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum ArgKind {
    Text,
    Int,
    Bool,
}

impl Arg<'_> {
    fn kind(&self) -> ArgKind {
        match self {
            Arg::Str(_) | Arg::String(_) => ArgKind::Text,
            Arg::Int(_) => ArgKind::Int,
            Arg::Bool(_) => ArgKind::Bool,
            Arg::Null(k) => *k,
        }
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Str(v)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Str(v)
    }
}
impl<'a> From<&&'a str> for Arg<'a> {
    fn from(v: &&'a str) -> Self {
        Arg::Str(v)
    }
}
impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::String(v)
    }
}
impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<&i64> for Arg<'_> {
    fn from(v: &i64) -> Self {
        Arg::Int(*v)
    }
}
impl From<i32> for Arg<'_> {
    fn from(v: i32) -> Self {
        Arg::Int(i64::from(v))
    }
}
impl From<u32> for Arg<'_> {
    fn from(v: u32) -> Self {
        Arg::Int(i64::from(v))
    }
}
impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Arg::Null(ArgKind::Text), Arg::Str)
    }
}
impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_deref().into()
    }
}
impl From<Option<String>> for Arg<'_> {
    fn from(v: Option<String>) -> Self {
        v.map_or(Arg::Null(ArgKind::Text), Arg::String)
    }
}
impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Arg::Null(ArgKind::Int), Arg::Int)
    }
}

impl<'q> Encode<'q, Sqlite> for &'q Arg<'q> {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        match *self {
            Arg::Str(s) => <&str as Encode<Sqlite>>::encode(s, buf),
            Arg::String(s) => <&str as Encode<Sqlite>>::encode(s.as_str(), buf),
            Arg::Int(i) => <i64 as Encode<Sqlite>>::encode(*i, buf),
            Arg::Bool(b) => <bool as Encode<Sqlite>>::encode(*b, buf),
            Arg::Null(_) => Ok(IsNull::Yes),
        }
    }
}

impl Type<Sqlite> for &Arg<'_> {
    fn type_info() -> <Sqlite as Database>::TypeInfo {
        <&str as Type<Sqlite>>::type_info()
    }
}

impl Type<Postgres> for &Arg<'_> {
    fn type_info() -> PgTypeInfo {
        <&str as Type<Postgres>>::type_info()
    }
}

impl<'q> Encode<'q, Postgres> for &'q Arg<'q> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        match *self {
            Arg::Str(s) => <&str as Encode<Postgres>>::encode(s, buf),
            Arg::String(s) => <&str as Encode<Postgres>>::encode(s.as_str(), buf),
            Arg::Int(i) => <i64 as Encode<Postgres>>::encode(*i, buf),
            Arg::Bool(b) => <bool as Encode<Postgres>>::encode(*b, buf),
            Arg::Null(_) => Ok(IsNull::Yes),
        }
    }

    // PostgreSQL types each parameter when it prepares the statement.
    fn produces(&self) -> Option<PgTypeInfo> {
        Some(match self.kind() {
            ArgKind::Text => <&str as Type<Postgres>>::type_info(),
            ArgKind::Int => <i64 as Type<Postgres>>::type_info(),
            ArgKind::Bool => <bool as Type<Postgres>>::type_info(),
        })
    }
}

/// Bound values per multi-row statement on SQLite. sqlx's SQLite driver
/// asks for each numbered parameter's name (`sqlite3_bind_parameter_name`,
/// a linear scan of the statement's names), so binding numbered parameters
/// grows with the square of a statement's size: at 2,600 a statement it was
/// 45 % of alert ingestion's time (bench/ingest.sh: 7,170 alerts/s in
/// batches at 2,600, 13,944 at 240, 15,666 at 120). [`Sql`] now binds
/// anonymous `?` placeholders on SQLite, which have no name to look up;
/// with them 500 and 2,000 values a statement were no faster than 120
/// (12,356-15,265 alerts/s against 13,826-15,281), so 120 stays.
const SQLITE_VALUES_PER_STATEMENT: usize = 120;

/// On PostgreSQL each statement is a round trip and binding is linear:
/// larger statements are faster, far below its limit of 65,535 values
/// (bench/ingest.sh: 2,216 alerts/s in batches at 2,600, 1,344 at 120).
const POSTGRES_VALUES_PER_STATEMENT: usize = 4_000;

/// SQLite's page cache for a large write transaction, in KiB (a
/// connection's default is 2 MiB, kept small as each of the pool's
/// connections has its own): with 2 MiB a bulk import of 15,000 records
/// read 146,000 pages back from the file, evicted between its statements.
const SQLITE_WRITE_CACHE_KIB: i64 = 64 * 1024;
/// The connection's page cache otherwise, in KiB (SQLite's default).
const SQLITE_CACHE_KIB: i64 = 2_000;

impl Tx {
    /// Gives a large write transaction room to keep the pages it reads and
    /// writes in memory (SQLite; PostgreSQL has its shared buffers). End
    /// it with [`Tx::commit_roomy`] or [`Tx::rollback_roomy`].
    pub(crate) async fn roomy_cache(&mut self) -> StoreResult<()> {
        self.set_cache(SQLITE_WRITE_CACHE_KIB).await
    }

    /// Commits a transaction given [`Tx::roomy_cache`], the connection's
    /// cache set back first (its pages are freed once committed).
    pub(crate) async fn commit_roomy(mut self) -> StoreResult<()> {
        self.set_cache(SQLITE_CACHE_KIB).await?;
        self.commit().await
    }

    /// Rolls back a transaction given [`Tx::roomy_cache`] (see [`Tx::commit_roomy`]).
    pub(crate) async fn rollback_roomy(mut self) -> StoreResult<()> {
        self.set_cache(SQLITE_CACHE_KIB).await?;
        self.rollback().await
    }

    async fn set_cache(&mut self, kib: i64) -> StoreResult<()> {
        if let Tx::Sqlite(tx) = self {
            // PRAGMA takes no bound parameters; the value is a constant of ours.
            sqlx::query(&format!("PRAGMA cache_size = -{kib}"))
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Rows per multi-row statement (or IDs per `IN` list) whose rows bind
    /// `columns` values each.
    pub(crate) fn rows_per_statement(&self, columns: usize) -> usize {
        let values = match self {
            Tx::Sqlite(_) => SQLITE_VALUES_PER_STATEMENT,
            Tx::Postgres(_) => POSTGRES_VALUES_PER_STATEMENT,
        };
        (values / columns.max(1)).max(1)
    }
}

/// A statement built piece by piece (filters, lists of IDs), with `$n`
/// placeholders numbered as arguments are pushed. It mirrors the parts of
/// sqlx's `QueryBuilder` the store uses, but is not tied to one backend.
///
/// On SQLite a statement whose placeholders all came from
/// [`Sql::push_bind`] runs with anonymous `?` ones instead: sqlx asks
/// SQLite the name of every numbered placeholder it binds, a linear scan of
/// the statement's names, so a statement of n values cost n² (4 % of alert
/// ingestion's time); an anonymous placeholder has no name to look up.
#[derive(Debug, Default)]
pub(crate) struct Sql<'a> {
    text: String,
    /// The text with `?` for each placeholder, while every placeholder is
    /// one of [`Sql::push_bind`]'s (`None` once the text holds a `$` or a
    /// `?` of its own).
    anonymous: Option<String>,
    args: Vec<Arg<'a>>,
}

impl<'a> Sql<'a> {
    pub(crate) fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        Sql {
            anonymous: (!text.contains(['$', '?'])).then(|| text.clone()),
            text,
            args: Vec::new(),
        }
    }

    /// Adds an argument for a placeholder already in the text (`$n`, in
    /// the order of the arguments), like sqlx's `query(…).bind(…)`.
    pub(crate) fn bind(mut self, value: impl Into<Arg<'a>>) -> Self {
        self.args.push(value.into());
        self.anonymous = None;
        self
    }

    pub(crate) fn push(&mut self, text: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write;
        let from = self.text.len();
        let _ = write!(self.text, "{text}");
        let added = &self.text[from..];
        if added.contains(['$', '?']) {
            self.anonymous = None;
        } else if let Some(anonymous) = &mut self.anonymous {
            anonymous.push_str(added);
        }
        self
    }

    pub(crate) fn push_bind(&mut self, value: impl Into<Arg<'a>>) -> &mut Self {
        use std::fmt::Write;
        self.args.push(value.into());
        let _ = write!(self.text, "${}", self.args.len());
        if let Some(anonymous) = &mut self.anonymous {
            anonymous.push('?');
        }
        self
    }

    /// The text as backend `DB` runs it.
    fn text_for<DB: Backend>(&self) -> &str {
        match &self.anonymous {
            Some(anonymous) if DB::ANONYMOUS_PLACEHOLDERS => anonymous,
            _ => &self.text,
        }
    }

    /// Pushes items separated by `separator`, like `QueryBuilder::separated`.
    pub(crate) fn separated<'b>(&'b mut self, separator: &'b str) -> Separated<'b, 'a> {
        Separated {
            sql: self,
            separator,
            first: true,
        }
    }

    /// `VALUES (…), (…)`: one parenthesised tuple per item, like
    /// `QueryBuilder::push_values`.
    pub(crate) fn push_values<I, F>(&mut self, items: I, mut each: F) -> &mut Self
    where
        I: IntoIterator,
        F: FnMut(Separated<'_, 'a>, I::Item),
    {
        self.push("VALUES ");
        let mut first = true;
        for item in items {
            if !first {
                self.push(", ");
            }
            first = false;
            self.push("(");
            each(self.separated(", "), item);
            self.push(")");
        }
        self
    }

    /// The statement for backend `DB`.
    pub(crate) fn query<DB: Backend>(
        &'a self,
    ) -> StoreResult<sqlx::query::Query<'a, DB, DB::Arguments<'a>>>
    where
        DB::Arguments<'a>: sqlx::IntoArguments<'a, DB>,
    {
        Ok(sqlx::query_with(
            self.text_for::<DB>(),
            DB::arguments(&self.args)?,
        ))
    }

    /// The statement for backend `DB`, its rows read as `O`.
    pub(crate) fn query_as<DB: Backend, O>(
        &'a self,
    ) -> StoreResult<sqlx::query::QueryAs<'a, DB, O, DB::Arguments<'a>>>
    where
        DB::Arguments<'a>: sqlx::IntoArguments<'a, DB>,
        O: for<'r> sqlx::FromRow<'r, DB::Row>,
    {
        Ok(sqlx::query_as_with(
            self.text_for::<DB>(),
            DB::arguments(&self.args)?,
        ))
    }
}

/// Items of a [`Sql`] separated by a separator (see [`Sql::separated`]).
pub(crate) struct Separated<'b, 'a> {
    sql: &'b mut Sql<'a>,
    separator: &'b str,
    first: bool,
}

impl<'a> Separated<'_, 'a> {
    fn separate(&mut self) {
        if !self.first {
            self.sql.push(self.separator);
        }
        self.first = false;
    }

    pub(crate) fn push(&mut self, text: impl std::fmt::Display) -> &mut Self {
        self.separate();
        self.sql.push(text);
        self
    }

    pub(crate) fn push_bind(&mut self, value: impl Into<Arg<'a>>) -> &mut Self {
        self.separate();
        self.sql.push_bind(value);
        self
    }

    pub(crate) fn push_unseparated(&mut self, text: impl std::fmt::Display) -> &mut Self {
        self.sql.push(text);
        self
    }

    pub(crate) fn push_bind_unseparated(&mut self, value: impl Into<Arg<'a>>) -> &mut Self {
        self.sql.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushed_placeholders_are_anonymous_on_sqlite_only() {
        let mut qb: Sql = Sql::new("SELECT id FROM incidents WHERE id IN (");
        let mut sep = qb.separated(", ");
        sep.push_bind("a").push_bind("b");
        qb.push(") AND title <> ").push_bind("c");
        let numbered = "SELECT id FROM incidents WHERE id IN ($1, $2) AND title <> $3";
        assert_eq!(qb.text_for::<Postgres>(), numbered);
        assert_eq!(
            qb.text_for::<Sqlite>(),
            "SELECT id FROM incidents WHERE id IN (?, ?) AND title <> ?"
        );
        // A placeholder the text names itself keeps every one numbered.
        let hand = Sql::new("UPDATE t SET a = $1 WHERE b = $2")
            .bind("x")
            .bind("y");
        assert_eq!(
            hand.text_for::<Sqlite>(),
            "UPDATE t SET a = $1 WHERE b = $2"
        );
        let mut mixed: Sql = Sql::new("SELECT 1 WHERE a = ");
        mixed.push_bind("x").push(" AND b = $1");
        assert_eq!(
            mixed.text_for::<Sqlite>(),
            "SELECT 1 WHERE a = $1 AND b = $1"
        );
        let mut question: Sql = Sql::new("SELECT 1 WHERE a = ");
        question.push_bind("x").push(" AND b = ?");
        assert_eq!(
            question.text_for::<Sqlite>(),
            "SELECT 1 WHERE a = $1 AND b = ?"
        );
    }
}
