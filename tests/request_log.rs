//! The request log of the real binary: one line per request at `info` on
//! standard error, as text or (`--log-format json`) as JSON objects.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_atlasview");

/// An admin account and an analyst token for it, made with the CLI.
fn account(db: &Path) -> String {
    let mut add = Command::new(BIN)
        .arg("--database-url")
        .arg(db)
        .args(["user", "add", "--role", "admin", "alice"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("user add");
    use std::io::Write;
    add.stdin
        .take()
        .unwrap()
        .write_all(b"quartz-lantern-orbit-7291\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let out = Command::new(BIN)
        .arg("--database-url")
        .arg(db)
        .args(["token", "create", "--user", "alice", "--role", "analyst"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("token create");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Starts `serve` with `extra` arguments, makes the requests, stops the
/// server and returns what it wrote to standard error.
async fn serve_and_log(db: &Path, extra: &[&str], token: &str) -> String {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .arg("--database-url")
        .arg(db)
        .args(extra)
        .args(["serve", "--addr", &addr])
        .env_remove("RUST_LOG")
        .env_remove("ATLASVIEW_LOG_FORMAT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start server");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://{addr}");
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if up {
        // Anonymous, redirected to sign in; a secret in the query.
        let r = client
            .get(format!("{base}/matrix?from=2025&access_token=s3cret-value"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        // With a token, twice.
        for _ in 0..2 {
            let r = client
                .get(format!("{base}/api/v1/incidents?per_page=2"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        // Refused: an analyst token on an admin route.
        let r = client
            .get(format!("{base}/admin"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(up, "the server did not start: {err}");
    err
}

#[tokio::test]
async fn every_request_gets_one_info_line_as_text_or_json() {
    let database = crate::support::TestDatabase::fresh().await;
    let db = Path::new(&database.url);
    let token = account(db);
    let prefix = &token["atv_".len().."atv_".len() + 8];

    // Text: one line per request, with method, path, status, latency and who.
    let text = serve_and_log(db, &[], &token).await;
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("atlasview::request"))
        .collect();
    let matrix: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("path=/matrix"))
        .collect();
    assert_eq!(matrix.len(), 1, "{text}");
    let m = matrix[0];
    assert!(m.contains("INFO"), "{m}");
    assert!(
        m.contains("method=GET") && m.contains("status=303") && m.contains("latency_ms="),
        "{m}"
    );
    assert!(m.contains("user=-"), "{m}");
    assert!(
        m.contains("from=2025") && !m.contains("s3cret-value"),
        "no secrets in the log: {m}"
    );
    let api: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("path=/api/v1/incidents"))
        .collect();
    assert_eq!(api.len(), 2, "{text}");
    assert!(
        api.iter().all(
            |l| l.contains("status=200") && l.contains(&format!("user=alice (token {prefix})"))
        ),
        "{api:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("path=/admin ") && l.contains("status=403")),
        "refusals are logged: {text}"
    );
    assert!(!text.contains(&token), "the token never appears");

    // JSON: every line an object; the request lines carry the same fields.
    let json = serve_and_log(db, &["--log-format", "json"], &token).await;
    let objects: Vec<Value> = json
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let requests: Vec<&Value> = objects
        .iter()
        .filter(|o| o["target"] == "atlasview::request")
        .collect();
    let api: Vec<&&Value> = requests
        .iter()
        .filter(|o| o["path"] == "/api/v1/incidents")
        .collect();
    assert_eq!(api.len(), 2, "{json}");
    for o in api {
        assert_eq!(o["level"], "INFO");
        assert_eq!(o["method"], "GET");
        assert_eq!(o["status"], 200);
        assert_eq!(o["query"], "per_page=2");
        assert_eq!(o["user"], format!("alice (token {prefix})"));
        assert!(o["latency_ms"].as_f64().is_some_and(|l| l >= 0.0), "{o}");
    }
    let m = requests
        .iter()
        .find(|o| o["path"] == "/matrix")
        .expect("the matrix request");
    assert_eq!(m["query"], "from=2025&access_token=[hidden]");
    assert_eq!(m["user"], "-");
}
