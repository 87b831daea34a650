//! `TestApp`: a real server on a free loopback port with its own database.

use std::path::{Path, PathBuf};

use atlasview::app;
use atlasview::domain::auth::Role;
use atlasview::service::accounts;
use atlasview::store::Store;
use atlasview::web::{AppState, WebConfig};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use tokio::net::TcpListener;
use tokio::sync::{OnceCell, oneshot};

/// The password of every account a test creates.
pub const PASSWORD: &str = "test-password-0123";

/// Hashing is slow on purpose: do it once per test run.
async fn password_hash() -> &'static str {
    static HASH: OnceCell<String> = OnceCell::const_new();
    HASH.get_or_init(|| async {
        accounts::hash_password(PASSWORD.to_string())
            .await
            .expect("hash")
    })
    .await
}

/// The shared read-only ATLAS data: `ATLASVIEW_SHARED_ATLAS` when set (the
/// cache `scripts/atlas-data` fills on a clone without `../shared`), else
/// `../shared/atlas` beside the repository.
pub fn shared_atlas(file: &str) -> PathBuf {
    match std::env::var_os("ATLASVIEW_SHARED_ATLAS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join(file),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/atlas")
            .join(file),
    }
}

/// A fixture of ours in `tests/fixtures`.
pub fn fixture(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file)
}

pub struct TestApp {
    db_file: PathBuf,
    pub base: String,
    /// Signed in as `admin` with an admin API token.
    pub client: reqwest::Client,
    pub store: Store,
    pub state: AppState,
    _dir: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

impl TestApp {
    /// A fresh install (empty database, the embedded catalog seeded) with an
    /// `admin` account whose token `client` sends.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(WebConfig::default()).await
    }

    pub async fn spawn_with(config: WebConfig) -> TestApp {
        let app = Self::spawn_empty(config).await;
        let client = client_with_token(Some(
            &user_with_token(&app.store, "admin", Role::Admin).await,
        ));
        TestApp { client, ..app }
    }

    /// A fresh install with no account at all (the first-run setup page);
    /// `client` has no credentials.
    pub async fn spawn_empty(config: WebConfig) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("test.db");
        let (store, active) = app::open(db_path.to_str().expect("utf-8 path"))
            .await
            .expect("open store");
        let state = app::state(store.clone(), active, config);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let serve_state = state.clone();
        tokio::spawn(async move {
            let _ = app::serve(listener, serve_state, async {
                let _ = stopped.await;
            })
            .await;
        });
        let client = client_with_token(None);
        TestApp {
            db_file: db_path,
            base,
            client,
            store,
            state,
            _dir: dir,
            _stop: stop,
        }
    }

    /// A client holding a token for a new user of `role` (named after the role).
    pub async fn client_as(&self, role: Role) -> reqwest::Client {
        client_with_token(Some(
            &user_with_token(&self.store, role.as_str(), role).await,
        ))
    }

    /// A client with no credentials and a cookie jar (for sign-in flows).
    pub fn anonymous(&self) -> reqwest::Client {
        client_with_token(None)
    }

    /// The SQLite file behind this app.
    pub fn db_file(&self) -> &Path {
        &self.db_file
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET a path; returns status and body text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    /// Imports a release file into this app's store and makes the server see it.
    pub async fn import(&self, path: &Path) -> atlasview::store::ImportOutcome {
        let fetched = atlasview::atlas::fetch::read_source(path.to_str().expect("utf-8 path"))
            .await
            .expect("read release");
        let outcome = app::import_release(&self.store, &fetched)
            .await
            .expect("import");
        self.reload().await;
        outcome
    }

    /// Reloads the active release into the running server.
    pub async fn reload(&self) {
        let active = atlasview::service::releases::load_or_seed(&self.store)
            .await
            .expect("load active");
        self.state.atlas.set(active);
    }
}

/// Creates (or reuses) a user and returns a fresh token for them.
pub async fn user_with_token(store: &Store, name: &str, role: Role) -> String {
    let user = match store.user_by_name(name).await.expect("lookup") {
        Some(u) => u,
        None => store
            .create_user(name, password_hash().await, role)
            .await
            .expect("create user"),
    };
    accounts::create_token(store, &user, role, "tests", None)
        .await
        .expect("token")
        .0
}

fn client_with_token(token: Option<&str>) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    if let Some(token) = token {
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
        );
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .expect("client")
}

/// Every row of every table of a database, in a stable order: equal strings
/// mean nothing was written.
pub async fn db_fingerprint(db: &Path) -> String {
    use sqlx::Row;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
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

/// The atlasview binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_atlasview");

/// Runs an atlasview command against the database at `db`.
pub fn cli(db: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .arg("--database-url")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run atlasview")
}

/// A command's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
