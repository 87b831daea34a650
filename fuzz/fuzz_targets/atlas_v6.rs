//! The format-6 (`format-version: 6.0.0`) ATLAS release reader, through the
//! one public entry point every import uses; the release asked for is set on
//! odd-length inputs, so the version check runs too.
#![no_main]

mod common;

use atlasview::atlas::{ParseOptions, parse_release_with};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = ParseOptions {
        release: (data.len() % 2 == 1).then(|| "6.0.0".to_string()),
        source: None,
    };
    let _ = parse_release_with(data, &options);
});
