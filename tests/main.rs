//! The one integration-test binary: each module is an area of the product.

mod support;

mod aggregates;
mod api_incidents;
mod atlas6;
mod board_briefing;
mod browser;
mod bulk_import;
mod compression;
mod concurrency;
mod dashboard;
mod dates;
mod durability;
mod hardening;
mod heat;
mod importers;
mod incident_pages;
mod ingest_api;
mod knowledge_base;
mod matrix;
mod request_log;
mod retro_states;
mod search;
mod security;
mod story;
mod text_fit;
mod upgrade;
mod web_atlas;
mod workflows;
