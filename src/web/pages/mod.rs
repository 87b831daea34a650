//! HTML pages by area: thin handlers that parse the request, call one
//! service or render function and answer a template (or a redirect).

pub mod account;
pub mod admin;
pub mod atlas;
pub mod incidents;
pub mod matrix;
pub mod reports;
pub mod story;
