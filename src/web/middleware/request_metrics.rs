//! Counts every request for `/metrics`: by method, the route template it
//! matched (`/incidents/{id}`, never the raw path: one label per route, not
//! per incident) and status, with its latency until the response's headers.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::web::metrics::{Metrics, UNMATCHED};

pub async fn count_requests(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let res = next.run(req).await;
    metrics.observe_request(
        &method,
        route.as_deref().unwrap_or(UNMATCHED),
        res.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    res
}
