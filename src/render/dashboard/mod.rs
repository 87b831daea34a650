//! The dashboard's view model: unresolved incidents by severity, incidents
//! over time, the techniques, tactics and stages seen most, the latest
//! incidents and a small highlighted matrix, for a period. [`lists`] ranks,
//! [`heat`] draws the thumbnail matrix. Pure.

pub mod heat;
pub mod lists;

use std::sync::Arc;

use crate::atlas::ActiveAtlas;
use crate::domain::DateRule;
use crate::render::charts::{BarChart, MiniMatrix, bucket_days};
use crate::render::heat::{LegendEntry, Scale};
use crate::render::links::{ChoiceView, kind_pairs, with_query};
use crate::render::period::{Period, Preset, buckets, step_for};
use crate::render::report::{Facts, SEVERITIES_DOWN, Trend};
use crate::store::ReportData;

pub use lists::{Latest, Ranked};

/// Rows the "seen most" lists rank by default.
pub const DEFAULT_TOP: usize = 8;
/// The choices of the "seen most" length offered on the page.
const TOP_CHOICES: [usize; 4] = [5, 8, 15, 25];
const TOP_LABELS: [&str; 4] = ["5", "8", "15", "25"];

/// A big number with its meaning.
pub struct Tile {
    pub label: &'static str,
    pub value: usize,
    pub class: String,
    pub href: String,
}

/// What the visitor chose besides the period.
#[derive(Debug, Clone, Copy)]
pub struct Choices {
    /// Count the ATLAS case studies too.
    pub case_studies: bool,
    /// Seconds between reloads of a wall screen.
    pub refresh: Option<u32>,
    /// Rows of the "seen most" lists.
    pub top: usize,
    /// The small matrix's heat scale.
    pub scale: Scale,
}

/// Everything the dashboard shows.
pub struct DashboardView {
    pub refresh: Option<u32>,
    pub period_words: String,
    pub periods: Vec<ChoiceView>,
    pub case_study_choices: Vec<ChoiceView>,
    pub refresh_choices: Vec<ChoiceView>,
    /// Rows of the "seen most" lists, and the choices of it.
    pub top: usize,
    pub top_choices: Vec<ChoiceView>,
    pub from_value: String,
    pub to_value: String,
    pub case_studies: bool,
    pub kinds_words: &'static str,
    pub total: usize,
    pub total_trend: Trend,
    pub total_href: String,
    pub open: usize,
    pub open_tiles: Vec<Tile>,
    pub open_anytime: i64,
    pub open_anytime_href: String,
    pub caught: String,
    pub caught_trend: Trend,
    pub caught_detail: String,
    pub reached_impact: usize,
    pub impact_trend: Trend,
    pub chart: BarChart,
    pub chart_step: &'static str,
    pub undated: usize,
    pub techniques: Vec<Ranked>,
    /// How many techniques and tactics were seen in all (the lists show `top`).
    pub techniques_total: usize,
    pub tactics_total: usize,
    pub tactics: Vec<Ranked>,
    pub stages: Vec<Ranked>,
    pub latest: Vec<Latest>,
    pub more_href: String,
    pub mini: MiniMatrix,
    pub matrix_href: String,
    pub briefing_href: String,
    pub legend: Vec<LegendEntry>,
    /// Nothing recorded at all yet: the page guides the first steps.
    pub first_run: bool,
    /// Overdue tasks and task counts (`templates/reports/_dash_tasks.html`).
    pub tasks: DashboardTasks,
}

fn choice(label: &'static str, href: String, current: bool) -> ChoiceView {
    ChoiceView {
        label,
        href,
        current,
    }
}

