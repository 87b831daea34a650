//! The JSON API under `/api/v1`. Errors are `{"error": "...", "field": "..."}`
//! with the matching status; times are RFC 3339.

mod alerts;
mod atlas;
mod attachments;
mod imports;
mod incidents;
mod json;
mod matrix;
mod notifications;
pub mod openapi;
mod stix;
mod tags;
mod teamwork;
mod webhooks;

use crate::web::Routes;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};

use crate::web::{ApiError, AppError};

/// Largest JSON or YAML body the API reads.
pub const API_BODY_LIMIT: usize = 1024 * 1024;

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::*;
    use incidents::*;
    Routes::new()
        // The API's description is public: it says what exists, not what is stored.
        .public("/openapi.json", get(openapi::openapi_handler))
        .require(ReadIncidents, "/incidents", get(list_handler))
        .require(WriteIncidents, "/incidents", post(create_handler))
        .require(
            WriteIncidents,
            "/incidents/import",
            post(imports::import_handler).layer(DefaultBodyLimit::max(imports::IMPORT_BODY_LIMIT)),
        )
        .require(
            WriteIncidents,
            "/incidents/import/case-study",
            post(import_case_study_handler),
        )
        .require(
            WriteIncidents,
            "/incidents/import/stix",
            post(stix::import_handler).layer(DefaultBodyLimit::max(stix::STIX_BODY_LIMIT)),
        )
        .require(ReadIncidents, "/stix", get(stix::export_handler))
        .require(ReadIncidents, "/incidents/{id}", get(get_handler))
        .require(
            WriteIncidents,
            "/incidents/{id}",
            put(update_handler).delete(delete_handler),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/case-study.yaml",
            get(export_case_study_handler),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/steps",
            get(list_steps_handler),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/steps",
            post(add_step_handler),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/steps/order",
            put(reorder_handler),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/steps/{step_id}",
            get(get_step_handler),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/steps/{step_id}",
            put(update_step_handler).delete(delete_step_handler),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/activity",
            get(teamwork::activity_handler),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/members",
            get(teamwork::members_handler),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/members",
            put(teamwork::set_members_handler),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/comments",
            get(teamwork::comments_handler),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/comments",
            post(teamwork::add_comment_handler),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/tasks",
            get(teamwork::tasks_handler),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/tasks",
            post(teamwork::add_task_handler),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/tasks/{task}/status",
            put(teamwork::task_status_handler),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/tasks/{task}",
            put(teamwork::update_task_handler),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/observables",
            get(teamwork::observables_handler),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/observables",
            post(teamwork::add_observable_handler),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/attachments",
            get(attachments::list_handler),
        )
        // The upload reader applies the configured file limit as it reads.
        .require(
            WriteIncidents,
            "/incidents/{id}/attachments",
            post(attachments::upload_handler).layer(DefaultBodyLimit::disable()),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/attachments/{attachment}",
            get(attachments::get_handler),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/attachments/{attachment}",
            delete(attachments::delete_handler),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/attachments/{attachment}/download",
            get(attachments::download_handler),
        )
        .require(
            ManageReleases,
            "/case-studies/import",
            post(import_release_case_studies_handler),
        )
        .require(ReadIncidents, "/matrix", get(matrix::matrix_handler))
        .require(
            PostAlerts,
            "/alerts",
            post(alerts::ingest_handler).layer(DefaultBodyLimit::max(alerts::ALERTS_BODY_LIMIT)),
        )
        .require(
            ReadIncidents,
            "/alerts/unmapped",
            get(alerts::unmapped_handler),
        )
        .require(
            ReadIncidents,
            "/atlas/techniques/{id}",
            get(atlas::technique_handler),
        )
        .require(ReadIncidents, "/atlas/tactics", get(atlas::tactics_handler))
        .require(ReadIncidents, "/tags", get(tags::tags_handler))
        .require(
            ManageWebhooks,
            "/webhooks",
            get(webhooks::list_handler).post(webhooks::create_handler),
        )
        .require(
            ManageWebhooks,
            "/webhooks/{id}",
            get(webhooks::get_handler).delete(webhooks::delete_handler),
        )
        .require(
            ManageWebhooks,
            "/webhooks/{id}/test",
            post(webhooks::test_handler),
        )
        .signed_in("/notifications", get(notifications::list_handler))
        .signed_in(
            "/notifications/read-all",
            post(notifications::read_all_handler),
        )
        .signed_in(
            "/notifications/{id}/read",
            post(notifications::read_handler),
        )
        .signed_in(
            "/notifications/preferences",
            get(notifications::preferences_handler).put(notifications::set_preferences_handler),
        )
        .require(
            WriteIncidents,
            "/layers",
            post(matrix::import_layer_handler),
        )
        .fallback(api_not_found)
        .body_limit(API_BODY_LIMIT)
}

/// A path no API route declares: refused as reading or writing would be, else a 404.
async fn api_not_found(req: axum::extract::Request) -> axum::response::Response {
    use axum::response::IntoResponse;
    match crate::web::extract::auth::refusal(
        crate::web::extract::auth::access_of_unknown(req.method()),
        &req,
    ) {
        None => ApiError(AppError::NotFound("this API endpoint".to_string())).into_response(),
        Some(refused) => refused,
    }
}
