//! Browser tests: headless Chromium driven through ChromeDriver (WebDriver).
//!
//! A browser test is a few lines:
//!
//! ```ignore
//! #[tokio::test]
//! async fn the_matrix_renders() {
//!     let Some(browser) = Browser::start().await else { return };
//!     let app = TestApp::spawn().await;
//!     browser.sign_in(&app, "admin", PASSWORD).await;
//!     browser.open(&app, "/matrix").await;
//!     browser.wait_for("h1").await;
//!     assert_eq!(browser.js("return document.querySelectorAll('h1').length").await, 1);
//!     browser.close().await;
//! }
//! ```
//!
//! One `chromedriver` serves the whole test run (started on first use, ended
//! when the test binary exits, however it exits); each test gets its own
//! session, i.e. its own Chromium with a fresh profile. The session ends with
//! [`Browser::close`] or, when a test fails before that, when the `Browser`
//! is dropped.
//!
//! Chromium is `$CHROME_BIN` or `chromium` on the `PATH`; ChromeDriver is
//! `$CHROMEDRIVER` or `chromedriver` on the `PATH`. When either is missing
//! the test is skipped with a note, except on CI (`CI=true`) where it fails.
//! `CHROMEDRIVER_LOG=/some/file` keeps ChromeDriver's verbose log.

mod a11y;
mod briefing;
mod csp;
mod first_run;
mod hostile;
mod light;
mod matrix;
mod picker;
mod record;
mod roles;
mod search;
mod subpages;
mod team;
mod triage;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::support::TestApp;

/// How long a wait for an element, a page or a session may take: generous,
/// for a busy two-core CI machine.
pub const WAIT: Duration = Duration::from_secs(10);

/// The Chromium flags of every session (a fresh `--user-data-dir` is added).
const CHROME_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
];

/// One session of headless Chromium. Derefs to the fantoccini [`Client`] for
/// anything the helpers below do not cover.
pub struct Browser {
    client: Client,
    driver: &'static Driver,
    session: String,
    closed: bool,
    /// Dropped after the session (fields drop after `Drop::drop`).
    _profile: tempfile::TempDir,
}

impl Deref for Browser {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Browser {
    /// A new browser session, or `None` (after a note on stderr) when
    /// Chromium or ChromeDriver is not installed, outside CI.
    pub async fn start() -> Option<Browser> {
        let (chrome, chromedriver) = match tools() {
            Ok(found) => found,
            Err(missing) => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!(
                        "browser test: {missing}; CI must run the browser tests \
                         (scripts/test installs chromium and chromium-driver)"
                    );
                }
                // Straight to stderr: the test harness would capture `eprintln!`.
                let _ = writeln!(
                    std::io::stderr(),
                    "note: skipping a browser test: {missing} \
                     (install chromium and chromium-driver to run it)"
                );
                return None;
            }
        };
        let driver = tokio::task::spawn_blocking(move || driver(&chromedriver))
            .await
            .expect("chromedriver start-up thread")
            .as_ref()
            .unwrap_or_else(|e| panic!("browser test: {e}"));

