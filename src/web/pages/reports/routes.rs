//! The routes of the reporting pages, each with its guard (the table is in the module's documentation).

use axum::routing::{get, post};

use super::{briefing, dashboard, retrospective};
use crate::web::Routes;

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::*;
    Routes::new()
        .require(ReadIncidents, "/", get(dashboard::page))
        .require(ReadIncidents, "/briefing", get(briefing::page))
        .require(ReadIncidents, "/briefing.pdf", get(briefing::pdf))
        .require(
            ReadIncidents,
            "/incidents/{id}/retrospective",
            get(retrospective::page),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/retrospective.pdf",
            get(retrospective::pdf),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/retrospective/notes",
            post(retrospective::save_notes),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/retrospective/notes",
            get(retrospective::back_to_page),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/retrospective/checklist",
            post(retrospective::save_checklist),
        )
        .require(
            ReadIncidents,
            "/incidents/{id}/retrospective/checklist",
            get(retrospective::back_to_page),
        )
}
