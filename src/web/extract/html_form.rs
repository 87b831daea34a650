//! Reading HTML form submissions and query strings, and answering with
//! POST-redirect-GET, shared by every page area.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::web::AppError;

/// An `application/x-www-form-urlencoded` body parsed with `serde_html_form`.
/// Every failure is an HTML error page: 415 for another content type, 413 over
/// the route's limit, 400 for a body that is not a form of the expected shape.
pub(crate) struct HtmlForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for HtmlForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if content_type != "application/x-www-form-urlencoded" {
            return Err(AppError::UnsupportedMediaType(
                "This page accepts only HTML form submissions (application/x-www-form-urlencoded)."
                    .to_string(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge("The form is larger than this page accepts.".to_string())
            } else {
                AppError::BadRequest {
                    message: format!("The form could not be read: {}", rejection.body_text()),
                    field: None,
                }
            }
        })?;
        serde_html_form::from_bytes(&bytes)
            .map(HtmlForm)
            .map_err(|e| AppError::BadRequest {
                message: format!("The form could not be read: {e}"),
                field: None,
            })
    }
}

/// A query string parsed into a form struct (the GET half of a two-stage form).
pub(crate) fn parse_query<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, AppError> {
    serde_html_form::from_str(raw.unwrap_or("")).map_err(|e| AppError::BadRequest {
        message: format!("The query string could not be read: {e}"),
        field: None,
    })
}

/// 303 See Other. Locations are built from IDs the store generated; a value
/// that is not a valid header still never panics (it falls back to the list).
pub(crate) fn see_other(location: &str) -> Response {
    let value = HeaderValue::try_from(location).unwrap_or(HeaderValue::from_static("/incidents"));
    (StatusCode::SEE_OTHER, [(LOCATION, value)]).into_response()
}
