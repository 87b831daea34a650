//! The incidents section of a technique page: which incidents (chosen by the
//! matrix's filters) have steps using the technique, under one tactic when
//! the link came from a matrix cell, with its sub-techniques when the matrix
//! rolled them up.

use crate::atlas::ActiveAtlas;
use crate::render::Link;
use crate::render::heat::step_list;
use crate::store::{TechniqueHit, TechniqueHits};

/// Incidents listed on the page; the rest are one link away.
pub const LIMIT: usize = 50;

/// One step of a listed incident.
pub struct HitStepView {
    pub label: String,
}

pub struct HitRowView {
    pub id: String,
    pub title: String,
    pub href: String,
    pub kind: &'static str,
    pub severity: &'static str,
    pub severity_class: String,
    pub occurred: Option<String>,
    pub steps: String,
    pub where_: Vec<HitStepView>,
}

pub struct TechniqueIncidentsView {
    pub under: Option<Link>,
    pub summary: String,
    pub filtered: bool,
    pub with_subtechniques: bool,
    pub total_incidents: usize,
    pub total_steps: usize,
    pub rows: Vec<HitRowView>,
    /// The complete list on the incidents page, when more than shown.
    pub more_href: Option<String>,
    /// Back to the matrix with the same filters.
    pub matrix_href: String,
}

/// What the matrix request says about the list: its filters in words,
/// whether it filters, whether sub-techniques count, and the links.
pub struct HitsContext {
    pub summary: String,
    pub filtered: bool,
    pub rollup: bool,
    /// The incidents page listing them all (with the same filters).
    pub all_href: String,
    pub matrix_href: String,
}

impl TechniqueIncidentsView {
    pub fn build(
        atlas: &ActiveAtlas,
        technique_id: &str,
        under: Option<&str>,
        hits: TechniqueHits,
        ctx: HitsContext,
    ) -> TechniqueIncidentsView {
        TechniqueIncidentsView {
            under: under.map(|t| Link::tactic(atlas, t)),
            summary: ctx.summary,
            filtered: ctx.filtered,
            with_subtechniques: ctx.rollup,
            more_href: (hits.total_incidents > LIMIT).then_some(ctx.all_href),
            total_incidents: hits.total_incidents,
            total_steps: hits.total_steps,
            rows: hits
                .incidents
                .into_iter()
                .map(|h| HitRowView::build(atlas, technique_id, h))
                .collect(),
            matrix_href: ctx.matrix_href,
        }
    }
}

impl HitRowView {
    fn build(atlas: &ActiveAtlas, technique_id: &str, h: TechniqueHit) -> HitRowView {
        let positions: Vec<u32> = h
            .steps
            .iter()
            .map(|s| u32::try_from(s.0).unwrap_or(0))
            .collect();
        let where_ = h
            .steps
            .iter()
            .map(|(n, tactic, technique)| {
                let mut label = format!("Step {n}: {}", Link::tactic(atlas, tactic).name);
                if technique != technique_id {
                    label.push_str(&format!(" · {}", Link::technique(atlas, technique).name));
                }
                HitStepView { label }
            })
            .collect();
        HitRowView {
            href: format!("/incidents/{}", h.id),
            kind: h.kind.label(),
            severity: h.severity.label(),
            severity_class: format!("inc-badge inc-sev-{}", h.severity.as_str()),
            occurred: h.occurred.map(|t| t.display()),
            steps: step_list(&positions),
            where_,
            id: h.id,
            title: h.title,
        }
    }
}
