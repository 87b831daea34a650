//! Request bodies of the JSON API: the content type is checked (415), the
//! size is capped by the router's body limit (413), and a parse error names
//! the offending field (`steps[0].confidence`).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use crate::web::{ApiError, AppError};

/// Reads the body as bytes, turning axum's rejections into our error shape.
pub async fn read_body(req: Request) -> Result<Bytes, AppError> {
    Bytes::from_request(req, &()).await.map_err(|rejection| {
        let status = rejection.status();
        if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(
                "the request body is larger than this endpoint accepts".to_string(),
            )
        } else {
            AppError::BadRequest {
                message: format!("cannot read the request body: {rejection}"),
                field: None,
            }
        }
    })
}

fn content_type(req: &Request) -> String {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// Requires one of `accepted` content types (`application/json` also admits `+json`).
/// The body as UTF-8 text (400 naming `body` when it is not).
pub async fn read_text(req: Request) -> Result<String, AppError> {
    let bytes = read_body(req).await?;
    String::from_utf8(bytes.to_vec()).map_err(|_| AppError::BadRequest {
        message: "the body is not UTF-8 text".to_string(),
        field: Some("body".to_string()),
    })
}

pub fn require_content_type(req: &Request, accepted: &[&str]) -> Result<(), AppError> {
    let ct = content_type(req);
    let ok = accepted.iter().any(|a| ct == *a)
        || (accepted.contains(&"application/json") && ct.ends_with("+json"));
    if ok {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType(format!(
            "Content-Type must be {} (got {})",
            accepted.join(" or "),
            if ct.is_empty() {
                "none".to_string()
            } else {
                format!("`{ct}`")
            }
        )))
    }
}

/// Parses JSON, naming the field of a type error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => {
            de.end().map_err(|e| AppError::BadRequest {
                message: format!("invalid JSON: {e}"),
                field: None,
            })?;
            Ok(value)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                Err(AppError::BadRequest {
                    message: format!("invalid JSON: {inner}"),
                    field: None,
                })
            } else {
                let field = if path == "." {
                    "body".to_string()
                } else {
                    path
                };
                Err(AppError::invalid(
                    field.clone(),
                    format!("{field}: {inner}"),
                ))
            }
        }
    }
}

/// Deserializes an already parsed JSON value, naming a bad field as
/// `prefix` + its path (`steps[0].confidence`).
pub fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, AppError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let field = match (prefix, path.as_str()) {
            ("", ".") => "body".to_string(),
            (p, ".") => p.to_string(),
            ("", path) => path.to_string(),
            (p, path) if path.starts_with('[') => format!("{p}{path}"),
            (p, path) => format!("{p}.{path}"),
        };
        AppError::invalid(field.clone(), format!("{field}: {}", err.into_inner()))
    })
}

/// `Json<T>` for our API: 415 unless `application/json`, 413 over the limit,
/// 400 for malformed JSON, 422 naming the field for a wrong shape.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        require_content_type(&req, &["application/json"])?;
        let bytes = read_body(req).await?;
        Ok(ApiJson(parse_json(&bytes)?))
    }
}
