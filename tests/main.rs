//! The one integration-test binary: each module is an area of the product.

mod support;

mod aggregates;
mod analyst_day;
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
mod first_run_pages;
mod hardening;
mod heat;
mod importers;
mod incident_pages;
mod ingest_api;
mod knowledge_base;
mod layers;
mod matrix;
mod notifications;
mod request_log;
mod retro_states;
mod search;
mod security;
mod service_layer;
mod story;
mod tags;
mod teamwork;
mod text_fit;
mod upgrade;
mod web_atlas;
mod workflows;
