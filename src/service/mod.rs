//! Use cases shared by the JSON API, the HTML pages and the CLI: each takes
//! the store and the active release, validates, and writes in one transaction.

pub mod accounts;
pub mod admin;
pub mod attachments;
pub mod audit_log;
pub mod bulk_import;
pub mod case_studies;
pub mod demo;
pub mod incidents;
pub mod ingest;
pub mod ingest_queue;
pub mod layers;
pub mod mail;
pub mod matrix;
pub mod notifications;
pub mod observables;
pub mod readiness;
pub mod releases;
pub mod reports;
pub mod retrospectives;
pub mod step_order;
pub mod stix;
pub mod teamwork;
pub mod upgrade;
pub mod webhooks;

use crate::domain::ValidationError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
