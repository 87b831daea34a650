//! The STIX 2.1 release bundle reader (`stix-atlas-<release>.json`), through
//! the one public entry point every import uses, its release given by the
//! file name as `atlas import` does.
#![no_main]

mod common;

use atlasview::atlas::{ParseOptions, parse_release_with};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = ParseOptions {
        release: None,
        source: Some("stix-atlas-5.6.0.json".to_string()),
    };
    let _ = parse_release_with(data, &options);
});
