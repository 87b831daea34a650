//! View models: pure code that turns the in-memory ATLAS release (and later
//! incidents) into what templates show. No HTTP, no SQL; unit-tested here.

pub mod api_docs;
pub mod atlas;
pub mod attachments;
pub mod briefing;
pub mod charts;
pub mod dashboard;
pub mod download;
pub mod grid;
pub mod heat;
pub mod incident;
pub mod ingest;
pub mod links;
pub mod matrix;
pub mod matrix_page;
pub mod matrix_query;
pub mod measure;
pub mod notifications;
pub mod observables;
pub mod paper;
pub mod period;
pub mod plain;
pub mod release_diff;
pub mod report;
pub mod retrospective;
pub mod story;
pub mod study_story;
pub mod teamwork;
pub mod technique_incidents;
pub mod technique_index;
pub mod text;
pub mod upgrade_report;
pub mod visitor;
pub mod webhooks;

pub use matrix::{
    CellKey, HEAT_LEVELS, Highlight, Marker, MatrixCell, MatrixColumn, MatrixOptions, MatrixView,
    SubCell, SubtechniqueMode,
};
pub use matrix_query::OptionError;

use crate::atlas::{ActiveAtlas, AttackRef};

/// A link to one of our ATLAS object pages, with the name to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: String,
    pub name: String,
    pub href: String,
    /// Whether the object is in the active release (its page shows it as such).
    pub known: bool,
}

impl Link {
    /// A technique by ID, named "Parent: Child" for a sub-technique; the bare
    /// ID when the active release does not have it (its page still answers).
    pub fn technique(atlas: &ActiveAtlas, id: &str) -> Link {
        let t = atlas.technique(id);
        Link {
            id: id.to_string(),
            name: t.map_or_else(|| id.to_string(), |t| atlas.display_name(t)),
            href: format!("/techniques/{id}"),
            known: t.is_some(),
        }
    }

    /// A sub-technique by its own name only ("Indirect"), for lists under the parent.
    pub fn subtechnique(atlas: &ActiveAtlas, id: &str) -> Link {
        let t = atlas.technique(id);
        Link {
            id: id.to_string(),
            name: t.map_or_else(|| id.to_string(), |t| t.name.clone()),
            href: format!("/techniques/{id}"),
            known: t.is_some(),
        }
    }

    pub fn tactic(atlas: &ActiveAtlas, id: &str) -> Link {
        let t = atlas.tactic(id);
        Link {
            id: id.to_string(),
            name: t.map_or_else(|| id.to_string(), |t| t.name.clone()),
            href: format!("/tactics/{id}"),
            known: t.is_some(),
        }
    }

    pub fn mitigation(atlas: &ActiveAtlas, id: &str) -> Link {
        let m = atlas.mitigation(id);
        Link {
            id: id.to_string(),
            name: m.map_or_else(|| id.to_string(), |m| m.name.clone()),
            href: format!("/mitigations/{id}"),
            known: m.is_some(),
        }
    }

    pub fn study(id: &str, name: &str) -> Link {
        Link {
            id: id.to_string(),
            name: name.to_string(),
            href: format!("/studies/{id}"),
            known: true,
        }
    }
}

/// A reference to an outside page (ATT&CK), linked only when its URL is http(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRef {
    pub label: String,
    pub url: Option<String>,
}

impl ExternalRef {
    pub fn attack(r: Option<&AttackRef>) -> Option<ExternalRef> {
        r.map(|r| ExternalRef {
            label: r.id.clone(),
            url: r.url.as_deref().and_then(http_url).map(str::to_string),
        })
    }
}

/// The CSS class for a technique maturity (`maturity-feasible`, …), from a
/// fixed list so release data never picks class names.
pub fn maturity_class(maturity: &str) -> &'static str {
    match maturity.trim().to_ascii_lowercase().as_str() {
        "feasible" => "maturity-feasible",
        "demonstrated" => "maturity-demonstrated",
        "realized" => "maturity-realized",
        _ => "maturity-other",
    }
}

/// `url` when it is an absolute `http`/`https` URL, the only kind rendered as a
/// link from release data (a crafted release may carry `javascript:` URLs).
pub fn http_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let lower_prefix = |p: &str| {
        url.get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    let scheme_len = if lower_prefix("https://") {
        8
    } else if lower_prefix("http://") {
        7
    } else {
        return None;
    };
    let host_and_rest = &url[scheme_len..];
    let valid = !host_and_rest.is_empty()
        && !host_and_rest.starts_with('/')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    valid.then_some(url)
}

/// An incident date as precise as upstream says it is: `2020` for
/// granularity `YEAR`, `2020-03` for `MONTH`, the full date otherwise.
pub fn incident_date(date: &str, granularity: Option<&str>) -> String {
    let date = date.trim();
    let keep = match granularity.map(str::to_ascii_uppercase).as_deref() {
        Some("YEAR") => 4,
        Some("MONTH") => 7,
        _ => date.len(),
    };
    date.get(..keep).unwrap_or(date).to_string()
}

/// An RFC 3339 timestamp for people: `2025-01-31 14:05 UTC`.
pub fn timestamp(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_url_accepts_only_web_links() {
        assert_eq!(
            http_url("https://arxiv.org/abs/1"),
            Some("https://arxiv.org/abs/1")
        );
        assert_eq!(http_url(" HTTP://example.org "), Some("HTTP://example.org"));
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "ftp://example.org",
            "//example.org",
            "/techniques/AML.T0000",
            "https://",
            "https:///path",
            "https://exa mple.org",
            "",
        ] {
            assert_eq!(http_url(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn incident_dates_follow_granularity() {
        assert_eq!(incident_date("2020-01-01", Some("YEAR")), "2020");
        assert_eq!(incident_date("2020-03-01", Some("MONTH")), "2020-03");
        assert_eq!(incident_date("2020-03-17", Some("DATE")), "2020-03-17");
        assert_eq!(incident_date("2020-03-17", None), "2020-03-17");
        assert_eq!(incident_date("20", Some("MONTH")), "20");
    }

    #[test]
    fn timestamps_read_well() {
        assert_eq!(timestamp("2025-01-31T14:05:09Z"), "2025-01-31 14:05 UTC");
        assert_eq!(timestamp("not a time"), "not a time");
    }
}
