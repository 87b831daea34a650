//! `/api/v1/incidents`: incidents and their steps.

use axum::Json;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::json::{detail_json, page_json, step_json, with_team};
use crate::domain::{IncidentDetail, IncidentInput, StepInput};
use crate::service::case_studies;
use crate::service::incidents as uc;
use crate::store::StoreError;
use crate::web::csv_download;
use crate::web::extract::incident_filters::list_request;
use crate::web::extract::json_body::{ApiJson, from_value, read_body, require_content_type};
use crate::web::extract::list_format::ListFormat;
use crate::web::{ApiError, AppError, AppState};

type ApiResult<T> = Result<T, ApiError>;

async fn load(state: &AppState, id: &str) -> Result<IncidentDetail, AppError> {
    Ok(uc::get(&state.store, id).await?)
}

/// 201 with a Location header and the incident as now stored.
async fn created(state: &AppState, id: &str) -> ApiResult<Response> {
    let detail = load(state, id).await?;
    let body = detail_json(&detail, &state.atlas.get());
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/incidents/{id}"))],
        Json(body),
    )
        .into_response())
}

async fn current(state: &AppState, id: &str) -> ApiResult<Response> {
    let detail = load(state, id).await?;
    let team = crate::service::teamwork::load(&state.store, id).await?;
    let json = with_team(detail_json(&detail, &state.atlas.get()), team);
    Ok(Json(json).into_response())
}

