//! Extractors: who is asking ([`auth`]), HTML form bodies and query strings
//! ([`html_form`]), JSON bodies ([`json_body`]), and the typed queries of the
//! incident list ([`incident_filters`]) and the matrix views ([`matrix_query`]).

pub mod auth;
pub mod html_form;
pub mod incident_filters;
pub mod json_body;
pub mod list_format;
pub mod matrix_query;
pub mod upload;
