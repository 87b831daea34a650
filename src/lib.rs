//! atlasview: AI incidents on the MITRE ATLAS matrix.

pub mod app;
pub mod atlas;
pub mod domain;
pub mod export;
pub mod render;
pub mod service;
pub mod store;
pub mod web;
