//! The routes of the incident pages, each with its guard.

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use super::{attachments, detail, incident_form, list, observables, step_actions, steps, team};
use crate::web::Routes;

/// Largest body of the case-study paste form: the YAML limit of
/// [`crate::service::case_studies::MAX_CASE_STUDY_BYTES`] once percent-encoded.
const IMPORT_BODY_LIMIT: usize = 4 * 1024 * 1024;
/// Largest body of every other form (two long texts of 20 000 characters,
/// percent-encoded, fit with room to spare).
const FORM_BODY_LIMIT: usize = 1024 * 1024;

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::*;
    let forms = Routes::new()
        .require(ReadIncidents, "/incidents", get(list::page))
        .require(WriteIncidents, "/incidents", post(incident_form::create))
        .require(
            WriteIncidents,
            "/incidents/new",
            get(incident_form::new_page),
        )
        .require(ReadIncidents, "/incidents/{id}", get(detail::page))
        .require(
            WriteIncidents,
            "/incidents/{id}",
            post(incident_form::update),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/edit",
            get(incident_form::edit_page),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/delete",
            get(detail::delete_page).post(detail::delete),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/case-study.yaml",
            get(detail::case_study_yaml),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/stix.json",
            get(detail::stix_json),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/steps",
            get(steps::steps_anchor),
        )
        .require(WriteIncidents, "/incidents/{id}/steps", post(steps::create))
        .require(
            WriteIncidents,
            "/incidents/{id}/steps/new",
            get(steps::new_page),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/steps/{step}",
            get(steps::step_anchor),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/steps/{step}",
            post(steps::update),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/steps/{step}/edit",
            get(steps::edit_page),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/steps/{step}/delete",
            get(step_actions::delete_page).post(steps::delete),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/steps/{step}/move",
            post(step_actions::move_step),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/steps/{step}/position",
            post(step_actions::move_to),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/steps/form",
            post(step_actions::reload_new),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/steps/{step}/form",
            post(step_actions::reload_edit),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/members",
            post(team::assign),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/comments",
            post(team::add_comment),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/comments/{comment}",
            post(team::edit_comment),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/comments/{comment}/edit",
            get(team::edit_comment_page),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/comments/{comment}/remove",
            post(team::remove_comment),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/tasks",
            post(team::add_task),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/tasks/{task}/status",
            post(team::task_status),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/tasks/{task}",
            post(team::edit_task),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/tasks/{task}/edit",
            get(team::edit_task_page),
        )
        .require(ReadIncidents, "/tasks", get(team::my_tasks))
        .require(
            WriteIncidents,
            "/incidents/{id}/observables",
            post(observables::add),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/observables/{observable}/remove",
            post(observables::remove),
        )
        .require(ReadIncidents, "/observables", get(observables::page))
        // The upload reader applies the configured file limit as it reads.
        .require(
            WriteIncidents,
            "/incidents/{id}/attachments",
            post(attachments::upload).layer(DefaultBodyLimit::disable()),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/attachments/{attachment}/download",
            get(attachments::download),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/attachments/{attachment}/remove",
            get(attachments::remove_page).post(attachments::remove),
        )
        .body_limit(FORM_BODY_LIMIT);
    let import = Routes::new()
        .require(
            WriteIncidents,
            "/incidents/import",
            get(incident_form::import_page).post(incident_form::import),
        )
        .body_limit(IMPORT_BODY_LIMIT);
    forms.merge(import)
}
