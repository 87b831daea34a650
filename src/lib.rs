//! atlasview: AI incidents on the MITRE ATLAS matrix.

pub mod app;
pub mod atlas;
pub mod store;
pub mod web;
