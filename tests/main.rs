//! The one integration-test binary: each module is an area of the product.

mod support;

mod api_incidents;
mod browser;
mod bulk_import;
mod dashboard;
mod durability;
mod importers;
mod incident_pages;
mod ingest_api;
mod knowledge_base;
mod matrix;
mod security;
mod story;
mod web_atlas;
