//! STIX 2.1 incident bundle import (Attack Flow, OpenCTI-style reports):
//! the bundle reader and the record checks, as a dry run against a scratch
//! store (as `POST /api/v1/incidents/import/stix?dry_run=1`).
#![no_main]

mod common;

use atlasview::service::bulk_import::BulkOptions;
use atlasview::service::stix::import_bundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let db = common::db("stix_bundle");
    let options = BulkOptions {
        source: "fuzz".to_string(),
        dry_run: true,
    };
    let _ = db
        .rt
        .block_on(import_bundle(&db.store, &db.atlas, data, &options));
});
