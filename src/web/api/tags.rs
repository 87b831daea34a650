//! `GET /api/v1/tags?prefix=…&limit=…`: the tag typeahead of the incident
//! list and the matrix filter (most used tags starting with the prefix).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::{TAG_PREFIX_MAX, TagCount};
use crate::web::{ApiError, AppError, AppState};

/// Tags per answer when `limit` is not given, and the most a client may ask.
const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

#[derive(Serialize, utoipa::ToSchema)]
struct TagsJson {
    prefix: String,
    items: Vec<TagCount>,
}

/// The query of a tags request, checked: every problem is named.
#[derive(Debug, PartialEq)]
pub struct TagQuery {
    pub prefix: String,
    pub limit: u32,
}

impl TagQuery {
    pub fn parse(raw: Option<&str>) -> Result<TagQuery, AppError> {
        let pairs: Vec<(String, String)> = serde_html_form::from_str(raw.unwrap_or(""))
            .map_err(|e| AppError::bad_request("query", format!("unreadable query: {e}")))?;
        let mut query = TagQuery {
            prefix: String::new(),
            limit: DEFAULT_LIMIT,
        };
        let mut problems: Vec<(String, String)> = Vec::new();
        for (name, value) in pairs {
            match name.as_str() {
                "prefix" if value.chars().count() > TAG_PREFIX_MAX => {
                    problems.push((name, format!("at most {TAG_PREFIX_MAX} characters")))
                }
                "prefix" => query.prefix = value,
                "limit" => match value.trim().parse::<u32>() {
                    Ok(n) if (1..=MAX_LIMIT).contains(&n) => query.limit = n,
                    _ => problems.push((name, format!("a whole number from 1 to {MAX_LIMIT}"))),
                },
                _ => problems.push((name, "unknown parameter (prefix, limit)".to_string())),
            }
        }
        if problems.is_empty() {
            return Ok(query);
        }
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        let message: Vec<String> = problems.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        Err(AppError::bad_request(fields.join(", "), message.join("; ")))
    }
}

#[utoipa::path(
    get,
    operation_id = "tags_tags",
    path = "/api/v1/tags",
    tag = "incidents",
    summary = "Tags by prefix with their incident counts",
    params(("prefix" = Option<String>, Query, max_length = 100), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100)),
    responses((status = 200, description = "Matching tags", body = TagsJson),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn tags_handler(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = TagQuery::parse(raw.as_deref())?;
    let items =
        crate::service::incidents::tags_by_prefix(&state.store, &query.prefix, query.limit).await?;
    Ok(Json(TagsJson {
        prefix: query.prefix,
        items,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_every_problem_named() {
        assert_eq!(
            TagQuery::parse(None).unwrap(),
            TagQuery {
                prefix: String::new(),
                limit: DEFAULT_LIMIT
            }
        );
        assert_eq!(
            TagQuery::parse(Some("prefix=Pro&limit=5")).unwrap(),
            TagQuery {
                prefix: "Pro".into(),
                limit: 5
            }
        );
        let long = "x".repeat(TAG_PREFIX_MAX + 1);
        let err = TagQuery::parse(Some(&format!("prefix={long}&limit=0&color=red"))).unwrap_err();
        assert_eq!(err.status().as_u16(), 400);
        assert_eq!(err.field(), Some("prefix, limit, color"));
        for limit in ["101", "-1", "ten", ""] {
            let err = TagQuery::parse(Some(&format!("limit={limit}"))).unwrap_err();
            assert_eq!(err.field(), Some("limit"), "{limit}");
        }
    }
}
