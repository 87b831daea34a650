//! STIX 2.1 in and out: `GET /api/v1/stix?<the incident list's filters>`
//! (one page of the list, bounded as the list is) and
//! `POST /api/v1/incidents/import/stix` (a bundle's Attack Flows and reports
//! upserted as incidents).

use axum::Json;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::alert::tidy;
use crate::export::stix;
use crate::service::bulk_import::BulkOptions;
use crate::service::stix as uc;
use crate::web::extract::incident_filters::FilterParams;
use crate::web::extract::json_body::{read_body, require_content_type};
use crate::web::{ApiError, AppError, AppState};

/// Largest bundle accepted (the reader's own limit).
pub const STIX_BODY_LIMIT: usize = uc::MAX_BUNDLE_BYTES;

#[utoipa::path(
    get,
    operation_id = "stix_export",
    path = "/api/v1/stix",
    tag = "stix",
    summary = "STIX 2.1 bundle of the incidents the filters select (with Attack Flow)",
    params(crate::web::extract::incident_filters::FilterParams),
    responses((status = 200, description = "A STIX 2.1 bundle", headers(("x-total-count" = i64, description = "Incidents selected in all"), ("link" = String, description = "rel=\"next\": the next page")), content_type = "application/stix+json;version=2.1", body = serde_json::Value),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn export_handler(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = FilterParams::from_query(raw.as_deref())?.to_query()?;
    let page = uc::incidents_for_export(&state.store, &query).await?;
    let bundle = stix::bundle(&state.atlas.get(), &page.incidents);
    let mut res = (
        [(header::CONTENT_TYPE, stix::MEDIA_TYPE)],
        stix::to_json(&bundle),
    )
        .into_response();
    // A bundle has no room for paging: the headers say where the list goes on.
    let headers = res.headers_mut();
    headers.insert("x-total-count", HeaderValue::from(page.total));
    if let Some((key, value)) = page.next
        && let Ok(link) = HeaderValue::from_str(&format!(
            "</api/v1/stix?{}>; rel=\"next\"",
            next_query(raw.as_deref(), key, &value)
        ))
    {
        headers.insert(header::LINK, link);
    }
    Ok(res)
}

/// The query of the next page: the same filters, and `key=value` (`after`
/// the last one shown, or the next `page`) instead of the page given.
fn next_query(raw: Option<&str>, key: &str, value: &str) -> String {
    let mut pairs: Vec<&str> = raw
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split_once('=').map_or(*p, |(k, _)| k);
            key != "after" && key != "page"
        })
        .collect();
    let next = format!(
        "{key}={}",
        percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
    );
    pairs.push(&next);
    pairs.join("&")
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportParams {
    source: Option<String>,
    dry_run: Option<String>,
}

impl ImportParams {
    fn parse(raw: Option<&str>) -> Result<BulkOptions, AppError> {
        let p: ImportParams =
            serde_html_form::from_str(raw.unwrap_or("")).map_err(|e| AppError::BadRequest {
                message: format!("invalid query string: {e}"),
                field: None,
            })?;
        let mut bad = Vec::new();
        let dry_run = match p.dry_run.as_deref().map(|v| v.trim().to_ascii_lowercase()) {
            None => false,
            Some(v) if matches!(v.as_str(), "" | "0" | "false" | "no") => false,
            Some(v) if matches!(v.as_str(), "1" | "true" | "yes") => true,
            Some(v) => {
                bad.push(AppError::bad_request(
                    "dry_run",
                    format!("dry_run: `{}` is not true or false", tidy(&v, 20)),
                ));
                false
            }
        };
        let source = match p.source.as_deref().map(|s| tidy(s, 200)) {
            None => uc::DEFAULT_SOURCE.to_string(),
            Some(s) if s.is_empty() => {
                bad.push(AppError::bad_request("source", "source: must not be blank"));
                String::new()
            }
            Some(s) => s,
        };
        if !bad.is_empty() {
            return Err(AppError::all(bad));
        }
        Ok(BulkOptions { source, dry_run })
    }
}

/// 200 with the report (every object left out or refused, by its STIX ID);
/// 422 with the same report when no incident could be imported; 400 naming
/// the part of a bundle that cannot be read.
#[utoipa::path(
    post,
    operation_id = "stix_import",
    path = "/api/v1/incidents/import/stix",
    tag = "stix",
    summary = "Import a STIX 2.1 bundle (Attack Flow or report)",
    params(("source" = Option<String>, Query, description = "Source of the imported incidents"), ("dry_run" = Option<bool>, Query, description = "Check only, store nothing")),
    request_body(content((serde_json::Value = "application/stix+json"), (serde_json::Value = "application/json")), description = "A STIX 2.1 bundle"),
    responses((status = 200, description = "What was imported", body = crate::service::bulk_import::BulkReport),
        (status = 422, description = "Every incident in the bundle failed", body = crate::service::bulk_import::BulkReport),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn import_handler(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    req: Request,
) -> Result<Response, ApiError> {
    require_content_type(&req, &["application/json", "application/stix+json"])?;
    let options = ImportParams::parse(raw.as_deref())?;
    let bytes = read_body(req).await?;
    let report = uc::import_bundle(&state.store, &state.atlas.get(), &bytes, &options)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Invalid { message, field } => AppError::BadRequest {
                message: format!("{field}: {message}"),
                field: Some(field),
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
