//! The legacy single-file ATLAS release reader (releases up to 5.6), through
//! the one public entry point every import uses. Seeded with legacy files;
//! the sibling targets differ in seeds and dictionary only, since format
//! detection is part of the reader.
#![no_main]

mod common;

use atlasview::atlas::{ParseOptions, parse_release_with};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_release_with(data, &ParseOptions::default());
});
