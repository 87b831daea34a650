//! Administration pages (admins only): accounts and tokens with the audit
//! log, ATLAS releases, upgrading incidents to a newer release, alert
//! ingestion, and turning the active release's case studies into incidents.

pub mod accounts;
pub mod atlas_releases;
pub mod case_studies;
pub mod ingest;
pub mod upgrade;
pub mod webhooks;

use serde::Deserialize;

use crate::web::AppError;
use crate::web::extract::html_form::parse_query;

/// The `?done=` of the page a write redirects to (POST-redirect-GET).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Notice {
    pub done: String,
}

/// The notice of `?done=` to show, at most 200 characters; none when absent.
pub(crate) fn done_notice(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let q: Notice = parse_query(raw)?;
    Ok((!q.done.is_empty()).then(|| q.done.chars().take(200).collect()))
}