/// A link to the dashboard with the period's (or other) pairs and the page's
/// own choices, `case_studies` and `refresh` as given.
fn own(
    pairs: Vec<(&'static str, String)>,
    choices: Choices,
    case_studies: bool,
    refresh: Option<u32>,
) -> String {
    let mut pairs = pairs;
    if case_studies {
        pairs.push(("case_studies", "1".to_string()));
    }
    if let Some(r) = refresh {
        pairs.push(("refresh", r.to_string()));
    }
    if choices.top != DEFAULT_TOP {
        pairs.push(("top", choices.top.to_string()));
    }
    if choices.scale != Scale::default() {
        pairs.push(("scale", choices.scale.as_str().to_string()));
    }
    with_query("/", &pairs)
}

fn top_choices(period: &Period, c: Choices) -> Vec<ChoiceView> {
    TOP_CHOICES
        .iter()
        .zip(TOP_LABELS)
        .map(|(&n, label)| {
            let mut pairs = period.query_pairs();
            if c.case_studies {
                pairs.push(("case_studies", "1".to_string()));
            }
            if let Some(r) = c.refresh {
                pairs.push(("refresh", r.to_string()));
            }
            if n != DEFAULT_TOP {
                pairs.push(("top", n.to_string()));
            }
            choice(label, with_query("/", &pairs), c.top == n)
        })
        .collect()
}

fn period_choices(period: &Period, c: Choices) -> Vec<ChoiceView> {
    Preset::ALL
        .iter()
        .map(|p| {
            let pairs = vec![("period", p.as_str().to_string())];
            choice(
                p.label(),
                own(pairs, c, c.case_studies, c.refresh),
                period.preset == Some(*p),
            )
        })
        .collect()
}

fn case_study_choices(period: &Period, c: Choices) -> Vec<ChoiceView> {
    [("Left out", false), ("Included", true)]
        .into_iter()
        .map(|(label, cs)| {
            let href = own(period.query_pairs(), c, cs, c.refresh);
            choice(label, href, c.case_studies == cs)
        })
        .collect()
}

fn refresh_choices(period: &Period, c: Choices) -> Vec<ChoiceView> {
    [(None, "Off"), (Some(60), "1 min"), (Some(300), "5 min")]
        .into_iter()
        .map(|(r, label)| {
            let href = own(period.query_pairs(), c, c.case_studies, r);
            choice(label, href, c.refresh == r)
        })
        .collect()
}

/// The incident-list filters of the page's incidents.
fn filters(period: &Period, case_studies: bool) -> Vec<(&'static str, String)> {
    let mut filters = period.list_pairs();
    if !case_studies {
        filters.extend(kind_pairs(false));
    }
    filters
}

fn unresolved_pairs() -> Vec<(&'static str, String)> {
    vec![
        ("status", "open".to_string()),
        ("status", "contained".to_string()),
    ]
}

fn open_tiles(facts: &Facts, filters: &[(&'static str, String)]) -> Vec<Tile> {
    SEVERITIES_DOWN
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let mut pairs = filters.to_vec();
            pairs.extend(unresolved_pairs());
            pairs.push(("severity", s.as_str().to_string()));
            Tile {
                label: s.label(),
                value: facts.open_by_severity[k],
                class: format!("sev-tile sev-tile-{}", s.as_str()),
                href: with_query("/incidents", &pairs),
            }
        })
        .collect()
}

fn anytime_href(case_studies: bool) -> String {
    let mut pairs = unresolved_pairs();
    if !case_studies {
        pairs.extend(kind_pairs(false));
    }
    with_query("/incidents", &pairs)
}

/// Incidents per bar by severity, each in the bar holding the middle of its date.
fn bar_counts(data: &ReportData, spans: &[crate::render::period::Bucket]) -> Vec<[usize; 4]> {
    let mut counts = vec![[0usize; 4]; spans.len()];
    for i in &data.incidents {
        let Some(at) = i.occurred.map(|t| t.middle()) else {
            continue;
        };
        if let Some(b) = spans.iter().position(|b| b.start <= at && at < b.end) {
            let k = SEVERITIES_DOWN
                .iter()
                .position(|s| *s == i.severity)
                .unwrap_or(3);
            counts[b][k] += 1;
        }
    }
    counts
}

/// Incidents over time: the chart, its step's noun, and how many are undated.
fn chart(
    period: &Period,
    data: &ReportData,
    case_studies: bool,
) -> (BarChart, &'static str, usize) {
    let dated: Vec<_> = data
        .incidents
        .iter()
        .filter_map(|i| i.occurred.map(|t| t.middle()))
        .collect();
    let start = period
        .start
        .or_else(|| dated.iter().min().copied())
        .unwrap_or(period.end);
    let step = step_for((period.end - start).num_days().max(1));
    let spans = buckets(start, period.end, step, 120);
    let counts = bar_counts(data, &spans);
    let mut chart = BarChart::new(&spans, &counts, "incidents", |b| {
        let (from, to) = bucket_days(b);
        let mut pairs = vec![
            ("from", from),
            ("to", to),
            ("dates", DateRule::Middle.as_str().to_string()),
        ];
        if !case_studies {
            pairs.extend(kind_pairs(false));
        }
        with_query("/incidents", &pairs)
    });
    chart.title = format!("Incidents per {}, {}", step.noun(), period.describe());
    (chart, step.noun(), data.incidents.len() - dated.len())
}

/// The headline trends: incidents, reached harm, stopped or caught.
fn trends(period: &Period, facts: &Facts, b: Option<&Facts>) -> [Trend; 3] {
    let words = period.previous_words();
    [
        Trend::count(facts.total, b.map(|b| b.total), false, &words),
        Trend::count(
            facts.reached_impact(),
            b.map(Facts::reached_impact),
            false,
            &words,
        ),
        Trend::percent(
            facts.caught_percent(),
            b.and_then(Facts::caught_percent),
            true,
            &words,
        ),
    ]
}

fn matrix_href(filters: &[(&'static str, String)], scale: Scale) -> String {
    let mut pairs = filters.to_vec();
    pairs.push(("observed", "1".to_string()));
    if scale != Scale::default() {
        pairs.push(("scale", scale.as_str().to_string()));
    }
    with_query("/matrix", &pairs)
}

fn briefing_href(period: &Period, case_studies: bool) -> String {
    let mut pairs = period.query_pairs();
    if case_studies {
        pairs.push(("case_studies", "1".into()));
    }
    with_query("/briefing", &pairs)
}

impl DashboardView {
    pub fn build(
        atlas: &Arc<ActiveAtlas>,
        period: &Period,
        c: Choices,
        data: &ReportData,
        facts: &Facts,
        before: Option<&Facts>,
        open_anytime: i64,
    ) -> DashboardView {
        let filters = filters(period, c.case_studies);
        let [total_trend, impact_trend, caught_trend] = trends(period, facts, before);
        let (chart, chart_step, undated) = chart(period, data, c.case_studies);
        let (mini, legend) = heat::mini_matrix(atlas, data, &filters, c.scale);
        let known = facts.prevented + facts.detected + facts.missed;
        let list_href = with_query("/incidents", &filters);
        DashboardView {
            refresh: c.refresh,
            period_words: period.describe(),
            periods: period_choices(period, c),
            case_study_choices: case_study_choices(period, c),
            refresh_choices: refresh_choices(period, c),
            top: c.top,
            top_choices: top_choices(period, c),
            techniques_total: facts.techniques.len(),
            tactics_total: facts.tactics.len(),
            from_value: period.from_input.clone(),
            to_value: period.to_input.clone(),
            case_studies: c.case_studies,
            kinds_words: kinds_words(c.case_studies),
            total: facts.total,
            total_trend,
            total_href: list_href.clone(),
            open: facts.open(),
            open_tiles: open_tiles(facts, &filters),
            open_anytime,
            open_anytime_href: anytime_href(c.case_studies),
            caught: facts
                .caught_percent()
                .map_or_else(|| "–".to_string(), |p| format!("{}%", p.round() as i64)),
            caught_trend,
            caught_detail: format!(
                "{} of {known} steps with a known outcome were stopped or caught",
                facts.prevented + facts.detected
            ),
            reached_impact: facts.reached_impact(),
            impact_trend,
            chart,
            chart_step,
            undated,
            techniques: lists::techniques(atlas, facts, c.top, &filters),
            tactics: lists::tactics(atlas, facts, c.top),
            stages: lists::stages(atlas, facts, c.top),
            latest: lists::latest(atlas, facts, data),
            more_href: list_href,
            mini,
            matrix_href: matrix_href(&filters, c.scale),
            briefing_href: briefing_href(period, c.case_studies),
            legend,
            first_run: false,
            tasks: Default::default(),
        }
    }
}

fn kinds_words(case_studies: bool) -> &'static str {
    if case_studies {
        "incidents, exercises and ATLAS case studies"
    } else {
        "incidents and exercises (ATLAS case studies left out)"
    }
}

/// The dashboard's task panel: overdue tasks, and how many are open.
#[derive(Debug, Clone, Default)]
pub struct DashboardTasks {
    pub open: i64,
    pub overdue_count: i64,
    /// The longest overdue first (at most [`DASHBOARD_OVERDUE`]).
    pub overdue: Vec<crate::render::teamwork::TaskView>,
}

/// Overdue tasks the dashboard lists.
pub const DASHBOARD_OVERDUE: i64 = 10;

/// Fills the dashboard's task panel and the owners of its latest incidents.
pub fn fill_dashboard(
    view: &mut DashboardView,
    members: &std::collections::HashMap<String, crate::domain::teamwork::Members>,
    overdue: &[crate::domain::teamwork::Task],
    (open, overdue_count): (i64, i64),
    today: chrono::NaiveDate,
) {
    for l in &mut view.latest {
        l.owner = members.get(&l.id).and_then(|m| m.owner.clone());
    }
    view.tasks = DashboardTasks {
        open,
        overdue_count,
        overdue: overdue
            .iter()
            .map(|t| crate::render::teamwork::task_view(t, today))
            .collect(),
    };
}