        let profile = tempfile::Builder::new()
            .prefix("atlasview-chromium-")
            .tempdir()
            .expect("temp profile dir");
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let Value::Object(caps) = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"pageLoad": 30_000, "script": 15_000, "implicit": 0},
            "goog:chromeOptions": {"binary": chrome, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }) else {
            unreachable!("a JSON object")
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps);
        let client = tokio::time::timeout(Duration::from_secs(60), builder.connect(&driver.url))
            .await
            .unwrap_or_else(|_| panic!("browser test: no Chromium session within 60 s"))
            .unwrap_or_else(|e| {
                panic!("browser test: cannot start Chromium ({chrome:?}) via ChromeDriver: {e}")
            });
        let session = client
            .session_id()
            .await
            .expect("session id")
            .expect("a session was opened");
        Some(Browser {
            client,
            driver,
            session,
            closed: false,
            _profile: profile,
        })
    }

    /// Ends the session (Chromium quits). Dropping a `Browser` does the same
    /// synchronously; this is the tidy way at the end of a test.
    pub async fn close(mut self) {
        self.closed = true;
        let _ = self.client.clone().close().await;
    }

    /// Navigates to `path` on `app` and waits for the page to load.
    pub async fn open(&self, app: &TestApp, path: &str) {
        let url = app.url(path);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("browser: cannot open {url}: {e}"));
    }

    /// The path (and query) of the page shown now.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits up to [`WAIT`] for an element matching the CSS `selector`.
    pub async fn wait_for(&self, selector: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(selector))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!(
                "browser: no `{selector}` on {} within {WAIT:?}: {e}",
                self.path().await
            ),
        }
    }

    /// Polls `script` (a function body) every 100 ms until it returns
    /// something other than `null` or `false`, for up to [`WAIT`]; that value.
    pub async fn wait_until(&self, script: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.js(script).await;
            if !(v.is_null() || v == Value::Bool(false)) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "browser: still null or false after {WAIT:?} on {}:\n{script}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits up to [`WAIT`] for the path and query shown to contain `part`
    /// (a form submitted, a link followed; no script needed).
    pub async fn wait_for_path(&self, part: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let path = self.path().await;
            if path.contains(part) {
                return path;
            }
            assert!(
                Instant::now() < deadline,
                "browser: the path is still {path}, not one with {part:?}, after {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A desktop window `width` CSS pixels wide (900 high, no scaling).
    pub async fn desktop_width(&self, width: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
    }

    /// Runs `script` (a function body: `return …`) in the page.
    pub async fn js(&self, script: &str) -> Value {
        self.js_with(script, Vec::new()).await
    }

    /// Runs `script` with `arguments[0..]` set to `args`.
    pub async fn js_with(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("browser: script failed: {e}\n{script}"))
    }

    /// Runs an asynchronous `script`: it ends by calling the callback passed
    /// as its last argument (`arguments[arguments.length - 1]`) with the result.
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("browser: async script failed: {e}\n{script}"))
    }

    /// The page's visible text (`document.body.innerText`).
    pub async fn text(&self) -> String {
        self.js("return document.body ? document.body.innerText : ''")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Signs in through the `/login` form; panics with the page's error
    /// message when the sign-in is refused.
    pub async fn sign_in(&self, app: &TestApp, username: &str, password: &str) {
        self.open(app, "/login").await;
        let form = self.wait_for("form[action='/login']").await;
        for (name, value) in [("username", username), ("password", password)] {
            let input = form
                .find(Locator::Css(&format!("input[name='{name}']")))
                .await
                .unwrap_or_else(|e| panic!("browser: the sign-in form has no `{name}` field: {e}"));
            input.clear().await.expect("clear a sign-in field");
            input
                .send_keys(value)
                .await
                .expect("type into a sign-in field");
        }
        form.find(Locator::Css("button[type='submit']"))
            .await
            .expect("sign-in button")
            .click()
            .await
            .expect("click sign in");
        // Signed-in pages carry the sign-out form; a refused sign-in shows an error.
        let landed = self.wait_for("form[action='/logout'], .form-error").await;
        if landed.attr("action").await.ok().flatten().as_deref() != Some("/logout") {
            let message = landed.text().await.unwrap_or_default();
            panic!("browser: sign-in as `{username}` refused: {message}");
        }
    }

    /// Sends a Chrome DevTools Protocol command to this session's browser.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let url = format!(
            "{}/session/{}/goog/cdp/execute",
            self.driver.url, self.session
        );
        let res = reqwest::Client::new()
            .post(&url)
            .json(&json!({"cmd": cmd, "params": params}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("browser: CDP {cmd}: {e}"));
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "browser: CDP {cmd}: {status} {body}");
        body["value"].clone()
    }

    /// The entries of the browser log `kind` (e.g. `browser`: the console,
    /// failed requests, CSP reports) since the last call; each has `level`
    /// and `message`.
    pub async fn log(&self, kind: &str) -> Vec<Value> {
        let url = format!("{}/session/{}/se/log", self.driver.url, self.session);
        let res = reqwest::Client::new()
            .post(&url)
            .json(&json!({"type": kind}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("browser: log {kind}: {e}"));
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "browser: log {kind}: {status} {body}");
        body["value"].as_array().cloned().unwrap_or_default()
    }

    /// Makes Chromium ignore the pages' Content-Security-Policy from now on
    /// (for this session), so that a test proves the escaping and sanitising
    /// on their own rather than the CSP behind them.
    pub async fn bypass_csp(&self) {
        self.cdp("Page.setBypassCSP", json!({"enabled": true}))
            .await;
    }
}

