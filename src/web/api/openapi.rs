//! The OpenAPI 3.1 document of `/api/v1`, derived by utoipa from the
//! handlers' `#[utoipa::path]` attributes and the types they read and write
//! (no hand-kept copy). Served at `/api/v1/openapi.json`; the page `/api`
//! shows the same value to people.

use std::sync::OnceLock;

use axum::Json;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::{
    alerts, atlas, attachments, imports, incidents, matrix, notifications, stix, tags, teamwork,
    webhooks,
};

/// The session cookie's name (see `web::extract::auth`).
const SESSION_COOKIE: &str = crate::web::extract::auth::SESSION_COOKIE;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "atlasview API",
        description = "Incidents on the MITRE ATLAS matrix. Errors are `{\"error\": message, \"field\": the parameter(s) at fault}`; times are RFC 3339.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        openapi_handler,
        incidents::list_handler,
        incidents::create_handler,
        imports::import_handler,
        incidents::import_case_study_handler,
        stix::import_handler,
        stix::export_handler,
        incidents::get_handler,
        incidents::update_handler,
        incidents::delete_handler,
        incidents::export_case_study_handler,
        incidents::list_steps_handler,
        incidents::add_step_handler,
        incidents::reorder_handler,
        incidents::get_step_handler,
        incidents::update_step_handler,
        incidents::delete_step_handler,
        teamwork::activity_handler,
        teamwork::members_handler,
        teamwork::set_members_handler,
        teamwork::comments_handler,
        teamwork::add_comment_handler,
        teamwork::tasks_handler,
        teamwork::add_task_handler,
        teamwork::task_status_handler,
        teamwork::update_task_handler,
        teamwork::observables_handler,
        teamwork::add_observable_handler,
        attachments::list_handler,
        attachments::upload_handler,
        attachments::get_handler,
        attachments::delete_handler,
        attachments::download_handler,
        incidents::import_release_case_studies_handler,
        matrix::matrix_handler,
        alerts::ingest_handler,
        alerts::unmapped_handler,
        atlas::technique_handler,
        atlas::tactics_handler,
        tags::tags_handler,
        webhooks::list_handler,
        webhooks::create_handler,
        webhooks::get_handler,
        webhooks::delete_handler,
        webhooks::test_handler,
        notifications::list_handler,
        notifications::read_all_handler,
        notifications::read_handler,
        notifications::preferences_handler,
        notifications::set_preferences_handler,
        matrix::import_layer_handler,
        crate::web::pages::admin::atlas_releases::list_api,
        crate::web::pages::admin::atlas_releases::import_api,
        crate::web::pages::atlas::release_diff::diff_api_handler,
    ),
    components(schemas(crate::web::ErrorBody)),
    modifiers(&Security, &CommonErrors),
)]
pub struct ApiDoc;

/// The two ways to authenticate: an API token as a bearer token, or the
/// session cookie of a signed-in browser.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token (Account page or `atlasview token`)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The session cookie of a signed-in browser (writes also need the CSRF token)",
            ))),
        );
    }
}

/// The error answers every operation of a kind may give, said once here
/// instead of on each operation: 401 and 403 wherever credentials are asked
/// for, 413 and 415 wherever a body is read.
struct CommonErrors;

impl utoipa::Modify for CommonErrors {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for item in doc.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                let mut common = Vec::new();
                // Credentials asked for: a requirement, and none of them
                // empty (`security(())` lets anyone in).
                let asks = op.security.as_ref().is_some_and(|all| {
                    !all.is_empty()
                        && all.iter().all(|r| {
                            serde_json::to_value(r).is_ok_and(|v| v != serde_json::json!({}))
                        })
                });
                if asks {
                    common.push(("401", "No or invalid credentials"));
                    common.push(("403", "The role does not allow this"));
                }
                if op.request_body.is_some() {
                    common.push(("413", "The body is over this route's limit"));
                    common.push(("415", "A content type this route does not read"));
                }
                for (status, description) in common {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error(description).into());
                }
            }
        }
    }
}

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// This document (OpenAPI 3.1, JSON).
#[utoipa::path(
    get,
    operation_id = "openapi_openapi",
    path = "/api/v1/openapi.json",
    tag = "meta",
    summary = "This OpenAPI 3.1 document",
    responses((status = 200, description = "The document", content_type = "application/json", body = serde_json::Value)),
    security(())
)]
pub async fn openapi_handler() -> Response {
    Json(document()).into_response()
}
