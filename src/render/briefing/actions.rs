//! The team's own actions from its retrospectives: parsed in the domain
//! ([`crate::domain::retro_actions`]), since they also become tasks.

pub use crate::domain::retro_actions::*;
