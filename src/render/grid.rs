//! A highlighted matrix ready for `templates/atlas/_matrix_grid.html`: the
//! view with its highlights, where each observed cell links (the technique
//! page, narrowed to the cell and the same filters), how many cells each
//! column has observed, and the "observed only" cut.

use super::heat::{self, INCIDENT_LEVEL};
use super::matrix::{CellKey, Highlight, MatrixCell, MatrixView};
use super::{MatrixOptions, SubtechniqueMode};
use crate::atlas::ActiveAtlas;
use crate::domain::Observation;

/// Whether a cell carries a score (not merely a search marker).
pub fn is_observed(h: &Option<Highlight>) -> bool {
    h.as_ref().is_some_and(|h| h.level > 0)
}

fn cell_observed(cell: &MatrixCell) -> bool {
    is_observed(&cell.highlight) || cell.subtechniques.iter().any(|s| is_observed(&s.highlight))
}

pub struct MatrixGrid {
    pub view: MatrixView,
    /// Appended after `?under=<tactic>` to the links of observed cells
    /// (already a query string: `&severity=high`), or empty.
    pub detail_query: String,
    /// Observed cells (or sub-cells) per column, in column order.
    pub observed: Vec<usize>,
    pub observed_only: bool,
    /// Prefix of element IDs, unique within the page.
    pub id_prefix: &'static str,
    /// Heading level of the tactic names.
    pub heading: u8,
    /// The accessible name of the scrolling region.
    pub label: String,
    /// An extra class on the matrix (e.g. `matrix-subs-observed`, which
    /// prints only the observed sub-techniques of open lists).
    pub extra_class: &'static str,
}

/// The column counts the stylesheet's `cols-N` classes cover (`static/app.css`).
pub const COLUMNS_MAX: usize = 40;

/// The run lengths the stylesheet's `lw-N` classes cover (`static/app.css`).
pub const LONG_WORD_MIN: usize = 8;
pub const LONG_WORD_MAX: usize = 30;

impl MatrixGrid {
    /// A label cut after each slash, for a `<wbr>` between the parts:
    /// browsers do not break "Virtualization/Sandbox" by themselves.
    pub fn slash_parts<'a>(&self, label: &'a str) -> Vec<&'a str> {
        label.split_inclusive('/').collect()
    }

    /// `cols-N`: how many columns the stylesheet shares the width among,
    /// to size long words without querying each column's width (a count
    /// past [`COLUMNS_MAX`] is sized at the narrowest column anyway).
    pub fn columns_class(&self) -> String {
        format!("cols-{}", self.view.columns.len().clamp(1, COLUMNS_MAX))
    }

    /// ` lw lw-N` when the label's longest unbreakable run is N characters
    /// (8 to 30) or more: the stylesheet sets such a label small enough for
    /// that run to fit its column, so words shrink instead of breaking
    /// ("Reconnaissanc/e"). Empty for labels whose words always fit.
    pub fn word_class(&self, label: &str) -> String {
        // Lines break at spaces, after hyphens and (by `<wbr>`, see
        // [`MatrixGrid::slash_parts`]) after slashes.
        let n = crate::render::text::longest_piece(label);
        if n < LONG_WORD_MIN {
            String::new()
        } else {
            format!(" lw lw-{}", n.min(LONG_WORD_MAX))
        }
    }

    /// `observed_only` drops cells without a score (a parent stays while one
    /// of its sub-techniques has one).
    pub fn new(mut view: MatrixView, observed_only: bool) -> Self {
        let observed: Vec<usize> = view
            .columns
            .iter()
            .map(|c| {
                c.cells
                    .iter()
                    .map(|cell| {
                        usize::from(is_observed(&cell.highlight))
                            + cell
                                .subtechniques
                                .iter()
                                .filter(|s| is_observed(&s.highlight))
                                .count()
                    })
                    .sum()
            })
            .collect();
        if observed_only {
            for column in &mut view.columns {
                column.cells.retain(cell_observed);
                for cell in &mut column.cells {
                    cell.subtechniques.retain(|s| is_observed(&s.highlight));
                    cell.expanded = cell.expanded && !cell.subtechniques.is_empty();
                }
            }
        }
        MatrixGrid {
            view,
            detail_query: String::new(),
            observed,
            observed_only,
            id_prefix: "",
            heading: 2,
            label: "ATLAS matrix (scrolls sideways on narrow screens)".to_string(),
            extra_class: "",
        }
    }

    /// Where a cell links: its technique page, narrowed to the cell's tactic
    /// and the grid's filters when the cell is observed.
    pub fn cell_href(&self, key: &CellKey, highlight: &Option<Highlight>) -> String {
        if is_observed(highlight) {
            format!(
                "/techniques/{}?under={}{}",
                key.technique_id, key.tactic_id, self.detail_query
            )
        } else {
            format!("/techniques/{}", key.technique_id)
        }
    }

    /// Observed cells in a column (by reference: templates pass `loop.index0`).
    pub fn observed_in(&self, column: &usize) -> usize {
        self.observed.get(*column).copied().unwrap_or(0)
    }

    pub fn observed_total(&self) -> usize {
        self.observed.iter().sum()
    }

    /// Whether a column has nothing to show (observed only, none observed).
    pub fn column_empty(&self, column: &usize) -> bool {
        self.view
            .columns
            .get(*column)
            .is_none_or(|c| c.cells.is_empty())
    }
}

