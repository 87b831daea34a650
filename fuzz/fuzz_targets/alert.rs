//! Alert ingestion's reader: the body split (object, array, NDJSON), every
//! alert shape (our plain one, Elastic ECS `threat`, OCSF `attacks`, tags),
//! and the correlation key of each accepted alert.
#![no_main]

mod common;

use atlasview::domain::alert::{correlation_key, fallback_rule, split_body};
use atlasview::service::ingest::{IngestOptions, prepare};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(items) = split_body(text) else {
        return;
    };
    let values: Vec<serde_json::Value> = items.iter().filter_map(|i| i.clone().ok()).collect();
    let options = IngestOptions {
        default_source: None,
        received_by: "fuzz".to_string(),
    };
    let _ = prepare(items, &options);
    let fields = fallback_rule().fields;
    let dotted = ["host.name".to_string(), "user.name".to_string()];
    for v in &values {
        let _ = correlation_key(v, &fields);
        let _ = correlation_key(v, &dotted);
    }
});
