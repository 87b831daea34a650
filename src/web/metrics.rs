//! The server's Prometheus metrics (`/metrics`, text format 0.0.4):
//! requests by matched route template (never the raw path, so the label
//! set stays bounded) and status, latency per route, alert ingestion
//! outcomes, the caches' lookups, the database pool, and build and ATLAS
//! release info. Counters live here for the life of the process; the
//! caches, pool and release are read at each scrape (`pages::metrics`).

use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::service::ingest::IngestReport;
use crate::web::lru::CacheStats;

/// The media type of [`Metrics::render`]'s text (format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// The label of requests no route matched (404s of unknown paths).
pub const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReleaseLabels {
    version: String,
    name: String,
}

type Latency = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// 5 ms to about 20 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 13))
}

/// The counters kept between scrapes (cheap to clone: shared).
#[derive(Clone, Debug)]
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    latency: Latency,
    ingested: Family<OutcomeLabels, Counter>,
    webhook_deliveries: Family<OutcomeLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            ingested: Family::default(),
            webhook_deliveries: Family::default(),
        }
    }
}

/// The methods named as they are; any other is `other` (bounded labels).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// What a scrape reads besides the counters.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub caches: Vec<(&'static str, CacheStats)>,
    pub pool_in_use: i64,
    pub pool_idle: i64,
    /// The active release's version and name.
    pub release: Option<(String, String)>,
}

impl Metrics {
    /// One answered request: `route` is the matched route template.
    pub fn observe_request(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        let method = method_label(method);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// The outcome of one ingestion request.
    pub fn observe_ingestion(&self, report: &IngestReport) {
        for (outcome, n) in [
            ("accepted", report.accepted),
            ("folded", report.folded),
            ("duplicates", report.duplicates),
            ("unmapped", report.unmapped),
            ("refused", report.refused.len()),
        ] {
            self.ingested
                .get_or_create(&OutcomeLabels { outcome })
                .inc_by(n as u64);
        }
    }

    /// The attempts of one round of the webhook sender, by outcome.
    pub fn observe_webhooks(&self, round: &crate::service::webhooks::Round) {
        for (outcome, n) in [
            ("delivered", round.delivered),
            ("retried", round.retried),
            ("failed", round.failed),
        ] {
            self.webhook_deliveries
                .get_or_create(&OutcomeLabels { outcome })
                .inc_by(n as u64);
        }
    }

    /// The text exposition of every metric.
    pub fn render(&self, snapshot: &Snapshot) -> Result<String, std::fmt::Error> {
        let mut registry = Registry::with_prefix("atlasview");
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route template and status",
            self.requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request (until its headers), by method and route template",
            Unit::Seconds,
            self.latency.clone(),
        );
        // Every outcome shown from the start, at 0 until an alert comes.
        for outcome in ["accepted", "folded", "duplicates", "unmapped", "refused"] {
            let _ = self.ingested.get_or_create(&OutcomeLabels { outcome });
        }
        registry.register(
            "alerts_ingested",
            "Alerts posted to the ingestion API, by outcome (folded and unmapped are also accepted)",
            self.ingested.clone(),
        );

        for outcome in ["delivered", "retried", "failed"] {
            let _ = self
                .webhook_deliveries
                .get_or_create(&OutcomeLabels { outcome });
        }
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts, by outcome (retried: failed, tried again later; failed: the last attempt failed)",
            self.webhook_deliveries.clone(),
        );

        let hits = Family::<CacheLabels, Counter>::default();
        let misses = Family::<CacheLabels, Counter>::default();
        let entries = Family::<CacheLabels, Gauge>::default();
        let bytes = Family::<CacheLabels, Gauge>::default();
        for (cache, s) in &snapshot.caches {
            let l = CacheLabels { cache };
            hits.get_or_create(&l).inc_by(s.hits);
            misses.get_or_create(&l).inc_by(s.misses);
            entries.get_or_create(&l).set(s.entries as i64);
            bytes.get_or_create(&l).set(s.bytes as i64);
        }
        registry.register(
            "cache_hits",
            "Cache lookups that found an entry, by cache (since the process started)",
            hits,
        );
        registry.register(
            "cache_misses",
            "Cache lookups that found none, by cache",
            misses,
        );
        registry.register("cache_entries", "Entries a cache holds now", entries);
        registry.register_with_unit(
            "cache_size",
            "The weight of a cache's entries now",
            Unit::Bytes,
            bytes,
        );

        let pool = Family::<PoolLabels, Gauge>::default();
        pool.get_or_create(&PoolLabels { state: "in_use" })
            .set(snapshot.pool_in_use);
        pool.get_or_create(&PoolLabels { state: "idle" })
            .set(snapshot.pool_idle);
        registry.register(
            "db_pool_connections",
            "Database connections of the pool, in use or idle",
            pool,
        );

        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "The running build (always 1)", build);
        let release = Family::<ReleaseLabels, Gauge>::default();
        if let Some((version, name)) = &snapshot.release {
            release
                .get_or_create(&ReleaseLabels {
                    version: version.clone(),
                    name: name.clone(),
                })
                .set(1);
        }
        registry.register(
            "atlas_release_info",
            "The active ATLAS release (always 1)",
            release,
        );

        let mut out = String::new();
        prometheus_text::encode(&mut out, &registry)?;
        Ok(out)
    }
}
