//! Which database the tests run on, and a database of its own for each test.
//!
//! `ATLASVIEW_TEST_BACKEND` picks the backend of every [`super::TestApp`]
//! and [`TestDatabase`]: `sqlite` (the default; a file in a temporary
//! folder) or `postgres` (a fresh database on the server of
//! `ATLASVIEW_TEST_POSTGRES`, copied from a migrated template so that
//! hundreds of tests can each have one, in parallel). A test that is about
//! SQLite itself (its file, its CLI, its pragmas) asks for it by name and
//! says why.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use atlasview::store::BackendKind;
use sqlx::{FromRow, PgPool, SqlitePool};

/// The backend of this test run: `ATLASVIEW_TEST_BACKEND` (`sqlite`, the
/// default, or `postgres`). Asking for PostgreSQL without a server in
/// `ATLASVIEW_TEST_POSTGRES` fails the test (never a silent SQLite run).
pub fn test_backend() -> BackendKind {
    match std::env::var("ATLASVIEW_TEST_BACKEND").as_deref() {
        Err(_) | Ok("") | Ok("sqlite") => BackendKind::Sqlite,
        Ok("postgres") => BackendKind::Postgres,
        Ok(other) => panic!("ATLASVIEW_TEST_BACKEND={other}: sqlite or postgres"),
    }
}

/// A database for one test on a given backend, removed when dropped.
pub struct TestDatabase {
    /// What `Store::connect` and `--database-url` take: a file path on
    /// SQLite, a `postgres://` URL on PostgreSQL.
    pub url: String,
    kind: BackendKind,
    /// The folder of the SQLite file, removed with it.
    _dir: tempfile::TempDir,
    postgres: Option<Arc<PostgresDatabase>>,
}

impl TestDatabase {
    /// A new, empty database on the backend of this run ([`test_backend`]).
    pub async fn fresh() -> TestDatabase {
        Self::on(test_backend()).await
    }

    /// A new SQLite file (for a test about SQLite itself).
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir
            .path()
            .join("test.db")
            .to_str()
            .expect("utf-8 path")
            .to_string();
        TestDatabase {
            url,
            kind: BackendKind::Sqlite,
            _dir: dir,
            postgres: None,
        }
    }

    /// A new database on `kind`.
    pub async fn on(kind: BackendKind) -> TestDatabase {
        match kind {
            BackendKind::Sqlite => Self::sqlite(),
            BackendKind::Postgres => {
                let database = migrated_postgres_database().await;
                Self::sharing(Arc::new(database))
            }
        }
    }

    /// Another handle on the PostgreSQL database `database` (a second node).
    pub(super) fn sharing(database: Arc<PostgresDatabase>) -> TestDatabase {
        TestDatabase {
            url: database.url.clone(),
            kind: BackendKind::Postgres,
            _dir: tempfile::tempdir().expect("temp dir"),
            postgres: Some(database),
        }
    }

    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    /// The SQLite file: only for the tests that run on SQLite by name.
    pub fn sqlite_file(&self) -> PathBuf {
        assert_eq!(
            self.kind,
            BackendKind::Sqlite,
            "this test reads the SQLite file: start it with a SQLite constructor"
        );
        PathBuf::from(&self.url)
    }

    pub(super) fn postgres(&self) -> Option<&Arc<PostgresDatabase>> {
        self.postgres.as_ref()
    }

    /// A new connection pool on this database, as another process (or
    /// node) would open it: writes through it bypass the app.
    pub async fn connect(&self) -> RawDb {
        match self.kind {
            BackendKind::Sqlite => RawDb::Sqlite(
                SqlitePool::connect(&format!("sqlite://{}", self.url))
                    .await
                    .expect("open the database again"),
            ),
            BackendKind::Postgres => RawDb::Postgres(
                PgPool::connect(&self.url)
                    .await
                    .expect("open the database again"),
            ),
        }
    }
}

impl AsRef<OsStr> for TestDatabase {
    fn as_ref(&self) -> &OsStr {
        OsStr::new(&self.url)
    }
}

/// A value to bind to a `$n` of a [`RawDb`] statement.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    Text(&'a str),
    Int(i64),
    Bool(bool),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s)
    }
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}

