//! The request log: one line per request at `info` (target
//! `atlasview::request`), written when the response is ready: method, path,
//! query with secret-looking values hidden, status, latency in milliseconds,
//! who asked (user name, with the token prefix when a token was used;
//! `-` for anonymous) and from where (the client's address, behind a trusted
//! proxy the forwarded one). The outermost layer, so refusals (401, 403, 429),
//! timeouts and caught panics are logged too. `--log-format json` makes each
//! line a JSON object with the same fields, for log shippers.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use crate::web::extract::auth::{RequestActor, client_ip};

/// Query parameters whose values are never logged: any name holding one of
/// these words (`token`, `access_token`, `password`, `api_key`, …).
const SECRET_WORDS: [&str; 8] = [
    "token", "password", "passwd", "secret", "key", "session", "auth", "code",
];

/// Longest query logged, in characters (the rest is cut with `…`).
const MAX_QUERY: usize = 300;

/// The query with the value of every secret-looking parameter replaced by
/// `[hidden]`; names and other values are kept as sent (still encoded).
pub fn loggable_query(query: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let lower = name.to_ascii_lowercase();
        if SECRET_WORDS.iter().any(|w| lower.contains(w)) {
            out.push(format!("{name}=[hidden]"));
        } else if value.is_empty() && !pair.contains('=') {
            out.push(name.to_string());
        } else {
            out.push(format!("{name}={value}"));
        }
    }
    let q = out.join("&");
    if q.chars().count() > MAX_QUERY {
        let mut cut: String = q.chars().take(MAX_QUERY - 1).collect();
        cut.push('…');
        cut
    } else {
        q
    }
}

/// The middleware: times the request and logs its line.
pub async fn log_requests(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(loggable_query).unwrap_or_default();
    let client = client_ip(req.extensions()).map_or_else(|| "-".to_string(), |ip| ip.to_string());
    let actor = RequestActor::default();
    req.extensions_mut().insert(actor.clone());
    let response = next.run(req).await;
    let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        target: "atlasview::request",
        method = %method,
        path = %path,
        query = %query,
        status = response.status().as_u16(),
        latency_ms = (latency_ms * 10.0).round() / 10.0,
        user = %actor.get(),
        client = %client,
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_values_are_hidden() {
        assert_eq!(
            loggable_query("from=2025-01&access_token=atv_abc&page=2&API_KEY=x&flag"),
            "from=2025-01&access_token=[hidden]&page=2&API_KEY=[hidden]&flag"
        );
        assert_eq!(loggable_query("password=hunter2"), "password=[hidden]");
        assert_eq!(loggable_query(""), "");
        let long = format!("q={}", "a".repeat(400));
        assert_eq!(loggable_query(&long).chars().count(), MAX_QUERY);
    }
}
