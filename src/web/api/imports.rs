//! `POST /api/v1/incidents/import`: bulk incident import (JSONL, a JSON array,
//! or CSV with a header), upserted by source and external ID.

use axum::Json;
use axum::extract::{RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::alert::tidy;
use crate::service::bulk_import::{self, BulkOptions, Format};
use crate::web::extract::json_body::{read_text, require_content_type};
use crate::web::{ApiError, AppError, AppState};

/// Largest bulk-import body.
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportParams {
    source: Option<String>,
    dry_run: Option<String>,
}

fn flag(field: &str, value: Option<&str>) -> Result<bool, AppError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(other) => Err(AppError::bad_request(
            field,
            format!("{field}: `{}` is not true or false", tidy(other, 20)),
        )),
    }
}

impl ImportParams {
    /// The query's options: `dry_run` a flag, `source` not blank (default `api`).
    fn parse(raw: Option<&str>) -> Result<(String, bool), AppError> {
        let params: ImportParams =
            serde_html_form::from_str(raw.unwrap_or("")).map_err(|e| AppError::BadRequest {
                message: format!("invalid query string: {e}"),
                field: None,
            })?;
        let dry_run = flag("dry_run", params.dry_run.as_deref())?;
        let source = match params.source.as_deref().map(|s| tidy(s, 200)) {
            None => "api".to_string(),
            Some(s) if s.is_empty() => {
                return Err(AppError::bad_request("source", "source: must not be blank"));
            }
            Some(s) => s,
        };
        Ok((source, dry_run))
    }
}

/// The body's format: CSV when sent as `text/csv`, else JSON (an array or JSONL).
fn format_of(is_csv: bool, text: &str) -> Result<Format, AppError> {
    if is_csv {
        return Ok(Format::Csv);
    }
    match Format::sniff(text) {
        Format::Csv => Err(AppError::BadRequest {
            message: "the body is not JSON: send a JSON array, JSONL, or CSV as text/csv"
                .to_string(),
            field: Some("body".to_string()),
        }),
        f => Ok(f),
    }
}

/// The content types the import reads.
const IMPORT_TYPES: &[&str] = &[
    "application/json",
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "text/csv",
];

/// 200 with the report (every bad record with every problem); 422 with the
/// same report when no record could be imported.
#[utoipa::path(
    post,
    operation_id = "imports_import",
    path = "/api/v1/incidents/import",
    tag = "imports",
    summary = "Bulk import of incidents (JSON array, NDJSON or CSV)",
    params(("source" = Option<String>, Query, description = "Source of records naming none (default `api`)"), ("dry_run" = Option<bool>, Query, description = "Check only, store nothing")),
    request_body(content((Vec<serde_json::Value> = "application/json"), (String = "application/x-ndjson"), (String = "text/csv")), description = "Incident records"),
    responses((status = 200, description = "What was imported, every bad record with its problems", body = crate::service::bulk_import::BulkReport),
        (status = 422, description = "Every record failed", body = crate::service::bulk_import::BulkReport),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn import_handler(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    req: Request,
) -> Result<Response, ApiError> {
    require_content_type(&req, IMPORT_TYPES)?;
    let is_csv = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/csv"));
    let (source, dry_run) = ImportParams::parse(raw.as_deref())?;
    let text = read_text(req).await?;
    let text = text.as_str();
    let format = format_of(is_csv, text)?;
    let options = BulkOptions { source, dry_run };
    let atlas = state.atlas.get();
    let report = bulk_import::import_text(&state.store, &atlas, text, format, &options, |_, _| {})
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Invalid { message, field } if field == "file" => AppError::BadRequest {
                message,
                field: Some("body".to_string()),
            },
            other => other,
        })?;
    let status = if report.records > 0 && report.failed.len() == report.records {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)).into_response())
}