impl From<bool> for Arg<'_> {
    fn from(b: bool) -> Self {
        Arg::Bool(b)
    }
}

/// A connection pool of a test's own on the app's database, either backend:
/// statements are written once with `$n` placeholders (both accept them).
pub enum RawDb {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

macro_rules! bound {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match *arg {
                Arg::Text(s) => q.bind(s.to_string()),
                Arg::Int(n) => q.bind(n),
                Arg::Bool(b) => q.bind(b),
            };
        }
        q
    }};
}

impl RawDb {
    pub fn kind(&self) -> BackendKind {
        match self {
            RawDb::Sqlite(_) => BackendKind::Sqlite,
            RawDb::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Runs a statement; the rows it changed.
    pub async fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64, sqlx::Error> {
        match self {
            RawDb::Sqlite(pool) => Ok(bound!(sqlx::query(sql), args)
                .execute(pool)
                .await?
                .rows_affected()),
            RawDb::Postgres(pool) => Ok(bound!(sqlx::query(sql), args)
                .execute(pool)
                .await?
                .rows_affected()),
        }
    }

    /// Every row of a query, as a tuple both drivers decode.
    pub async fn fetch_all<T>(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        match self {
            RawDb::Sqlite(pool) => {
                bound!(sqlx::query_as::<_, T>(sql), args)
                    .fetch_all(pool)
                    .await
            }
            RawDb::Postgres(pool) => {
                bound!(sqlx::query_as::<_, T>(sql), args)
                    .fetch_all(pool)
                    .await
            }
        }
    }

    /// The first row of a query (`RowNotFound` when there is none, as
    /// sqlx's own `fetch_one`).
    pub async fn fetch_one<T>(&self, sql: &str, args: &[Arg<'_>]) -> Result<T, sqlx::Error>
    where
        T: for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        self.fetch_all(sql, args)
            .await?
            .into_iter()
            .next()
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// A `SELECT COUNT(*) …` (or any one integer).
    pub async fn count(&self, sql: &str, args: &[Arg<'_>]) -> i64 {
        let (n,): (i64,) = self.fetch_one(sql, args).await.expect(sql);
        n
    }

    /// Makes the database refuse (abort) every insert of an alert of
    /// source `poison`, as a broken disk or constraint would, mid-request.
    pub async fn poison_alerts(&self) {
        let statements: &[&str] = match self.kind() {
            BackendKind::Sqlite => &["CREATE TRIGGER poison BEFORE INSERT ON alerts \
                 WHEN NEW.source = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned alert'); END"],
            BackendKind::Postgres => &[
                "CREATE FUNCTION poison_alert() RETURNS trigger LANGUAGE plpgsql \
                 AS $$ BEGIN RAISE EXCEPTION 'poisoned alert'; END $$",
                "CREATE TRIGGER poison BEFORE INSERT ON alerts FOR EACH ROW \
                 WHEN (NEW.source = 'poison') EXECUTE FUNCTION poison_alert()",
            ],
        };
        for sql in statements {
            self.execute(sql, &[]).await.expect("poison trigger");
        }
    }

    /// Undoes [`RawDb::poison_alerts`].
    pub async fn cure_alerts(&self) {
        let sql = match self.kind() {
            BackendKind::Sqlite => "DROP TRIGGER poison",
            BackendKind::Postgres => "DROP TRIGGER poison ON alerts",
        };
        self.execute(sql, &[])
            .await
            .expect("drop the poison trigger");
    }

    pub async fn close(self) {
        match self {
            RawDb::Sqlite(pool) => pool.close().await,
            RawDb::Postgres(pool) => pool.close().await,
        }
    }
}

/// Every row of every table of a database (a SQLite file path or a
/// PostgreSQL URL), in a stable order: equal strings mean nothing was
/// written. Each table is a `## name` line followed by its rows.
pub async fn db_fingerprint(db: impl AsRef<OsStr>) -> String {
    let url = db.as_ref().to_str().expect("utf-8 database").to_string();
    if url.starts_with("postgres://") {
        return postgres_fingerprint(&url).await;
    }
    use sqlx::Row;
    let pool = SqlitePool::connect(&format!("sqlite://{url}"))
        .await
        .expect("open db");
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .expect("tables");
    let mut out = String::new();
    for (table,) in tables {
        let columns: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))
        .fetch_all(&pool)
        .await
        .expect("columns");
        let row = columns
            .iter()
            .map(|(c,)| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows = sqlx::query(&format!("SELECT {row} AS r FROM \"{table}\" ORDER BY 1"))
            .fetch_all(&pool)
            .await
            .expect("rows");
        out.push_str(&format!("## {table}\n"));
        for r in rows {
            out.push_str(&r.get::<String, _>("r"));
            out.push('\n');
        }
    }
    pool.close().await;
    out
}

/// [`db_fingerprint`] on PostgreSQL: each row as its record's text.
async fn postgres_fingerprint(url: &str) -> String {
    let pool = PgPool::connect(url).await.expect("open db");
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
         ORDER BY table_name::text COLLATE \"C\"",
    )
    .fetch_all(&pool)
    .await
    .expect("tables");
    let mut out = String::new();
    for (table,) in tables {
        let rows: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT t::text FROM \"{table}\" t ORDER BY t::text COLLATE \"C\""
        ))
        .fetch_all(&pool)
        .await
        .expect("rows");
        out.push_str(&format!("## {table}\n"));
        for (r,) in rows {
            out.push_str(&r);
            out.push('\n');
        }
    }
    pool.close().await;
    out
}

/// The PostgreSQL server of the backend tests, from `ATLASVIEW_TEST_POSTGRES`
/// (e.g. `postgres://postgres@127.0.0.1:5432/test`; a user allowed to create
/// databases). Unset, a PostgreSQL test is skipped with a note, except under
/// `CI=true`, where it must run: there an unset variable fails the test.
pub fn postgres_url() -> Option<String> {
    match std::env::var("ATLASVIEW_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "ATLASVIEW_TEST_POSTGRES must name a PostgreSQL server when CI=true"
            );
            eprintln!("note: ATLASVIEW_TEST_POSTGRES is not set: PostgreSQL test skipped");
            None
        }
    }
}

