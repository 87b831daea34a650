//! `/api/v1/alerts`: alert ingestion from SIEMs and pipelines (one JSON
//! object, a JSON array, or NDJSON), and the unmapped queue.

use axum::Json;
use axum::extract::{RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::domain::alert::{MAX_ID, split_body, tidy};
use crate::service::ingest::{self, IngestOptions, IngestReport};
use crate::web::extract::auth::Actor;
use crate::web::extract::json_body::{read_text, require_content_type};
use crate::web::{ApiError, AppError, AppState};

/// Largest alert request body: 10,000 alerts of a few KiB each.
pub const ALERTS_BODY_LIMIT: usize = 48 * 1024 * 1024;

#[derive(Deserialize, Default)]
#[serde(default)]
struct IngestParams {
    source: Option<String>,
}

#[derive(Serialize)]
struct Refused<'a> {
    error: &'static str,
    #[serde(flatten)]
    report: &'a IngestReport,
}

/// The content types alerts are read from.
const ALERT_TYPES: &[&str] = &[
    "application/json",
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "text/plain",
];

impl IngestParams {
    /// `source=`: the source of alerts that name none; not blank.
    fn source(raw: Option<&str>) -> Result<Option<String>, AppError> {
        let params: IngestParams = serde_html_form::from_str(raw.unwrap_or(""))
            .map_err(|e| AppError::bad_request("source", format!("invalid query string: {e}")))?;
        match params.source.as_deref().map(|s| tidy(s, MAX_ID)) {
            Some(s) if s.is_empty() => {
                Err(AppError::bad_request("source", "source: must not be blank"))
            }
            other => Ok(other),
        }
    }
}

/// `POST /api/v1/alerts[?source=NAME]`: 200 with the counts; 422 with the
/// same report when every alert was refused.
#[utoipa::path(
    post,
    operation_id = "alerts_ingest",
    path = "/api/v1/alerts",
    tag = "alerts",
    summary = "Ingest alerts: one JSON object, a JSON array, or NDJSON",
    params(("source" = Option<String>, Query, description = "Source of alerts naming none")),
    request_body(content((serde_json::Value = "application/json"), (String = "application/x-ndjson"), (String = "text/plain")), description = "Alerts"),
    responses((status = 200, description = "How the alerts fared", body = crate::service::ingest::IngestReport),
        (status = 422, description = "Every alert was refused", body = crate::service::ingest::IngestReport),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn ingest_handler(
    State(state): State<AppState>,
    actor: Actor,
    RawQuery(raw): RawQuery,
    req: Request,
) -> Result<Response, ApiError> {
    require_content_type(&req, ALERT_TYPES)?;
    let default_source = IngestParams::source(raw.as_deref())?;
    let text = read_text(req).await?;
    let text = text.as_str();
    let items = split_body(text).map_err(|m| AppError::BadRequest {
        message: m,
        field: Some("body".to_string()),
    })?;
    let options = IngestOptions {
        default_source,
        received_by: actor.name,
    };
    let report = state
        .ingest
        .ingest(state.atlas.get(), items, &options)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Invalid { message, field } if field == "body" => {
                AppError::PayloadTooLarge(format!("the body {message}"))
            }
            other => other,
        })?;
    state.metrics.observe_ingestion(&report);
    if report.accepted == 0 && report.duplicates == 0 && !report.refused.is_empty() {
        let body = Refused {
            error: "every alert was refused; see `refused` for the reasons",
            report: &report,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
    }
    Ok(Json(report).into_response())
}

#[derive(Serialize, utoipa::ToSchema)]
struct UnmappedJson {
    source: String,
    alert_id: String,
    raw_id: String,
    technique: String,
    event_at: String,
    received_at: String,
    title: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct UnmappedList {
    total_alerts: i64,
    items: Vec<UnmappedJson>,
}

/// `GET /api/v1/alerts/unmapped`: alerts naming techniques the active release does not know.
#[utoipa::path(
    get,
    operation_id = "alerts_unmapped",
    path = "/api/v1/alerts/unmapped",
    tag = "alerts",
    summary = "Alerts naming techniques the active release does not know",
    responses((status = 200, description = "The latest unmapped alerts", body = UnmappedList)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn unmapped_handler(State(state): State<AppState>) -> Result<Response, ApiError> {
    let (total_alerts, hits) = ingest::unmapped(&state.store, 500).await?;
    let items = hits
        .into_iter()
        .map(|h| UnmappedJson {
            source: h.source,
            alert_id: h.alert_id,
            raw_id: h.raw_id,
            technique: h.technique_id,
            event_at: h.event_at,
            received_at: h.received_at,
            title: h.title,
        })
        .collect();
    Ok(Json(UnmappedList {
        total_alerts,
        items,
    })
    .into_response())
}
