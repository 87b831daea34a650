//! The dashboard (`/`): open incidents by severity, incidents over time, the
//! techniques, tactics and stages seen most, the latest incidents and a
//! small highlighted matrix, for a period; ATLAS case studies left out unless
//! asked for. Fit for a wall screen: `?refresh=60` reloads it every minute
//! (a `<meta http-equiv="refresh">`, so no script), and it follows the
//! browser's dark or light preference.

use std::ops::Deref;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;

use super::{ReportParams, cached_report, facts_cache, period_data, today};
use crate::render::dashboard::{Choices, DASHBOARD_OVERDUE, DashboardView, fill_dashboard};
use crate::render::period::Preset;
use crate::render::report::kinds;
use crate::service::{reports, teamwork};
use crate::web::{AppError, AppState};

/// The page: the view model (its fields are the template's, through `Deref`).
#[derive(Template)]
#[template(path = "reports/dashboard.html")]
pub struct DashboardPage {
    pub view: DashboardView,
}

impl Deref for DashboardPage {
    type Target = DashboardView;
    fn deref(&self) -> &DashboardView {
        &self.view
    }
}

pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    cached_report(&state, "dashboard", raw.as_deref(), async || {
        let page = build(&state, raw.as_deref()).await?;
        page.render()
            .map_err(|e| AppError::Internal(format!("dashboard: {e}")))
    })
    .await
}

async fn build(state: &AppState, raw: Option<&str>) -> Result<DashboardPage, AppError> {
    let params = ReportParams::parse(raw)?;
    let period = params.period(today(), Preset::Days90)?;
    let case_studies = params.case_studies()?;
    let refresh = params.refresh()?;
    let top = params.top()?;
    let atlas = state.atlas.get();
    let (data, previous) = period_data(state, &period, case_studies).await?;
    let open_anytime = reports::unresolved(&state.store, kinds(case_studies)).await?;
    let first_run = reports::nothing_recorded(&state.store).await?;
    let mut view = DashboardView::build(
        &atlas,
        &period,
        Choices {
            case_studies,
            refresh,
            top,
            scale: params.scale()?,
        },
        &data,
        &facts_cache::facts(&atlas, &data),
        previous.map(|p| facts_cache::facts(&atlas, &p)).as_deref(),
        open_anytime,
    );
    view.first_run = first_run;
    with_tasks(state, &mut view).await?;
    Ok(DashboardPage { view })
}

/// The owners of the latest incidents and the overdue tasks (issue #16).
async fn with_tasks(state: &AppState, view: &mut DashboardView) -> Result<(), AppError> {
    let ids: Vec<String> = view.latest.iter().map(|l| l.id.clone()).collect();
    let now = chrono::Utc::now();
    let t = teamwork::task_summary(&state.store, &ids, now, DASHBOARD_OVERDUE).await?;
    fill_dashboard(view, &t.members, &t.overdue, t.counts, now.date_naive());
    Ok(())
}
