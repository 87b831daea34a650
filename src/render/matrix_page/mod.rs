//! The highlighted matrix page: the grid, its legend, the display toggles
//! (each a plain link: every view is a shareable URL), the filter form and
//! the export links.

pub mod filter_form;
pub mod highlight;
pub mod request;

use filter_form::FilterFormView;
use highlight::{Loaded, highlighted_view, technique_search};
use request::{MatrixRequest, PLATFORM_SLUGS, join_queries, platform_name, with_query};

use crate::atlas::ReleaseInfo;
use crate::render::grid::MatrixGrid;
use crate::render::heat::{LegendEntry, Metric, Scale};
use crate::render::links::ChoiceView;
use crate::render::matrix_query::SubsMode;
use crate::render::{Link, timestamp};

/// A technique the technique search found, and the earlier name it was
/// found by when its current name does not match.
pub struct SearchHit {
    pub technique: Link,
    pub earlier: Option<String>,
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

/// The highlighted matrix page (`templates/atlas/matrix.html`).
pub struct MatrixPageView {
    pub info: ReleaseInfo,
    pub imported_at: String,
    pub grid: MatrixGrid,
    pub legend: Vec<LegendEntry>,
    /// "Incidents per technique" / "Steps per technique".
    pub legend_title: String,
    pub summary: String,
    pub filtered: bool,
    pub search: Option<String>,
    pub search_matches: usize,
    /// The techniques the search found, in matrix order.
    pub search_hits: Vec<SearchHit>,
    /// The same view without the search.
    pub clear_search_href: String,
    pub incident_total: i64,
    pub step_total: usize,
    pub subs: Vec<ChoiceView>,
    pub ids: Vec<ChoiceView>,
    pub show: Vec<ChoiceView>,
    pub metric: Vec<ChoiceView>,
    pub scale: Vec<ChoiceView>,
    pub rollup: Vec<ChoiceView>,
    pub platform: Vec<ChoiceView>,
    /// Platforms were chosen and no technique of the release is on them.
    pub no_platform_data: bool,
    pub reset_platform_href: String,
    pub form: FilterFormView,
    pub tags: Vec<String>,
    pub reset_href: String,
    pub layer_href: String,
    pub svg_href: String,
    pub json_href: String,
    pub incidents_href: String,
}

impl MatrixPageView {
    pub fn build(loaded: &Loaded, req: &MatrixRequest, tags: Vec<String>) -> Self {
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
        MatrixPageView {
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
            form: FilterFormView::of(req),
            tags,
            reset_href: options_only.href("/matrix"),
            layer_href: req.href("/matrix/layer.json"),
            svg_href: req.href("/matrix.svg"),
            json_href: req.href("/api/v1/matrix"),
            incidents_href: with_query("/incidents", &join_queries(&filters, "")),
            grid,
        }
    }

    pub fn observed_total(&self) -> usize {
        self.grid.observed_total()
    }

    pub fn search_text(&self) -> &str {
        self.search.as_deref().unwrap_or("")
    }
}
