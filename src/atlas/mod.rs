//! ATLAS knowledge: the release model, importers for every upstream format,
//! the embedded catalog, markdown rendering and the in-memory active release.

pub mod active;
pub mod catalog;
pub mod diff;
pub mod fetch;
pub mod markdown;
pub mod model;

pub use active::{ActiveAtlas, ReleaseInfo};
pub use model::*;
pub mod error;
pub mod ids;
pub mod legacy;
pub mod parse;
pub(crate) mod reader;
pub mod stix;
pub mod successors;
pub mod tactic_names;
pub mod v6;
pub mod validate;
pub mod version;
pub(crate) mod yaml;
pub use error::{ImportError, ImportWarning};
pub use parse::{
    MAX_RELEASE_BYTES, ParseOptions, Parsed, parse_release, parse_release_str, parse_release_with,
};
