//! The one error type of the HTTP layer. HTML handlers return `AppError`,
//! which renders an error page inside the normal layout; JSON handlers wrap it
//! in [`ApiError`], which renders `{"error": …, "field": …}`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing named does not exist (404).
    #[error("{0} was not found")]
    NotFound(String),
    /// A malformed request: a query parameter or path segment that cannot be parsed (400).
    #[error("{message}")]
    BadRequest {
        message: String,
        field: Option<String>,
    },
    /// A well-formed request whose content breaks a rule (422).
    #[error("{message}")]
    Invalid { message: String, field: String },
    /// No or invalid credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the role does not allow this (403).
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts; try again later (429).
    #[error("{0}")]
    TooManyRequests(String),
    /// A stale version or a clash with existing data (409).
    #[error("{0}")]
    Conflict(String),
    /// The body is over the limit for this route (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// One field (an uploaded file) is over its limit (413).
    #[error("{message}")]
    FieldTooLarge { message: String, field: String },
    /// The body is not of a content type this route reads (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Storage failed; details are logged, not shown (500).
    #[error("internal error")]
    Store(#[from] StoreError),
    /// Anything else unexpected; logged, not shown (500).
    #[error("internal error")]
    Internal(String),
}

impl From<crate::domain::ValidationError> for AppError {
    fn from(e: crate::domain::ValidationError) -> Self {
        AppError::Invalid {
            message: e.message,
            field: e.field,
        }
    }
}

impl From<crate::service::ServiceError> for AppError {
    fn from(e: crate::service::ServiceError) -> Self {
        match e {
            crate::service::ServiceError::Invalid(v) => v.into(),
            crate::service::ServiceError::Store(s) => s.into(),
        }
    }
}

impl AppError {
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// Several problems of one request as one error: every message, every
    /// field named (the status is the first one's).
    pub fn all(mut problems: Vec<AppError>) -> Self {
        if problems.len() == 1 {
            return problems.remove(0);
        }
        let fields: Vec<String> = problems
            .iter()
            .filter_map(|p| p.field().map(str::to_string))
            .collect();
        let message = problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; ");
        let field = (!fields.is_empty()).then(|| fields.join(", "));
        match problems.first() {
            Some(AppError::Invalid { .. }) => AppError::Invalid {
                message,
                field: field.unwrap_or_default(),
            },
            _ => AppError::BadRequest { message, field },
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid {
            message: message.into(),
            field: field.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge(_) | AppError::FieldTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Store(StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
            AppError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            AppError::Store(e) if e.is_busy() => StatusCode::CONFLICT,
            AppError::Store(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message safe to show a user: internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Store(StoreError::NotFound(what)) => format!("{what} was not found"),
            AppError::Store(StoreError::Conflict(what)) => what.clone(),
            AppError::Store(e) if e.is_busy() => {
                "Another change was being saved at the same moment; try again.".to_string()
            }
            AppError::Store(_) | AppError::Internal(_) => {
                "Something went wrong on our side; the error has been logged.".to_string()
            }
            other => other.to_string(),
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::BadRequest { field, .. } => field.as_deref(),
            AppError::Invalid { field, .. } | AppError::FieldTooLarge { field, .. } => Some(field),
            _ => None,
        }
    }

    fn log(&self) {
        if self.status().is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    title: String,
    status: u16,
    message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let page = ErrorPage {
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            message: self.public_message(),
        };
        (status, page).into_response()
    }
}

/// JSON form of [`AppError`] for `/api/v1`: `{"error": "...", "field": "..."}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let body = ErrorBody {
            error: self.0.public_message(),
            field: self.0.field().map(str::to_string),
        };
        (self.0.status(), Json(body)).into_response()
    }
}