/// A page of JSON, or with `?format=csv` (or `Accept: text/csv`) every
/// incident the filters select as CSV (`rows=steps`: one row per step).
#[utoipa::path(
    get,
    operation_id = "list",
    path = "/api/v1/incidents",
    tag = "incidents",
    summary = "List incidents (filtered, paginated); CSV with format=csv or Accept: text/csv",
    params(crate::web::extract::incident_filters::FilterParams, crate::web::extract::list_format::Params),
    responses((status = 200, description = "A page of incidents (JSON) or every selected incident (CSV)", content((super::json::PageJson<super::json::IncidentJson> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_handler(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (query, format) = list_request(raw.as_deref(), &headers, "json")?;
    if let ListFormat::Csv(rows) = format {
        return Ok(csv_download::response(&state, query, rows));
    }
    let page = crate::web::list_cache::list(&state.store, &query).await?;
    // The body depends on `Accept` (CSV or JSON).
    Ok(([(header::VARY, "accept")], Json(page_json(page))).into_response())
}

/// The body of `POST /incidents`, for the OpenAPI document: the handler
/// reads the same two parts itself, so that an error names `title` or
/// `steps[2].tactic`.
#[derive(Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct NewIncidentBody {
    #[schema(inline)]
    #[serde(flatten)]
    incident: IncidentInput,
    #[serde(default)]
    steps: Vec<StepInput>,
}

/// Body: the incident's fields plus an optional `steps` list.
#[utoipa::path(
    post,
    operation_id = "create",
    path = "/api/v1/incidents",
    tag = "incidents",
    summary = "Create an incident, optionally with its steps",
    request_body(content = NewIncidentBody, content_type = "application/json"),
    responses((status = 201, description = "Created; Location names it", headers(("location" = String, description = "The new incident's API URL")), body = super::json::IncidentJson),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create_handler(
    State(state): State<AppState>,
    ApiJson(mut body): ApiJson<Value>,
) -> ApiResult<Response> {
    // Split before typing, so that an error names `title` or `steps[2].tactic`.
    let steps = match body.as_object_mut().and_then(|o| o.remove("steps")) {
        Some(steps) => from_value::<Vec<StepInput>>(steps, "steps")?,
        None => Vec::new(),
    };
    let incident: IncidentInput = from_value(body, "")?;
    let id = uc::create(&state.store, &state.atlas.get(), &incident, &steps).await?;
    created(&state, &id).await
}

#[utoipa::path(
    get,
    operation_id = "get",
    path = "/api/v1/incidents/{id}",
    tag = "incidents",
    summary = "One incident",
    params(("id" = String, Path, description = "Incident ID")),
    responses((status = 200, description = "The incident with its steps and team work", body = super::json::IncidentJson),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    current(&state, &id).await
}

#[utoipa::path(
    put,
    operation_id = "update",
    path = "/api/v1/incidents/{id}",
    tag = "incidents",
    summary = "Replace an incident's fields",
    params(("id" = String, Path, description = "Incident ID")),
    request_body(content = crate::domain::IncidentInput, content_type = "application/json"),
    responses((status = 200, description = "The incident with its steps and team work", body = super::json::IncidentJson),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 409, description = "A stale `version` or a clash with stored data", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<IncidentInput>,
) -> ApiResult<Response> {
    uc::update(&state.store, &state.atlas.get(), &id, &body).await?;
    current(&state, &id).await
}

#[derive(Deserialize)]
pub struct VersionParam {
    version: Option<String>,
}

fn version_of(p: &VersionParam) -> Result<Option<i64>, AppError> {
    match p.version.as_deref() {
        None => Ok(None),
        // Digits only: `str::parse` also reads `+7`, and `version=` is not
        // an integer either (the schema says integer; leave it out instead).
        Some(v) if v.bytes().all(|b| b.is_ascii_digit()) => v
            .parse()
            .map(Some)
            .map_err(|_| AppError::bad_request("version", format!("version: `{v}` is too large"))),
        Some(v) => Err(AppError::bad_request(
            "version",
            format!("version: `{v}` is not a whole number"),
        )),
    }
}

fn version_query(raw: Option<&str>) -> Result<Option<i64>, AppError> {
    let p: VersionParam =
        serde_html_form::from_str(raw.unwrap_or("")).map_err(|e| AppError::BadRequest {
            message: format!("invalid query string: {e}"),
            field: None,
        })?;
    version_of(&p)
}

#[utoipa::path(
    delete,
    operation_id = "delete",
    path = "/api/v1/incidents/{id}",
    tag = "incidents",
    summary = "Delete an incident",
    params(("id" = String, Path, description = "Incident ID"), ("version" = Option<i64>, Query, description = "The incident version last read; a stale one is a 409")),
    responses((status = 204, description = "Deleted"),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 409, description = "A stale `version` or a clash with stored data", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<StatusCode> {
    uc::delete(&state.store, &id, version_query(raw.as_deref())?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    operation_id = "list_steps",
    path = "/api/v1/incidents/{id}/steps",
    tag = "steps",
    summary = "An incident's steps in order",
    params(("id" = String, Path, description = "Incident ID")),
    responses((status = 200, description = "The steps", body = Vec<super::json::StepJson>),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_steps_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let detail = load(&state, &id).await?;
    let atlas = state.atlas.get();
    let steps: Vec<_> = detail.steps.iter().map(|s| step_json(s, &atlas)).collect();
    Ok(Json(steps).into_response())
}

#[utoipa::path(
    post,
    operation_id = "add_step",
    path = "/api/v1/incidents/{id}/steps",
    tag = "steps",
    summary = "Add a step",
    params(("id" = String, Path, description = "Incident ID")),
    request_body(content = crate::domain::StepInput, content_type = "application/json"),
    responses((status = 201, description = "Created; Location names it", headers(("location" = String)), body = super::json::StepJson),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 409, description = "A stale `version` or a clash with stored data", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn add_step_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StepInput>,
) -> ApiResult<Response> {
    let (step_id, _) = uc::add_step(&state.store, &state.atlas.get(), &id, &body).await?;
    let detail = load(&state, &id).await?;
    let step = detail
        .steps
        .iter()
        .find(|s| s.id == step_id)
        .ok_or_else(|| AppError::Internal(format!("step {step_id} vanished after insert")))?;
    let location = format!("/api/v1/incidents/{id}/steps/{step_id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(step_json(step, &state.atlas.get())),
    )
        .into_response())
}

#[utoipa::path(
    get,
    operation_id = "get_step",
    path = "/api/v1/incidents/{id}/steps/{step_id}",
    tag = "steps",
    summary = "One step",
    params(("id" = String, Path, description = "Incident ID"), ("step_id" = String, Path, description = "Step ID")),
    responses((status = 200, description = "The step", body = super::json::StepJson),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_step_handler(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let detail = load(&state, &id).await?;
    let step = detail
        .steps
        .iter()
        .find(|s| s.id == step_id)
        .ok_or_else(|| AppError::NotFound(format!("step {step_id} of incident {id}")))?;
    Ok(Json(step_json(step, &state.atlas.get())).into_response())
}

#[utoipa::path(
    put,
    operation_id = "update_step",
    path = "/api/v1/incidents/{id}/steps/{step_id}",
    tag = "steps",
    summary = "Replace a step",
    params(("id" = String, Path, description = "Incident ID"), ("step_id" = String, Path, description = "Step ID")),
    request_body(content = crate::domain::StepInput, content_type = "application/json"),
    responses((status = 200, description = "The step as stored", body = super::json::StepJson),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 409, description = "A stale `version` or a clash with stored data", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update_step_handler(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<StepInput>,
) -> ApiResult<Response> {
    uc::update_step(&state.store, &state.atlas.get(), &id, &step_id, &body).await?;
    get_step_handler(State(state), Path((id, step_id))).await
}

#[utoipa::path(
    delete,
    operation_id = "delete_step",
    path = "/api/v1/incidents/{id}/steps/{step_id}",
    tag = "steps",
    summary = "Delete a step",
    params(("id" = String, Path, description = "Incident ID"), ("step_id" = String, Path, description = "Step ID"), ("version" = Option<i64>, Query, description = "The incident version last read; a stale one is a 409")),
    responses((status = 204, description = "Deleted"),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 409, description = "A stale `version` or a clash with stored data", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete_step_handler(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<StatusCode> {
    uc::delete_step(&state.store, &id, &step_id, version_query(raw.as_deref())?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderBody {
    order: Vec<String>,
    version: Option<i64>,
}

#[utoipa::path(
    put,
    operation_id = "reorder",
    path = "/api/v1/incidents/{id}/steps/order",
    tag = "steps",
    summary = "Reorder the steps",
    params(("id" = String, Path, description = "Incident ID")),
    request_body(content = ReorderBody, content_type = "application/json"),
    responses((status = 200, description = "The incident with its steps and team work", body = super::json::IncidentJson),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody),
        (status = 409, description = "A stale `version` or a clash with stored data", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn reorder_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReorderBody>,
) -> ApiResult<Response> {
    if body.order.len() > crate::domain::limits::STEPS {
        return Err(
            AppError::invalid("order", "lists more steps than an incident can have").into(),
        );
    }
    match uc::reorder_steps(&state.store, &id, &body.order, body.version).await {
        // A wrong list of IDs is the client's mistake, not a version clash.
        Err(StoreError::Conflict(m)) if m.starts_with("the new order") => {
            return Err(AppError::invalid("order", m).into());
        }
        other => {
            other?;
        }
    }
    current(&state, &id).await
}

#[utoipa::path(
    get,
    operation_id = "export_case_study",
    path = "/api/v1/incidents/{id}/case-study.yaml",
    tag = "imports",
    summary = "The incident as an ATLAS case-study YAML",
    params(("id" = String, Path, description = "Incident ID")),
    responses((status = 200, description = "Case-study YAML (a mapping)", content_type = "application/yaml", body = std::collections::BTreeMap<String, serde_json::Value>),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn export_case_study_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let detail = load(&state, &id).await?;
    let yaml = case_studies::to_yaml(&case_studies::export_case_study(&detail))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/yaml; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{id}.yaml\""),
            ),
        ],
        yaml,
    )
        .into_response())
}

#[utoipa::path(
    post,
    operation_id = "import_case_study",
    path = "/api/v1/incidents/import/case-study",
    tag = "imports",
    summary = "Import one ATLAS case-study YAML",
    request_body(content = String, content_type = "application/yaml", description = "An ATLAS case study (YAML)"),
    responses((status = 201, description = "The new incident", headers(("location" = String)), body = super::json::IncidentJson),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 422, description = "Well-formed but breaks a rule; `field` names it", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn import_case_study_handler(
    State(state): State<AppState>,
    req: Request,
) -> ApiResult<Response> {
    require_content_type(
        &req,
        &[
            "application/yaml",
            "application/x-yaml",
            "text/yaml",
            "text/plain",
        ],
    )?;
    let bytes = read_body(req).await?;
    let doc = case_studies::parse_case_study(&bytes)?;
    let id = case_studies::import_case_study(&state.store, &state.atlas.get(), &doc).await?;
    created(&state, &id).await
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CaseStudyImportJson {
    release: String,
    created: usize,
    updated: usize,
    unchanged: usize,
    steps: usize,
}

#[utoipa::path(
    post,
    operation_id = "import_release_case_studies",
    path = "/api/v1/case-studies/import",
    tag = "imports",
    summary = "Import every case study of the active ATLAS release",
    responses((status = 200, description = "What was imported", body = CaseStudyImportJson)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn import_release_case_studies_handler(
    State(state): State<AppState>,
) -> ApiResult<Response> {
    let atlas = state.atlas.get();
    let r = case_studies::import_release_case_studies(&state.store, &atlas).await?;
    Ok(Json(CaseStudyImportJson {
        release: atlas.version().to_string(),
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        steps: r.steps,
    })
    .into_response())
}
