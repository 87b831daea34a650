//! The dashboard's thumbnail matrix: incidents per cell of a report's data,
//! sub-techniques rolled into their parent, on a heat scale.

use crate::atlas::ActiveAtlas;
use crate::render::charts::MiniMatrix;
use crate::render::heat::{LegendEntry, Metric, Scale, Scores};
use crate::render::links::with_query;
use crate::store::{CellAggregate, MatrixAggregate, ReportData, StepHit};

/// The aggregate the heat scores are built from, for a report's incidents.
pub fn aggregate_of(data: &ReportData) -> MatrixAggregate {
    let mut cells: Vec<CellAggregate> = Vec::new();
    let mut index: std::collections::HashMap<(&str, &str), usize> = Default::default();
    for s in &data.steps {
        let key = (s.tactic_id.as_str(), s.technique_id.as_str());
        let at = *index.entry(key).or_insert_with(|| {
            cells.push(CellAggregate {
                tactic_id: s.tactic_id.clone(),
                technique_id: s.technique_id.clone(),
                hits: Vec::new(),
            });
            cells.len() - 1
        });
        cells[at].hits.push(StepHit {
            incident: s.incident as u32,
            position: u32::try_from(s.position).unwrap_or(0),
        });
    }
    MatrixAggregate {
        incident_total: data.incidents.len() as i64,
        incidents: Vec::new(),
        cells,
        step_total: data.steps.len(),
    }
}

/// Incidents per cell, sub-techniques rolled into their parent, on `scale`.
pub fn scores_of(atlas: &ActiveAtlas, data: &ReportData, scale: Scale) -> Scores {
    Scores::build(
        &aggregate_of(data),
        Metric::Incidents,
        true,
        |tactic, technique| {
            let parent = atlas.technique(technique)?.parent.as_deref()?;
            atlas.serves(parent, tactic).then_some(parent)
        },
    )
    .with_scale(scale)
}

/// The thumbnail matrix of a report and its heat legend; observed cells
/// link to the technique page narrowed to the cell and the report's incidents.
pub fn mini_matrix(
    atlas: &ActiveAtlas,
    data: &ReportData,
    filters: &[(&'static str, String)],
    scale: Scale,
) -> (MiniMatrix, Vec<LegendEntry>) {
    let scores = scores_of(atlas, data, scale);
    let mini = MiniMatrix::new(atlas, &scores, "incidents", |key| {
        let mut pairs: Vec<(&str, String)> = vec![("under", key.tactic_id.clone())];
        pairs.extend(filters.iter().cloned());
        with_query(&format!("/techniques/{}", key.technique_id), &pairs)
    });
    (mini, scores.legend())
}
