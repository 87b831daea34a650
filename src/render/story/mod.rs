//! The attack-path story of one incident as geometry: a pure layout that
//! templates print as SVG. No HTTP, no SQL.
//!
//! The picture has one vertical lane per tactic in matrix order (the tactics
//! the incident reached, or all of them) and one row per step, so the story
//! reads top to bottom while the attack moves left to right across the
//! matrix. Every step is a numbered node in its tactic's lane; an arrow joins
//! each step to the next, turning only in the gap between two rows, where no
//! text is. The step's time (where known) sits in a gutter on the left, its
//! milestone (initial access, AI attack staging, final impact) in a gutter on
//! the right, joined to the node by a dashed leader along the node's own row.
//! Because each step owns its row, nothing overlaps however long the story
//! is: a long story makes a taller picture, never a denser one. Repeated
//! tactics stay in one lane, one row each.
//!
//! Text never overflows its box: every label is measured with a conservative
//! per-character width model ([`text_width`], sized on the wide DejaVu Sans),
//! wrapped to fit, and its box grows with the line count. [`StoryLayout::collisions`]
//! checks the result (labels inside the canvas and their boxes, no two nodes
//! or labels overlapping, no arrow through a label); the tests run it.
//!
//! Use: [`StoryLayout::build`] is the pure layout (with [`StorySummary`], the
//! milestones and the furthest stage in plain words); [`StoryView::build`]
//! adds the ordered list for templates. A template with a field
//! `story: StoryView` shows it with `{% include "story/_story.html" %}`
//! (summary, inline SVG, list); `templates/story/story.svg` alone is the
//! standalone picture, styled by presentation attributes only (the CSP
//! allows no `<style>`), so it also looks right pasted into slides.

mod check;
mod geometry;
mod glyphs;
mod layout;
mod options;
mod summary;
mod text;
mod theme;
mod view;

#[cfg(test)]
mod tests;

pub use geometry::{Guide, Rect};
pub use glyphs::{Icon, LegendItem, OutcomeStyle};
pub use layout::{Arrow, Lane, Node, StoryLayout};
pub use options::{LaneMode, LaneModeError, StoryOptions};
pub use summary::{
    AI_ATTACK_STAGING, IMPACT, INITIAL_ACCESS, MilestoneKind, StageRef, StorySummary, TimeReversal,
    step_list, time_reversals,
};
pub use text::{FONT_MONO, FONT_SANS, Label, wrap, xml_safe};
pub use view::{StoryItem, StoryView};