/// A database of its own on the server of [`postgres_url`], so that tests
/// run in parallel: created with a unique name, dropped (with any
/// connection left to it) when the guard drops.
pub struct PostgresDatabase {
    /// The URL of the new database.
    pub url: String,
    name: String,
    server: String,
}

/// A new, empty database (from `template0`) on the server of
/// [`postgres_url`] (`None`: no server, the test is skipped).
pub async fn fresh_postgres_database() -> Option<PostgresDatabase> {
    let server = postgres_url()?;
    Some(create_database(&server, "template0").await)
}

/// A new database with every PostgreSQL migration run, copied from a
/// template made once per set of migrations (so that a test does not wait
/// for forty-odd migrations). Needs a server: without one it fails, as the
/// run asked for PostgreSQL.
pub async fn migrated_postgres_database() -> PostgresDatabase {
    let server = std::env::var("ATLASVIEW_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
        .expect("ATLASVIEW_TEST_BACKEND=postgres needs ATLASVIEW_TEST_POSTGRES (a server URL)");
    let template = migrated_template(&server).await;
    create_database(&server, template).await
}

/// The name of the migrated template database, made if missing: named after
/// a hash of the migrations, so that runs of other checkouts (other
/// migrations) on the same server each have theirs, and a run reuses the
/// last run's. Made under an advisory lock, as tests of several processes
/// may ask at once.
async fn migrated_template(server: &str) -> &'static str {
    use sqlx::Connection;
    use std::hash::{Hash, Hasher};
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            for m in atlasview::store::MIGRATOR_POSTGRES.iter() {
                (m.version, &*m.checksum).hash(&mut hasher);
            }
            let name = format!("atlasview_template_{:016x}", hasher.finish());
            let mut admin = sqlx::PgConnection::connect(server)
                .await
                .expect("connect to ATLASVIEW_TEST_POSTGRES");
            sqlx::query("SELECT pg_advisory_lock(7418001)")
                .execute(&mut admin)
                .await
                .expect("template lock");
            let (exists,): (bool,) = sqlx::query_as(
                "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)",
            )
            .bind(&name)
            .fetch_one(&mut admin)
            .await
            .expect("look for the template");
            if !exists {
                // Made under another name, then renamed and marked: a run
                // stopped half-way leaves no half-migrated template.
                let building = format!("{name}_building");
                sqlx::query(&format!(
                    "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
                ))
                .execute(&mut admin)
                .await
                .expect("drop a half-made template");
                sqlx::query(&format!(
                    "CREATE DATABASE \"{building}\" TEMPLATE template0"
                ))
                .execute(&mut admin)
                .await
                .expect("create the template");
                let mut url =
                    reqwest::Url::parse(server).expect("ATLASVIEW_TEST_POSTGRES is a URL");
                url.set_path(&format!("/{building}"));
                let mut conn = sqlx::PgConnection::connect(url.as_str())
                    .await
                    .expect("connect to the template");
                atlasview::store::MIGRATOR_POSTGRES
                    .run(&mut conn)
                    .await
                    .expect("migrate the template");
                conn.close().await.expect("close");
                sqlx::query(&format!(
                    "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
                ))
                .execute(&mut admin)
                .await
                .expect("name the template");
                sqlx::query(&format!("ALTER DATABASE \"{name}\" IS_TEMPLATE true"))
                    .execute(&mut admin)
                    .await
                    .expect("mark the template");
            }
            drop_databases_of_ended_runs(&mut admin, server).await;
            sqlx::query("SELECT pg_advisory_unlock(7418001)")
                .execute(&mut admin)
                .await
                .expect("template unlock");
            admin.close().await.expect("close");
            name
        })
        .await
}

