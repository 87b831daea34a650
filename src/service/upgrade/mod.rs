//! Upgrading incidents to a newer ATLAS release (see [`plan`]).

mod plan;

pub use plan::*;
