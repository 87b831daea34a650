//! The incident pages' view models: the list, one incident, its forms.

pub mod detail;
pub mod fields;
pub mod filters;
pub mod form;
pub mod list;
pub mod step_form;
pub mod task_form;
