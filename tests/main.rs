//! The one integration-test binary: each module is an area of the product.

mod support;

mod api_incidents;
mod importers;
mod incident_pages;
mod knowledge_base;
mod security;
mod web_atlas;
