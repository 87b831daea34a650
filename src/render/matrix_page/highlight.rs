//! What a highlighted matrix view is drawn from, and the matrix it draws:
//! the scores of the request's incidents, the technique search's marks, the
//! sub-technique lists the request opens.

use std::sync::Arc;

use super::request::MatrixRequest;
use crate::atlas::ActiveAtlas;
use crate::render::MatrixView;
use crate::render::heat::{self, Scores, TechniqueSearch};
use crate::render::matrix_query::SubsMode;
use crate::store::{DataStamp, MatrixAggregate};

/// Everything a highlighted view is drawn from.
pub struct Loaded {
    pub stamp: DataStamp,
    pub atlas: Arc<ActiveAtlas>,
    pub aggregate: Arc<MatrixAggregate>,
    pub scores: Scores,
    /// Names techniques had in every stored release, `(ID, "Parent: Child")`,
    /// when the request searches techniques (else empty).
    pub earlier: Vec<(String, String)>,
}

/// Scores of the aggregate under the request's metric and roll-up.
/// With a platform filter, only the cells of the techniques shown count, so
/// the heat scale is that of the visible matrix.
pub fn scores_of(atlas: &ActiveAtlas, aggregate: &MatrixAggregate, req: &MatrixRequest) -> Scores {
    let shown;
    let aggregate = if req.platforms.is_empty() {
        aggregate
    } else {
        let mut cut = aggregate.clone();
        cut.cells
            .retain(|c| atlas.technique(&c.technique_id).is_some());
        shown = cut;
        &shown
    };
    Scores::build(aggregate, req.metric, req.rollup, |tactic, technique| {
        let parent = atlas.technique(technique)?.parent.as_deref()?;
        atlas.serves(parent, tactic).then_some(parent)
    })
    .with_scale(req.scale)
}

/// The matrix with the scores, search marks and the requested lists open.
pub fn highlighted_view(loaded: &Loaded, req: &MatrixRequest) -> MatrixView {
    let atlas = &loaded.atlas;
    let mut view = MatrixView::build(atlas, &req.view_options());
    let search = technique_search(loaded, req);
    heat::apply(
        &mut view,
        &loaded.scores,
        &loaded.aggregate.incidents,
        search.as_ref(),
    );
    if req.subs == SubsMode::Collapsed {
        let options = req.view_options();
        for column in &mut view.columns {
            for cell in &mut column.cells {
                cell.expanded =
                    !cell.subtechniques.is_empty() && options.subtechniques.is_expanded(&cell.id);
            }
        }
    }
    view
}

/// The request's technique search over current and earlier names.
pub fn technique_search(loaded: &Loaded, req: &MatrixRequest) -> Option<TechniqueSearch> {
    let atlas = &loaded.atlas;
    req.search.as_deref().map(|text| {
        TechniqueSearch::with_earlier(
            text,
            atlas
                .release
                .techniques
                .iter()
                .map(|t| (t.id.as_str(), atlas.display_name(t))),
            &loaded.earlier,
        )
    })
}
