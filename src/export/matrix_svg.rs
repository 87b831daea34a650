//! The two SVG drawings of the matrix: the highlighted matrix of a
//! request's incidents, and one incident's techniques with step numbers.

use super::svg::{SvgInput, render};
use crate::atlas::ActiveAtlas;
use crate::domain::IncidentDetail;
use crate::render::grid::{IncidentMatrix, MatrixGrid};
use crate::render::heat::{self, Metric};
use crate::render::matrix_page::highlight::{Loaded, highlighted_view};
use crate::render::matrix_page::request::MatrixRequest;
use crate::render::matrix_query::SubsMode;

/// The highlighted matrix of a request's incidents.
pub fn highlighted(
    loaded: &Loaded,
    req: &MatrixRequest,
    today: &str,
) -> Result<String, askama::Error> {
    let view = MatrixGrid::new(highlighted_view(loaded, req), req.observed_only).view;
    let noun = match req.metric {
        Metric::Incidents => "Incidents",
        Metric::Steps => "Steps",
    };
    let agg = &loaded.aggregate;
    let legend = loaded
        .scores
        .legend()
        .iter()
        .map(|e| (e.level, e.range()))
        .collect();
    render(&SvgInput {
        view: &view,
        title: format!("MITRE ATLAS matrix: {} per technique", noun.to_lowercase()),
        subtitle: format!(
            "{} — {} incident{}, {} step{}{}",
            req.describe(),
            agg.incident_total,
            if agg.incident_total == 1 { "" } else { "s" },
            agg.step_total,
            if agg.step_total == 1 { "" } else { "s" },
            if req.rollup {
                "; sub-techniques rolled up into their parent"
            } else {
                ""
            }
        ),
        legend_title: format!("{noun} per technique:"),
        legend,
        footer: footer(&loaded.atlas, today),
        all_subtechniques: req.subs == SubsMode::All,
    })
}

fn footer(atlas: &ActiveAtlas, today: &str) -> String {
    format!(
        "MITRE ATLAS {} · drawn by atlasview on {today}",
        atlas.version()
    )
}

/// One incident on the matrix: its techniques marked with their step numbers.
pub fn incident(
    atlas: &ActiveAtlas,
    detail: &IncidentDetail,
    today: &str,
) -> Result<String, askama::Error> {
    let m = IncidentMatrix::build(atlas, &detail.incident.id, &detail.steps);
    let i = &detail.incident;
    render(&SvgInput {
        view: &m.grid.view,
        title: i.title.clone(),
        subtitle: format!(
            "{} {} · {} · {} step{}{}",
            i.kind.label(),
            i.id,
            i.severity.label(),
            m.step_count,
            if m.step_count == 1 { "" } else { "s" },
            i.occurred
                .map(|t| format!(" · occurred {}", t.display()))
                .unwrap_or_default()
        ),
        legend_title: "The numbers are the step numbers:".to_string(),
        legend: vec![(heat::INCIDENT_LEVEL, "technique used".to_string())],
        footer: footer(atlas, today),
        all_subtechniques: false,
    })
}
