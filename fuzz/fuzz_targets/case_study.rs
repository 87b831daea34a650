//! Case-study YAML import: the reader and the import into a scratch store
//! (as `POST /api/v1/incidents/case-study`).
#![no_main]

mod common;

use atlasview::service::case_studies::{import_case_study, parse_case_study};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let db = common::db("case_study");
    let Ok(doc) = parse_case_study(data) else {
        return;
    };
    let _ = db
        .rt
        .block_on(import_case_study(&db.store, &db.atlas, &doc));
});
