//! `/matrix`: the highlighted matrix page with its filter form, display
//! toggles (each a plain link: every view is a shareable URL), legend and
//! export links. Works without JavaScript.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;

use super::{Cached, Loaded, cached_response, highlighted_view, request, technique_search};
use crate::atlas::ReleaseInfo;
use crate::domain::{Kind, Severity, Status};
use crate::render::grid::MatrixGrid;
use crate::render::heat::{LegendEntry, Metric, Scale};
use crate::render::links::ChoiceView;
use crate::render::{Link, timestamp};
use crate::web::extract::matrix_query::{
    MatrixRequest, PLATFORM_SLUGS, SubsMode, join_queries, platform_name, with_query,
};
use crate::web::{AppError, AppState};

pub async fn matrix(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let req = request(&raw)?;
    cached_response(&state, &req, "html", async |loaded: Loaded| {
        let tags = crate::service::incidents::top_tags(&state.store).await?;
        let page = MatrixPage::build(&loaded, &req, tags);
        let body = page
            .render()
            .map_err(|e| AppError::Internal(format!("matrix page: {e}")))?;
        Ok(Cached::html(body))
    })
    .await
}

/// A technique the technique search found, and the earlier name it was
/// found by when its current name does not match.
pub struct SearchHit {
    technique: Link,
    earlier: Option<String>,
}

fn search_hits(loaded: &Loaded, req: &MatrixRequest) -> Vec<SearchHit> {
    let Some(search) = technique_search(loaded, req) else {
        return Vec::new();
    };
    let atlas = &loaded.atlas;
    atlas
        .release
        .techniques
        .iter()
        .filter(|t| search.matches(&t.id))
        .map(|t| SearchHit {
            technique: Link::technique(atlas, &t.id),
            earlier: search.earlier.get(&t.id).cloned(),
        })
        .collect()
}

fn choice(
    label: &'static str,
    req: &MatrixRequest,
    current: bool,
    change: impl FnOnce(&mut MatrixRequest),
) -> ChoiceView {
    ChoiceView {
        label,
        href: req.with(change).href("/matrix"),
        current,
    }
}

