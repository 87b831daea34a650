//! Domain types and rules: incidents, steps, validation. No HTTP, no SQL.

pub mod alert;
pub mod attachment;
pub mod auth;
pub mod enums;
pub mod excerpt;
pub mod incident;
pub mod notification;
pub mod observable;
pub mod retro_actions;
pub mod review;
pub mod rules;
pub mod source;
pub mod stix;
pub mod teamwork;
pub mod time;
pub mod webhook;

pub use enums::{Kind, Outcome, Severity, Status, StepSource};
pub use incident::*;
pub use review::CheckState;
pub use time::{DateRule, FuzzyTime, Precision};
