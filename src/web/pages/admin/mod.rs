//! Administration pages (admins only): accounts and tokens with the audit
//! log, ATLAS releases, upgrading incidents to a newer release, alert
//! ingestion, and turning the active release's case studies into incidents.

pub mod accounts;
pub mod atlas_releases;
pub mod case_studies;
pub mod ingest;
pub mod upgrade;