/// A checkbox of the filter form.
pub struct FilterCheckView {
    name: &'static str,
    value: &'static str,
    label: &'static str,
    checked: bool,
    id: String,
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
pub struct FilterForm {
    incident: String,
    tag: String,
    target: String,
    from: String,
    to: String,
    detected_from: String,
    detected_to: String,
    q: String,
    search: String,
    severities: Vec<FilterCheckView>,
    statuses: Vec<FilterCheckView>,
    kinds: Vec<FilterCheckView>,
    platforms: Vec<FilterCheckView>,
    steps_metric: bool,
    rollup: bool,
    observed: bool,
    /// Display options carried through a submit: (name, value).
    hidden: Vec<(&'static str, String)>,
    open: bool,
}

impl FilterForm {
    fn of(req: &MatrixRequest) -> Self {
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
        FilterForm {
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

#[derive(Template)]
#[template(path = "atlas/matrix.html", whitespace = "minimize")]
pub struct MatrixPage {
    info: ReleaseInfo,
    imported_at: String,
    grid: MatrixGrid,
    legend: Vec<LegendEntry>,
    /// "Incidents per technique" / "Steps per technique".
    legend_title: String,
    summary: String,
    filtered: bool,
    search: Option<String>,
    search_matches: usize,
    /// The techniques the search found, in matrix order.
    search_hits: Vec<SearchHit>,
    /// The same view without the search.
    clear_search_href: String,
    incident_total: i64,
    step_total: usize,
    subs: Vec<ChoiceView>,
    ids: Vec<ChoiceView>,
    show: Vec<ChoiceView>,
    metric: Vec<ChoiceView>,
    scale: Vec<ChoiceView>,
    rollup: Vec<ChoiceView>,
    platform: Vec<ChoiceView>,
    /// Platforms were chosen and no technique of the release is on them.
    no_platform_data: bool,
    reset_platform_href: String,
    form: FilterForm,
    tags: Vec<String>,
    reset_href: String,
    layer_href: String,
    svg_href: String,
    json_href: String,
    incidents_href: String,
}

impl MatrixPage {
    fn build(loaded: &Loaded, req: &MatrixRequest, tags: Vec<String>) -> Self {
        let atlas = &loaded.atlas;
        let view = highlighted_view(loaded, req);
        let search_matches = view
            .cells()
            .flat_map(|c| {
                std::iter::once(&c.highlight).chain(c.subtechniques.iter().map(|s| &s.highlight))
            })
            .filter(|h| {
                h.as_ref().is_some_and(|h| {
                    h.markers
                        .iter()
                        .any(|m| m.kind == crate::render::heat::MATCH_MARKER)
                })
            })
            .count();
        let mut grid = MatrixGrid::new(view, req.observed_only);
        grid.extra_class = match req.subs {
            SubsMode::Observed => "matrix-subs-observed",
            SubsMode::All => "matrix-subs-all",
            SubsMode::Collapsed => "",
        };
        let filters = req.filter_query();
        // Observed cells open the technique page with the same incidents and
        // platforms, so its way back is the same matrix.
        let platforms = serde_html_form::to_string(
            req.platforms
                .iter()
                .map(|p| ("platform", p.as_str()))
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default();
        let detail = join_queries(&filters, &platforms);
        grid.detail_query = if detail.is_empty() {
            String::new()
        } else {
            format!("&{detail}")
        };
        let metric_word = match req.metric {
            Metric::Incidents => "Incidents",
            Metric::Steps => "Steps",
        };
        let options_only = req.with(|r| {
            r.filters = Default::default();
            r.query = Default::default();
        });
        MatrixPage {
            info: atlas.info.clone(),
            imported_at: timestamp(&atlas.info.imported_at),
            legend: loaded.scores.legend(),
            legend_title: format!("{metric_word} per technique"),
            summary: req.describe(),
            filtered: req.is_filtered(),
            search: req.search.clone(),
            search_matches,
            search_hits: search_hits(loaded, req),
            clear_search_href: req.with(|r| r.search = None).href("/matrix"),
            incident_total: loaded.aggregate.incident_total,
            step_total: loaded.aggregate.step_total,
            subs: vec![
                choice("Collapsed", req, req.subs == SubsMode::Collapsed, |r| {
                    r.subs = SubsMode::Collapsed
                }),
                choice("Observed", req, req.subs == SubsMode::Observed, |r| {
                    r.subs = SubsMode::Observed
                }),
                choice("All expanded", req, req.subs == SubsMode::All, |r| {
                    r.subs = SubsMode::All
                }),
            ],
            ids: vec![
                choice("Hidden", req, !req.show_ids, |r| r.show_ids = false),
                choice("Shown", req, req.show_ids, |r| r.show_ids = true),
            ],
            show: vec![
                choice("All techniques", req, !req.observed_only, |r| {
                    r.observed_only = false
                }),
                choice("Observed only", req, req.observed_only, |r| {
                    r.observed_only = true
                }),
            ],
            metric: vec![
                choice("Incidents", req, req.metric == Metric::Incidents, |r| {
                    r.metric = Metric::Incidents
                }),
                choice("Steps", req, req.metric == Metric::Steps, |r| {
                    r.metric = Metric::Steps
                }),
            ],
            scale: vec![
                choice("Logarithmic", req, req.scale == Scale::Log, |r| {
                    r.scale = Scale::Log
                }),
                choice("Linear", req, req.scale == Scale::Linear, |r| {
                    r.scale = Scale::Linear
                }),
            ],
            rollup: vec![
                choice("Own cell", req, !req.rollup, |r| r.rollup = false),
                choice("Rolled up", req, req.rollup, |r| r.rollup = true),
            ],
            platform: std::iter::once(choice(
                "All platforms",
                req,
                req.platforms.is_empty(),
                |r| r.platforms.clear(),
            ))
            .chain(PLATFORM_SLUGS.iter().map(|&slug| {
                choice(
                    platform_name(slug).unwrap_or(slug),
                    req,
                    req.platforms.len() == 1 && req.platforms[0] == slug,
                    |r| r.platforms = vec![slug.to_string()],
                )
            }))
            .collect(),
            no_platform_data: !req.platforms.is_empty() && atlas.release.techniques.is_empty(),
            reset_platform_href: req.with(|r| r.platforms.clear()).href("/matrix"),
            form: FilterForm::of(req),
            tags,
            reset_href: options_only.href("/matrix"),
            layer_href: req.href("/matrix/layer.json"),
            svg_href: req.href("/matrix.svg"),
            json_href: req.href("/api/v1/matrix"),
            incidents_href: with_query("/incidents", &join_queries(&filters, "")),
            grid,
        }
    }

    fn observed_total(&self) -> usize {
        self.grid.observed_total()
    }

    fn search_text(&self) -> &str {
        self.search.as_deref().unwrap_or("")
    }
}
