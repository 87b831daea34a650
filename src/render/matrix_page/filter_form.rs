//! The matrix page's filter form, as the request filled it.

use super::request::{MatrixRequest, PLATFORM_SLUGS, platform_name};
use crate::domain::{Kind, Severity, Status};
use crate::render::heat::{Metric, Scale};
use crate::render::matrix_query::SubsMode;

/// A checkbox of the filter form.
pub struct FilterCheckView {
    pub name: &'static str,
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
    pub id: String,
}

fn checks<T: Copy + PartialEq>(
    name: &'static str,
    all: &[T],
    chosen: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<FilterCheckView> {
    all.iter()
        .map(|&v| FilterCheckView {
            name,
            value: value(v),
            label: label(v),
            checked: chosen.contains(&v),
            id: format!("mf-{name}-{}", value(v)),
        })
        .collect()
}

/// What the filter form shows.
pub struct FilterFormView {
    pub incident: String,
    pub tag: String,
    pub target: String,
    pub from: String,
    pub to: String,
    pub detected_from: String,
    pub detected_to: String,
    pub q: String,
    pub search: String,
    pub severities: Vec<FilterCheckView>,
    pub statuses: Vec<FilterCheckView>,
    pub kinds: Vec<FilterCheckView>,
    pub platforms: Vec<FilterCheckView>,
    pub steps_metric: bool,
    pub rollup: bool,
    pub observed: bool,
    /// Display options carried through a submit: (name, value).
    pub hidden: Vec<(&'static str, String)>,
    pub open: bool,
}

impl FilterFormView {
    pub fn of(req: &MatrixRequest) -> Self {
        let f = &req.filters;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut hidden = Vec::new();
        if req.subs != SubsMode::default() {
            hidden.push(("subtechniques", req.subs.as_str().to_string()));
        }
        if !req.expand.is_empty() && req.subs != SubsMode::All {
            hidden.push((
                "expand",
                req.expand.iter().cloned().collect::<Vec<_>>().join(","),
            ));
        }
        if req.show_ids {
            hidden.push(("ids", "1".to_string()));
        }
        if req.scale != Scale::default() {
            hidden.push(("scale", req.scale.as_str().to_string()));
        }
        FilterFormView {
            incident: f.incident.join(","),
            tag: f.tag.join(","),
            target: text(&f.target),
            from: text(&f.from),
            to: text(&f.to),
            detected_from: text(&f.detected_from),
            detected_to: text(&f.detected_to),
            q: text(&f.q),
            search: req.search.clone().unwrap_or_default(),
            severities: checks(
                "severity",
                Severity::ALL,
                &req.query.severities,
                Severity::as_str,
                Severity::label,
            ),
            statuses: checks(
                "status",
                Status::ALL,
                &req.query.statuses,
                Status::as_str,
                Status::label,
            ),
            kinds: checks(
                "kind",
                Kind::ALL,
                &req.query.kinds,
                Kind::as_str,
                Kind::label,
            ),
            platforms: PLATFORM_SLUGS
                .iter()
                .map(|&slug| FilterCheckView {
                    name: "platform",
                    value: slug,
                    label: platform_name(slug).unwrap_or(slug),
                    checked: req.platforms.iter().any(|p| p == slug),
                    id: format!("mf-platform-{slug}"),
                })
                .collect(),
            steps_metric: req.metric == Metric::Steps,
            rollup: req.rollup,
            observed: req.observed_only,
            hidden,
            open: req.is_filtered() || req.search.is_some(),
        }
    }
}