/// One incident's steps on the matrix, with the step numbers in the cells.
pub struct IncidentMatrix {
    pub grid: MatrixGrid,
    pub incident_id: String,
    /// Steps whose (tactic, technique) is not a cell of the active release.
    pub unplaced: Vec<i64>,
    pub step_count: usize,
}

impl IncidentMatrix {
    pub fn build(atlas: &ActiveAtlas, incident_id: &str, steps: &[Observation]) -> Self {
        let options = MatrixOptions {
            subtechniques: SubtechniqueMode::Collapsed,
            show_ids: false,
        };
        let mut view = MatrixView::build(atlas, &options);
        heat::apply_incident_steps(
            &mut view,
            steps
                .iter()
                .map(|s| (s.tactic_id.as_str(), s.technique_id.as_str(), s.position)),
        );
        let placed: std::collections::HashSet<(&str, &str)> = view
            .cells()
            .flat_map(|c| {
                std::iter::once((c.key.tactic_id.as_str(), c.key.technique_id.as_str())).chain(
                    c.subtechniques
                        .iter()
                        .map(|s| (s.key.tactic_id.as_str(), s.key.technique_id.as_str())),
                )
            })
            .collect();
        let unplaced = steps
            .iter()
            .filter(|s| !placed.contains(&(s.tactic_id.as_str(), s.technique_id.as_str())))
            .map(|s| s.position)
            .collect();
        // Only the sub-techniques it used: the lists of the others stay out
        // of the page (their parents still link to them).
        for cell in view.columns.iter_mut().flat_map(|c| c.cells.iter_mut()) {
            cell.subtechniques.retain(|s| is_observed(&s.highlight));
        }
        let mut grid = MatrixGrid::new(view, false);
        grid.detail_query = format!("&incident={}", form_value(incident_id));
        grid.id_prefix = "im-";
        grid.heading = 3;
        grid.label = "This incident on the ATLAS matrix (scrolls sideways)".to_string();
        IncidentMatrix {
            grid,
            incident_id: incident_id.to_string(),
            unplaced,
            step_count: steps.len(),
        }
    }

    /// The level class used for the incident's cells (for the legend swatch).
    pub fn level_class(&self) -> String {
        format!("heat-{INCIDENT_LEVEL}")
    }
}

/// A value percent-encoded for a query string.
pub fn form_value(v: &str) -> String {
    serde_html_form::to_string([("v", v)])
        .map(|s| s.trim_start_matches("v=").to_string())
        .unwrap_or_default()
}
