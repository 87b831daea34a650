//! The executive briefing's view models: one printed page for a board.
//! [`sheet`] builds the page from the period's report data; [`quarters`]
//! draws this quarter against the last three, [`actions`] reads the team's
//! decisions out of its retrospectives, and [`sentence`] says each serious
//! incident in plain words. Pure.

pub mod actions;
pub mod controls;
pub mod quarters;
pub mod sentence;
pub mod sheet;

pub use sheet::{BriefingSheetView, SheetInput};
