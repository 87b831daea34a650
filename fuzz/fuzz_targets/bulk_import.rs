//! Bulk incident import: JSONL, a JSON array or CSV, every record checked,
//! as a dry run against a scratch store (as `POST /api/v1/incidents/import
//! ?dry_run=1`).
#![no_main]

mod common;

use atlasview::service::bulk_import::{BulkOptions, Format, import_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let db = common::db("bulk_import");
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = BulkOptions {
        source: "fuzz".to_string(),
        dry_run: true,
    };
    let _ = db.rt.block_on(import_text(
        &db.store,
        &db.atlas,
        text,
        Format::sniff(text),
        &options,
        |_, _| {},
    ));
});
