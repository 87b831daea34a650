//! `TestApp`: a real server on a free loopback port with its own database.

use std::path::{Path, PathBuf};

use atlasview::app;
use atlasview::domain::auth::Role;
use atlasview::service::accounts;
use atlasview::store::Store;
use atlasview::web::{AppState, WebConfig};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION};
use scraper::Html;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{OnceCell, oneshot};

mod backend;
pub mod process;
pub use backend::{
    Arg, PostgresDatabase, RawDb, TestDatabase, db_fingerprint, fresh_postgres_database,
    migrated_postgres_database, postgres_url, test_backend,
};

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
    /// The database this app serves (its backend: [`test_backend`], or
    /// SQLite for a `spawn_sqlite*`).
    pub db: TestDatabase,
    pub base: String,
    /// Signed in as `admin` with an admin API token.
    pub client: reqwest::Client,
    pub store: Store,
    pub state: AppState,
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
        Self::serve(TestDatabase::fresh().await, config).await
    }

    /// [`TestApp::spawn`] on a SQLite file whatever the run's backend, for
    /// a test about SQLite itself (its file, its pragmas, its CLI backup).
    pub async fn spawn_sqlite() -> TestApp {
        Self::spawn_sqlite_with(WebConfig::default()).await
    }

    /// [`TestApp::spawn_with`] on a SQLite file (see [`TestApp::spawn_sqlite`]).
    pub async fn spawn_sqlite_with(config: WebConfig) -> TestApp {
        let app = Self::serve(TestDatabase::sqlite(), config).await;
        let client = client_with_token(Some(
            &user_with_token(&app.store, "admin", Role::Admin).await,
        ));
        TestApp { client, ..app }
    }

    /// An `admin`-signed install like [`TestApp::spawn`] on a fresh
    /// PostgreSQL database (`None`: no server configured, test skipped).
    pub async fn spawn_on_postgres() -> Option<TestApp> {
        postgres_url()?;
        let database = std::sync::Arc::new(migrated_postgres_database().await);
        Some(Self::node_of(TestDatabase::sharing(database)).await)
    }

    /// A server on an existing PostgreSQL database (one a test filled, e.g.
    /// by `db copy`); `client` is signed in as a new `admin` only when the
    /// database has no account yet.
    pub async fn spawn_on_postgres_database(database: std::sync::Arc<PostgresDatabase>) -> TestApp {
        Self::node_of(TestDatabase::sharing(database)).await
    }

    /// Another server on the same PostgreSQL database as `self` (a second
    /// node behind a load balancer), its `client` signed in as `admin` too.
    pub async fn second_node(&self) -> TestApp {
        let database = self.db.postgres().expect("a PostgreSQL test app").clone();
        let node = Self::node_of(TestDatabase::sharing(database)).await;
        TestApp {
            client: self.client.clone(),
            ..node
        }
    }

    async fn node_of(db: TestDatabase) -> TestApp {
        let app = Self::serve(db, WebConfig::default()).await;
        // The first node makes the admin; a second one shares its client.
        let token = match app.store.count_users().await.expect("users") {
            0 => Some(user_with_token(&app.store, "admin", Role::Admin).await),
            _ => None,
        };
        TestApp {
            client: client_with_token(token.as_deref()),
            ..app
        }
    }

    async fn serve(db: TestDatabase, config: WebConfig) -> TestApp {
        let (store, active) = app::open(&db.url).await.expect("open store");
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
            db,
            base,
            client,
            store,
            state,
            _stop: stop,
        }
    }

    /// A client holding a token for a new user of `role` (named after the role).
    pub async fn client_as(&self, role: Role) -> reqwest::Client {
        client_with_token(Some(
            &user_with_token(&self.store, role.as_str(), role).await,
        ))
    }

    /// A client holding a token for the user `name` of `role` (created if new).
    pub async fn client_named(&self, name: &str, role: Role) -> reqwest::Client {
        client_with_token(Some(&user_with_token(&self.store, name, role).await))
    }

    /// A client with no credentials and a cookie jar (for sign-in flows).
    pub fn anonymous(&self) -> reqwest::Client {
        client_with_token(None)
    }

    /// The SQLite file behind this app (a `spawn_sqlite*` app, or any on
    /// a SQLite run).
    pub fn db_file(&self) -> PathBuf {
        self.db.sqlite_file()
    }

    /// What `--database-url` takes to reach this app's database.
    pub fn database_url(&self) -> &str {
        &self.db.url
    }

    /// The URL of the PostgreSQL database a test on that backend runs on.
    pub fn postgres_url(&self) -> Option<&str> {
        self.db.postgres().map(|d| d.url.as_str())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET a path; returns status and body text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        self.get_with(&self.client, path).await
    }

    /// GET a path as another client (another user's token); status and body text.
    pub async fn get_with(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let res = client.get(self.url(path)).send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    /// A second connection pool on this app's database, as another process
    /// (or node) would open it: writes through it bypass the app.
    pub async fn other_connection(&self) -> RawDb {
        self.db.connect().await
    }

    /// GET that must answer 200; returns the body and the parsed page.
    pub async fn page(&self, path: &str) -> (String, Html) {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        let doc = Html::parse_document(&body);
        (body, doc)
    }

    /// GET with the admin token; status and the JSON answer (null when none).
    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        json_answer(self.client.get(self.url(path))).await
    }

    /// POST a JSON body with the admin token.
    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        json_answer(self.client.post(self.url(path)).json(body)).await
    }

    /// PUT a JSON body with the admin token.
    pub async fn put_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        json_answer(self.client.put(self.url(path)).json(body)).await
    }

    /// DELETE with the admin token.
    pub async fn delete(&self, path: &str) -> StatusCode {
        self.client
            .delete(self.url(path))
            .send()
            .await
            .expect("request")
            .status()
    }

    /// POSTs an urlencoded form (repeated keys allowed) with the admin
    /// token, without following redirects.
    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Answer {
        let body = serde_html_form::to_string(pairs).expect("encode form");
        self.post_raw(path, "application/x-www-form-urlencoded", body)
            .await
    }

    /// POSTs an urlencoded form with `client` (any role or session).
    pub async fn post_form_as(
        &self,
        client: &reqwest::Client,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> reqwest::Response {
        let body = serde_html_form::to_string(pairs).expect("encode form");
        self.post_encoded_as(client, path, body).await
    }

    /// POSTs `body`, already urlencoded as sent (odd encodings, huge or
    /// malformed forms), with `client`.
    pub async fn post_encoded_as(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: impl Into<String>,
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.into())
            .send()
            .await
            .expect("request")
    }

    /// POSTs `body` as `content_type` with the admin token.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: String) -> Answer {
        let res = self
            .client
            .post(self.url(path))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Answer {
            status,
            location,
            body: res.text().await.expect("body"),
        }
    }

    /// POSTs alerts as `content_type` with the admin token; status and the JSON answer.
    pub async fn post_alerts(
        &self,
        path: &str,
        content_type: &str,
        body: String,
    ) -> (StatusCode, Value) {
        post_alerts_with(&self.client, &self.url(path), content_type, body).await
    }

    /// The incident with its steps (the API's JSON).
    pub async fn incident(&self, id: &str) -> Value {
        let (status, body) = self.get_json(&format!("/api/v1/incidents/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// A snapshot of every incident with its steps, to prove a rejected write changed nothing.
    pub async fn snapshot(&self) -> Value {
        let (_, list) = self.get_json("/api/v1/incidents?per_page=200").await;
        let mut all = Vec::new();
        for item in list["items"].as_array().cloned().unwrap_or_default() {
            let id = item["id"].as_str().expect("id").to_string();
            all.push(self.get_json(&format!("/api/v1/incidents/{id}")).await.1);
        }
        Value::Array(all)
    }

    /// Signs in through the form; returns the client (holding the session
    /// cookie) and the answer's status.
    pub async fn sign_in(&self, username: &str, password: &str) -> (reqwest::Client, StatusCode) {
        let client = self.anonymous();
        let res = client
            .post(self.url("/login"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!(
                "username={username}&password={password}&next=%2Fincidents"
            ))
            .send()
            .await
            .expect("request");
        (client, res.status())
    }

    /// A form POST from the same origin, as a browser sends it from our own
    /// page (the headers the CSRF check wants).
    pub async fn same_origin_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: &str,
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("origin", self.base.clone())
            .header("sec-fetch-site", "same-origin")
            .body(body.to_string())
            .send()
            .await
            .expect("request")
    }

    /// A fresh token of an existing user, capped at `role`.
    pub async fn token_of(&self, user: &str, role: Role) -> String {
        let user = self
            .store
            .user_by_name(user)
            .await
            .expect("lookup")
            .expect("user");
        accounts::create_token(&self.store, &user, role, "table", None)
            .await
            .expect("token")
            .0
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

/// The boundary of the multipart bodies [`multipart`] builds.
pub const BOUNDARY: &str = "atlasview-test-7f3a9c";

/// One part of a multipart body: field name, file name, type and bytes.
pub struct Part<'a> {
    pub name: &'a str,
    pub file_name: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub bytes: &'a [u8],
}

/// The part `file` of an upload.
pub fn file<'a>(file_name: &'a str, content_type: &'a str, bytes: &'a [u8]) -> Part<'a> {
    Part {
        name: "file",
        file_name: Some(file_name),
        content_type: Some(content_type),
        bytes,
    }
}

/// A text field of a multipart form.
pub fn field<'a>(name: &'a str, value: &'a str) -> Part<'a> {
    Part {
        name,
        file_name: None,
        content_type: None,
        bytes: value.as_bytes(),
    }
}

/// A `multipart/form-data` body as a browser sends it (names written as
/// given: a browser sends `"` in a file name as `%22`).
pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", p.name);
        if let Some(f) = p.file_name {
            disposition.push_str(&format!("; filename=\"{f}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(t) = p.content_type {
            body.extend_from_slice(format!("Content-Type: {t}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(p.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl TestApp {
    /// A low-severity incident titled `title` with two steps (AML.T0051,
    /// then AML.T0093), created through the API; its JSON.
    pub async fn two_step_incident(&self, title: &str) -> Value {
        let (status, body) = self
            .post_json(
                "/api/v1/incidents",
                &serde_json::json!({
                    "title": title,
                    "severity": "low",
                    "steps": [
                        {"tactic": "AML.TA0005", "technique": "AML.T0051", "description": "first"},
                        {"tactic": "AML.TA0004", "technique": "AML.T0093", "description": "second"},
                    ],
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Attaches a file (to `step` if given) through the API as the admin;
    /// must answer 201 with the attachment.
    pub async fn attach(&self, incident: &str, step: Option<&str>, upload: Part<'_>) -> Value {
        let mut parts: Vec<Part<'_>> = step.map(|s| field("step_id", s)).into_iter().collect();
        parts.push(upload);
        let res = self
            .client
            .post(self.url(&format!("/api/v1/incidents/{incident}/attachments")))
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart(&parts))
            .send()
            .await
            .expect("upload");
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(
            status,
            StatusCode::CREATED,
            "the upload was refused: {body}"
        );
        body
    }
}

/// The answer to a POST, redirects not followed.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Answer {
    pub fn doc(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// (status, `Location` or "", body).
    pub fn parts(self) -> (StatusCode, String, String) {
        (
            StatusCode::from_u16(self.status).expect("status"),
            self.location.unwrap_or_default(),
            self.body,
        )
    }
}

async fn json_answer(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = request.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// POSTs alerts with any client to a full URL.
pub async fn post_alerts_with(
    client: &reqwest::Client,
    url: &str,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    json_answer(
        client
            .post(url)
            .header(CONTENT_TYPE, content_type)
            .body(body),
    )
    .await
}

/// A client that sends this token (and keeps no cookies).
pub fn token_client(token: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("client")
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

/// The atlasview binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_atlasview");

/// Runs an atlasview command against the database `db` (a SQLite file
/// path or a PostgreSQL URL).
pub fn cli(db: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> std::process::Output {
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

/// One message an [`SmtpSink`] received.
#[derive(Debug, Clone)]
pub struct SinkMessage {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent after `DATA`.
    pub data: String,
}

/// A local SMTP server that accepts every message and keeps it: enough of
/// the protocol for a client (greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET,
/// NOOP, QUIT), no TLS, no authentication.
pub struct SmtpSink {
    pub port: u16,
    messages: std::sync::Arc<std::sync::Mutex<Vec<SinkMessage>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let port = listener.local_addr().expect("addr").port();
        let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(smtp_session(stream, kept.clone()));
            }
        });
        SmtpSink { port, messages }
    }

    pub fn messages(&self) -> Vec<SinkMessage> {
        self.messages.lock().expect("sink lock").clone()
    }

    /// Relay settings that send to this sink.
    pub fn settings(&self) -> atlasview::service::mail::SmtpSettings {
        atlasview::service::mail::SmtpSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            from: "atlasview <atlasview@example.org>".into(),
            security: atlasview::service::mail::SmtpSecurity::None,
            credentials: None,
            public_url: Some("http://atlas.example.org".into()),
        }
    }
}

async fn reply(w: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> bool {
    use tokio::io::AsyncWriteExt;
    w.write_all(format!("{text}\r\n").as_bytes()).await.is_ok()
}

async fn smtp_session(
    stream: tokio::net::TcpStream,
    kept: std::sync::Arc<std::sync::Mutex<Vec<SinkMessage>>>,
) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    if !reply(&mut write, "220 sink ESMTP ready").await {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        let arg = |prefix: &str| {
            line.get(prefix.len()..)
                .unwrap_or("")
                .trim()
                .trim_matches(['<', '>'])
                .to_string()
        };
        let answer = match verb.as_str() {
            "EHLO" | "HELO" => "250 sink",
            "MAIL" => {
                from = arg("MAIL FROM:");
                "250 OK"
            }
            "RCPT" => {
                to.push(arg("RCPT TO:"));
                "250 OK"
            }
            "DATA" => {
                if !reply(&mut write, "354 end with <CRLF>.<CRLF>").await {
                    return;
                }
                let mut data = String::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                    data.push('\n');
                }
                let message = SinkMessage {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data,
                };
                kept.lock().expect("sink lock").push(message);
                "250 OK: kept"
            }
            "QUIT" => {
                reply(&mut write, "221 bye").await;
                return;
            }
            "RSET" | "NOOP" => "250 OK",
            _ => "502 not implemented",
        };
        if !reply(&mut write, answer).await {
            return;
        }
    }
}

/// The Python with the checkers scripts/test installs (mitreattack-python,
/// stix2-validator, openapi-spec-validator, schemathesis): `ATLASVIEW_PYTHON`,
/// else the virtualenv scripts/test makes in `target/mitre-venv`, else `python3`.
pub fn venv_python() -> PathBuf {
    if let Some(p) = std::env::var_os("ATLASVIEW_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/mitre-venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// Whether `python` can import `module` (of the PyPI package `package`);
/// under `CI=true` it must, elsewhere the caller skips its check.
pub fn python_has(python: &Path, module: &str, package: &str) -> bool {
    let ok = std::process::Command::new(python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true needs {package} for {} (scripts/test installs it)",
            python.display()
        );
        eprintln!(
            "note: {package} is not importable by {}; its check is skipped (scripts/test installs it)",
            python.display()
        );
    }
    ok
}

/// Every row of every table of a PostgreSQL database but sqlx's own (whose
/// rows carry the time they ran), in a stable order: equal strings mean the
/// same rows.
pub async fn postgres_fingerprint(url: &str) -> String {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to the database");
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
           AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .expect("tables");
    let mut out = String::new();
    for (table,) in tables {
        let rows: Vec<(String,)> =
            sqlx::query_as(&format!("SELECT t::text FROM \"{table}\" t ORDER BY 1"))
                .fetch_all(&mut conn)
                .await
                .expect("rows");
        out.push_str(&format!("## {table}\n"));
        for (row,) in rows {
            out.push_str(&row);
            out.push('\n');
        }
    }
    conn.close().await.expect("close");
    out
}
