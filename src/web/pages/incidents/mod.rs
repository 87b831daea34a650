//! HTML pages for incidents and their steps.
//!
//! Every page works without JavaScript: forms are plain GET (filters) or POST
//! (writes) forms, every write answers 303 to the page to show next
//! (POST-redirect-GET), and a rejected form is re-rendered with the user's
//! input and the message beside the field it is about (422). A write naming a
//! stale incident version answers 409 and says someone else changed it.
//!
//! Handlers stay short: parse, call one service function, build the view with
//! `render::incident`, answer its template (`page!`).

mod detail;
mod incident_form;
mod list;
mod observables;
pub mod routes;
mod step_actions;
mod steps;
mod team;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::domain::{IncidentDetail, ValidationError};
pub(crate) use crate::render::incident::fields::{Problem, Problems, shorten};
use crate::service::ServiceError;
use crate::service::incidents as uc;
use crate::store::StoreError;
pub(crate) use crate::web::extract::html_form::{HtmlForm, parse_query, see_other};
use crate::web::{AppError, AppState};

// ------------------------------------------------------------ request side

/// The hidden `version` field: empty is none, anything but a number is a 400.
pub(crate) fn parse_version(raw: &str) -> Result<Option<i64>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| {
            AppError::bad_request(
                "version",
                format!("version: `{}` is not a whole number", shorten(v, 20)),
            )
        }),
    }
}

// ----------------------------------------------------------- response side

/// The incident, or a 404 naming it.
pub(crate) async fn load(state: &AppState, id: &str) -> Result<IncidentDetail, AppError> {
    Ok(uc::get(&state.store, id).await?)
}

/// How a handler that re-renders its form on failure sees a service error.
pub(crate) enum Failure {
    /// A rule broken by the input: re-render with the message (422).
    Invalid(ValidationError),
    /// Someone else changed the incident (409): re-render with an explanation.
    Conflict(String),
    /// Anything else becomes the ordinary error page.
    Other(AppError),
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(v) => Failure::Invalid(v),
            ServiceError::Store(StoreError::Conflict(m)) if is_version_clash(&m) => {
                Failure::Conflict(m)
            }
            // Another clash (an incident at its step limit): the error page says which.
            ServiceError::Store(StoreError::Conflict(m)) => Failure::Other(AppError::Conflict(m)),
            ServiceError::Store(s) => Failure::Other(s.into()),
        }
    }
}

/// Whether a store conflict is a stale version (rather than, say, a limit).
pub(crate) fn is_version_clash(message: &str) -> bool {
    message.contains("was changed")
}

/// What a stale-version refusal tells the user, from the versions involved.
pub(crate) fn conflict_text(yours: Option<i64>, current: i64) -> String {
    match yours {
        Some(v) if v < current => {
            format!("You were working from version {v}; it is now at version {current}.")
        }
        _ => format!("It is now at version {current}."),
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        ServiceError::Store(e).into()
    }
}

/// A page answered with a status other than 200.
pub(crate) fn with_status(status: StatusCode, page: impl IntoResponse) -> Response {
    (status, page).into_response()
}

// -------------------------------------------------------------- view models

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_versions_are_refused() {
        assert_eq!(parse_version(" 3 ").unwrap(), Some(3));
        assert_eq!(parse_version("").unwrap(), None);
        assert!(parse_version("3; drop").is_err());
    }
}