impl Drop for Browser {
    /// A test that failed before [`Browser::close`]: end the session with a
    /// plain blocking request (the async runtime may be going away).
    fn drop(&mut self) {
        if !self.closed {
            let _ = http(
                self.driver.addr,
                "DELETE",
                &format!("/session/{}", self.session),
                Duration::from_secs(15),
            );
        }
    }
}

/// The shared ChromeDriver.
struct Driver {
    url: String,
    addr: SocketAddr,
    /// The watchdog shell and the pipe it watches: when this process exits
    /// the pipe closes and the shell ends ChromeDriver. Never waited for, so
    /// nothing here can hold the test binary back at exit.
    _watchdog: Mutex<(Child, ChildStdin)>,
}

/// Chromium and ChromeDriver, or what is missing.
fn tools() -> Result<(PathBuf, PathBuf), String> {
    let chrome = program(
        "CHROME_BIN",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let driver = program("CHROMEDRIVER", &["chromedriver"]);
    match (chrome, driver) {
        (Some(c), Some(d)) => Ok((c, d)),
        (None, Some(_)) => Err("Chromium not found ($CHROME_BIN or `chromium` on PATH)".into()),
        (Some(_), None) => {
            Err("ChromeDriver not found ($CHROMEDRIVER or `chromedriver` on PATH)".into())
        }
        (None, None) => Err("Chromium and ChromeDriver not found".into()),
    }
}

/// `$env` if set (a path, or a name looked up on the PATH), else the first of
/// `names` on the PATH.
fn program(env: &str, names: &[&str]) -> Option<PathBuf> {
    let on_path = |name: &str| -> Option<PathBuf> {
        let p = Path::new(name);
        if p.components().count() > 1 {
            return p.is_file().then(|| p.to_path_buf());
        }
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    };
    match std::env::var(env) {
        Ok(value) if !value.trim().is_empty() => on_path(value.trim()),
        _ => names.iter().find_map(|n| on_path(n)),
    }
}

/// The one ChromeDriver of this test run, started on first use.
fn driver(chromedriver: &Path) -> &'static Result<Driver, String> {
    static DRIVER: OnceLock<Result<Driver, String>> = OnceLock::new();
    DRIVER.get_or_init(|| start_driver(chromedriver))
}

fn start_driver(chromedriver: &Path) -> Result<Driver, String> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port for ChromeDriver: {e}"))?
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let log = match std::env::var("CHROMEDRIVER_LOG") {
        Ok(path) if !path.is_empty() => format!("--verbose --log-path={path}"),
        _ => String::new(),
    };
    // ChromeDriver runs under a tiny shell that waits for end-of-file on its
    // stdin (our pipe), then ends ChromeDriver: so it goes away when this
    // process exits, even when the process is killed. Nothing inherits our
    // stdout or stderr, so no pipe of a caller (`cargo test | tee`) is held open.
    let script = format!(
        r#""$0" --port="$1" {log} </dev/null >/dev/null 2>&1 &
pid=$!
read -r _ignored
kill "$pid" 2>/dev/null"#
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(chromedriver)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", chromedriver.display()))?;
    let stdin = child.stdin.take().expect("piped stdin");

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(status) = http(addr, "GET", "/status", Duration::from_secs(5))
            && status.contains("\"ready\":true")
        {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{} --port={port} did not answer within 30 s \
                 (set CHROMEDRIVER_LOG=/tmp/chromedriver.log to see why)",
                chromedriver.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Driver {
        url: format!("http://{addr}"),
        addr,
        _watchdog: Mutex::new((child, stdin)),
    })
}

/// A minimal blocking HTTP/1.1 request to ChromeDriver; returns the whole
/// response (head and body). ChromeDriver keeps the connection open whatever
/// the request says, so the body is read by its `Content-Length`.
fn http(addr: SocketAddr, method: &str, path: &str, timeout: Duration) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        response.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&response);
        let complete = text.split_once("\r\n\r\n").is_some_and(|(head, body)| {
            let length = head.lines().find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            });
            length.is_some_and(|len| body.len() >= len)
        });
        if n == 0 || complete {
            return Ok(text.into_owned());
        }
    }
}
