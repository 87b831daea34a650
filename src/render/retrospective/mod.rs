//! The incident retrospective's view models: the review document the screen
//! page and the PDF share ([`doc`]) and its mitigation checklist
//! ([`checklist`]). Pure.

pub mod checklist;
pub mod doc;

pub use checklist::{CheckRow, CheckState, Checklist};
pub use doc::{NOTE_TITLES, NoteSection, OutcomeGroup, RetroDocView, TimelineRow, note_label};
