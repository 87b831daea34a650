//! Behind a reverse proxy: `X-Forwarded-For` names the client only when the
//! TCP peer is a trusted proxy (`--trusted-proxy`); the login rate limit,
//! the audit log and the request log all use that one address.

use std::io::Read;
use std::process::{Command, Stdio};

use atlasview::store::{AuditEntry, AuditQuery};
use atlasview::web::WebConfig;
use atlasview::web::client_addr::{TrustedProxies, parse_trusted_proxy};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

use crate::support::{BIN, TestApp, text};

/// A sign-in attempt with a wrong password, sending `forwarded` as
/// `X-Forwarded-For` when given; the answer's status.
async fn wrong_sign_in(app: &TestApp, username: &str, forwarded: Option<&str>) -> StatusCode {
    let mut req = app
        .anonymous()
        .post(app.url("/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!(
            "username={username}&password=wrong-password-123&next=%2F"
        ));
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.expect("request").status()
}

async fn sign_in_records(app: &TestApp) -> Vec<AuditEntry> {
    let (entries, _) = app
        .store
        .audit_entries(&AuditQuery {
            action: Some("login.".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("audit");
    entries
}

fn limited_to_three(trusted: &[&str]) -> WebConfig {
    WebConfig {
        login_attempts_per_minute: 3,
        trusted_proxies: TrustedProxies::new(
            trusted
                .iter()
                .map(|t| parse_trusted_proxy(t).expect("valid"))
                .collect(),
        ),
        ..WebConfig::default()
    }
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_does_not_escape_the_login_limit() {
    let app = TestApp::spawn_with(limited_to_three(&[])).await;
    for n in 1..=3 {
        let forged = format!("203.0.113.{n}");
        assert_eq!(
            wrong_sign_in(&app, "mallory", Some(&forged)).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // A fourth "client" is the same peer: refused.
    assert_eq!(
        wrong_sign_in(&app, "mallory", Some("203.0.113.4")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let records = sign_in_records(&app).await;
    assert_eq!(records.len(), 4, "{records:?}");
    assert!(
        records.iter().all(|r| r.ip == "127.0.0.1"),
        "the audit log names the peer, not the forged address: {records:?}"
    );
}

#[tokio::test]
async fn through_a_trusted_proxy_each_forwarded_client_has_its_own_limit_and_is_recorded() {
    // The test server's peer is 127.0.0.1: it plays the proxy.
    let app = TestApp::spawn_with(limited_to_three(&["127.0.0.1", "10.0.0.0/8"])).await;
    for _ in 0..3 {
        assert_eq!(
            wrong_sign_in(&app, "alice", Some("198.51.100.10")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        wrong_sign_in(&app, "alice", Some("198.51.100.10")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy still may; what it wrote itself
    // left of the proxies' addresses (a forged 198.51.100.10) is ignored.
    assert_eq!(
        wrong_sign_in(&app, "bob", Some("198.51.100.10, 198.51.100.20, 10.1.2.3")).await,
        StatusCode::UNAUTHORIZED
    );
    // The proxy itself, forwarding nobody, is a client of its own.
    assert_eq!(
        wrong_sign_in(&app, "carol", None).await,
        StatusCode::UNAUTHORIZED
    );

    let records = sign_in_records(&app).await;
    let of = |user: &str| -> Vec<(String, String)> {
        records
            .iter()
            .filter(|r| r.actor == user)
            .map(|r| (r.action.clone(), r.ip.clone()))
            .collect()
    };
    let alice = of("alice");
    assert_eq!(alice.len(), 4, "{records:?}");
    assert!(
        alice.iter().all(|(_, ip)| ip == "198.51.100.10"),
        "{alice:?}"
    );
    assert!(
        alice.iter().any(|(action, _)| action == "login.throttled"),
        "{alice:?}"
    );
    assert_eq!(
        of("bob"),
        [("login.failed".to_string(), "198.51.100.20".to_string())]
    );
    assert_eq!(
        of("carol"),
        [("login.failed".to_string(), "127.0.0.1".to_string())]
    );
}

/// A free loopback port.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[tokio::test]
async fn the_binary_trusts_the_configured_proxies_logs_the_forwarded_client_and_refuses_bad_values()
{
    let database = crate::support::TestDatabase::fresh().await;
    let db = std::path::Path::new(&database.url);

    // A value that is no address stops the start, naming it, from the flag...
    let out = Command::new(BIN)
        .arg("--database-url")
        .arg(db)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--trusted-proxy",
            "10.0.0.1",
        ])
        .args(["--trusted-proxy", "proxy.internal"])
        .env_remove("ATLASVIEW_TRUSTED_PROXIES")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("proxy.internal") && err.contains("--trusted-proxy"),
        "{err}"
    );
    // ...and from the environment (comma-separated).
    let out = Command::new(BIN)
        .arg("--database-url")
        .arg(db)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("ATLASVIEW_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/33")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("10.0.0.0/33"),
        "{}",
        text(&out.stderr)
    );
    if database.kind() == atlasview::store::BackendKind::Sqlite {
        assert!(!db.exists(), "nothing was started or created");
    }

    // Trusting loopback (the environment's list): the forwarded client is logged.
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(BIN)
        .arg("--database-url")
        .arg(db)
        .args(["serve", "--addr", &addr])
        .env("ATLASVIEW_TRUSTED_PROXIES", "::1,127.0.0.1")
        .env_remove("RUST_LOG")
        .env_remove("ATLASVIEW_LOG_FORMAT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start server");
    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut healthy = None;
    if up {
        let r = client
            .get(format!("{base}/favicon.ico?from=proxy"))
            .header("x-forwarded-for", "6.6.6.6, 192.0.2.44")
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200);
        let r = client
            .get(format!("{base}/favicon.ico?from=direct"))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200);
        // The container's probe: the server is ready...
        let probe = Command::new(BIN)
            .args(["healthcheck", "--url", &format!("{base}/readyz")])
            .output()
            .expect("healthcheck");
        healthy = Some((probe.status.success(), text(&probe.stdout)));
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read");
    assert!(up, "the server did not start: {err}");
    let line = |query: &str| -> String {
        err.lines()
            .find(|l| l.contains("atlasview::request") && l.contains(query))
            .unwrap_or_else(|| panic!("no request line with {query}: {err}"))
            .to_string()
    };
    let proxied = line("query=from=proxy");
    assert!(proxied.contains("client=192.0.2.44"), "{proxied}");
    assert!(!proxied.contains("6.6.6.6"), "{proxied}");
    let direct = line("query=from=direct");
    assert!(direct.contains("client=127.0.0.1"), "{direct}");

    let (ok, said) = healthy.expect("probed");
    assert!(ok, "{said}");
    assert!(said.contains("200"), "{said}");
    // ...and, the server gone, it is not.
    let probe = Command::new(BIN)
        .args(["healthcheck", "--url", &format!("{base}/readyz")])
        .output()
        .expect("healthcheck");
    assert!(!probe.status.success());
    assert!(
        text(&probe.stderr).contains(&base),
        "{}",
        text(&probe.stderr)
    );
}