/// `CREATE DATABASE <unique name> TEMPLATE <template>` on `server`.
async fn create_database(server: &str, template: &str) -> PostgresDatabase {
    use sqlx::Connection;
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let name = format!(
        "atlasview_test_{}_{}_{}_{nanos}",
        host_tag(),
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .expect("connect to ATLASVIEW_TEST_POSTGRES");
    sqlx::query(&format!(
        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
    ))
    .execute(&mut admin)
    .await
    .expect("create the test database");
    admin.close().await.expect("close");
    let mut url = reqwest::Url::parse(server).expect("ATLASVIEW_TEST_POSTGRES is a URL");
    url.set_path(&format!("/{name}"));
    PostgresDatabase {
        url: url.to_string(),
        name,
        server: server.to_string(),
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        // Drop cannot await, and a DROP DATABASE takes a second or two: a
        // thread with a runtime of its own does it while the next test runs
        // (one a run ends before dropping is dropped by the next run, see
        // `drop_databases_of_ended_runs`).
        let (server, name) = (self.server.clone(), self.name.clone());
        std::thread::spawn(move || {
            if drop_database(&server, &name).is_err() {
                eprintln!("note: could not drop the test database {name}");
            }
        });
    }
}

fn drop_database(server: &str, name: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut admin = sqlx::PgConnection::connect(server).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
        admin.close().await
    })
}

/// A short tag of this machine (of its host name), in the names of the
/// test databases it makes, so that a run drops only its own machine's.
fn host_tag() -> String {
    use std::hash::{Hash, Hasher};
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    host.trim().hash(&mut hasher);
    format!("{:08x}", hasher.finish() as u32)
}

/// Drops the test databases (`atlasview_test_<host>_<pid>_…`) of test
/// processes of this machine that have ended: the last ones a run made,
/// which it ended before dropping.
async fn drop_databases_of_ended_runs(admin: &mut sqlx::PgConnection, server: &str) {
    let names: Vec<(String,)> = sqlx::query_as(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'atlasview\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap_or_default();
    let host = host_tag();
    for (name,) in names {
        let mut parts = name.split('_').skip(2);
        if parts.next() != Some(host.as_str()) {
            continue;
        }
        let pid = parts.next().unwrap_or_default();
        let ended = !pid.is_empty()
            && pid.bytes().all(|b| b.is_ascii_digit())
            && !Path::new("/proc").join(pid).exists();
        if ended && Path::new("/proc/self").exists() {
            let (server, name) = (server.to_string(), name.clone());
            let _ = tokio::task::spawn_blocking(move || drop_database(&server, &name)).await;
        }
    }
}
