//! The dashboard (`/`): open incidents by severity, incidents over time, the
//! techniques, tactics and stages seen most, the latest incidents and a
//! small highlighted matrix, for a period; ATLAS case studies left out unless
//! asked for. Fit for a wall screen: `?refresh=60` reloads it every minute
//! (a `<meta http-equiv="refresh">`, so no script), and it follows the
//! browser's dark or light preference.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};

use super::{DEFAULT_TOP, ReportParams, kind_pairs, period_data, today, with_query};
use crate::atlas::ActiveAtlas;
use crate::domain::{DateRule, Status};
use crate::render::charts::{BarChart, MiniMatrix, bucket_days, share};
use crate::render::heat::{LegendEntry, Metric, Scale, Scores};
use crate::render::period::{Period, Preset, buckets, step_for};
use crate::render::report::{Facts, SEVERITIES_DOWN, Trend, kinds};
use crate::render::{Link, plain};
use crate::store::{CellAggregate, IncidentQuery, MatrixAggregate, ReportData, StepHit};
use crate::web::{AppError, AppState};

/// How many latest incidents the page shows (the "seen most" lists show
/// `top`, 8 unless the query says otherwise).
const LATEST: usize = 8;
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

/// A row of a ranked list with its proportion bar.
pub struct Ranked {
    pub name: String,
    pub id: String,
    pub href: String,
    /// Plain words for it (techniques and stages).
    pub plain: String,
    pub count: usize,
    pub share: String,
    pub detail: String,
}

/// One of the latest incidents.
pub struct Latest {
    pub title: String,
    pub href: String,
    pub date: String,
    pub datetime: String,
    pub severity_label: &'static str,
    pub severity_class: String,
    pub status_label: &'static str,
    pub status_class: String,
    pub stage: String,
}

/// A link of a segmented control.
pub struct Choice {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
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

#[derive(Template, WebTemplate)]
#[template(path = "reports/dashboard.html")]
pub struct DashboardPage {
    pub refresh: Option<u32>,
    pub period_words: String,
    pub periods: Vec<Choice>,
    pub case_study_choices: Vec<Choice>,
    pub refresh_choices: Vec<Choice>,
    /// Rows of the "seen most" lists, and the choices of it.
    pub top: usize,
    pub top_choices: Vec<Choice>,
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
}

pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<DashboardPage, AppError> {
    let params = ReportParams::parse(raw.as_deref())?;
    let period = params.period(today(), Preset::Days90)?;
    let case_studies = params.case_studies()?;
    let refresh = params.refresh()?;
    let top = params.top()?;
    let atlas = state.atlas.get();
    let (data, previous) = period_data(&state, &period, case_studies).await?;
    let open_anytime: i64 = state
        .store
        .count_by_severity(&IncidentQuery {
            statuses: vec![Status::Open, Status::Contained],
            kinds: kinds(case_studies),
            ..IncidentQuery::default()
        })
        .await?
        .iter()
        .map(|(_, n)| n)
        .sum();
    Ok(DashboardPage::build(
        &atlas,
        &period,
        Choices {
            case_studies,
            refresh,
            top,
            scale: params.scale()?,
        },
        &data,
        previous.as_ref(),
        open_anytime,
    ))
}

/// The aggregate the heat scores are built from, for a report's incidents.
pub fn aggregate_of(data: &ReportData) -> MatrixAggregate {
    let mut cells: Vec<CellAggregate> = Vec::new();
    let mut index: std::collections::HashMap<(&str, &str), usize> = Default::default();
    for s in &data.steps {
        let key = (s.tactic_id.as_str(), s.technique_id.as_str());
        let at = *index.entry(key).or_insert_with(|| {
            cells.push(CellAggregate {
                tactic_id: s.tactic_id.clone(),
                technique_id: s.technique_id.clone(),
                hits: Vec::new(),
            });
            cells.len() - 1
        });
        cells[at].hits.push(StepHit {
            incident: s.incident as u32,
            position: u32::try_from(s.position).unwrap_or(0),
        });
    }
    MatrixAggregate {
        incident_total: data.incidents.len() as i64,
        incidents: Vec::new(),
        cells,
        step_total: data.steps.len(),
    }
}

/// Incidents per cell, sub-techniques rolled into their parent, on `scale`.
pub fn scores_of(atlas: &ActiveAtlas, data: &ReportData, scale: Scale) -> Scores {
    Scores::build(
        &aggregate_of(data),
        Metric::Incidents,
        true,
        |tactic, technique| {
            let parent = atlas.technique(technique)?.parent.as_deref()?;
            atlas.serves(parent, tactic).then_some(parent)
        },
    )
    .with_scale(scale)
}

/// The thumbnail matrix of a report and its heat legend; observed cells
/// link to the technique page narrowed to the cell and the report's incidents.
pub fn mini_matrix(
    atlas: &ActiveAtlas,
    data: &ReportData,
    filters: &[(&'static str, String)],
    scale: Scale,
) -> (MiniMatrix, Vec<LegendEntry>) {
    let scores = scores_of(atlas, data, scale);
    let mini = MiniMatrix::new(atlas, &scores, "incidents", |key| {
        let mut pairs: Vec<(&str, String)> = vec![("under", key.tactic_id.clone())];
        pairs.extend(filters.iter().cloned());
        with_query(&format!("/techniques/{}", key.technique_id), &pairs)
    });
    (mini, scores.legend())
}

fn choice(label: &'static str, href: String, current: bool) -> Choice {
    Choice {
        label,
        href,
        current,
    }
}

impl DashboardPage {
    pub fn build(
        atlas: &Arc<ActiveAtlas>,
        period: &Period,
        choices: Choices,
        data: &ReportData,
        previous: Option<&ReportData>,
        open_anytime: i64,
    ) -> DashboardPage {
        let Choices {
            case_studies,
            refresh,
            top,
            scale,
        } = choices;
        let facts = Facts::of(atlas, data);
        let before = previous.map(|p| Facts::of(atlas, p));
        let before_words = period.previous_words();

        // Links keep the page's own choices.
        let own = |period_pairs: Vec<(&'static str, String)>, cs: bool, refresh: Option<u32>| {
            let mut pairs = period_pairs;
            if cs {
                pairs.push(("case_studies", "1".to_string()));
            }
            if let Some(r) = refresh {
                pairs.push(("refresh", r.to_string()));
            }
            if top != DEFAULT_TOP {
                pairs.push(("top", top.to_string()));
            }
            if scale != Scale::default() {
                pairs.push(("scale", scale.as_str().to_string()));
            }
            with_query("/", &pairs)
        };
        let top_choices = TOP_CHOICES
            .iter()
            .map(|&n| {
                let mut pairs = period.query_pairs();
                if case_studies {
                    pairs.push(("case_studies", "1".to_string()));
                }
                if let Some(r) = refresh {
                    pairs.push(("refresh", r.to_string()));
                }
                if n != DEFAULT_TOP {
                    pairs.push(("top", n.to_string()));
                }
                Choice {
                    label: TOP_LABELS[TOP_CHOICES.iter().position(|&c| c == n).unwrap_or(0)],
                    href: with_query("/", &pairs),
                    current: top == n,
                }
            })
            .collect();
        let periods = Preset::ALL
            .iter()
            .map(|p| {
                choice(
                    p.label(),
                    own(
                        vec![("period", p.as_str().to_string())],
                        case_studies,
                        refresh,
                    ),
                    period.preset == Some(*p),
                )
            })
            .collect();
        let case_study_choices = vec![
            choice(
                "Left out",
                own(period.query_pairs(), false, refresh),
                !case_studies,
            ),
            choice(
                "Included",
                own(period.query_pairs(), true, refresh),
                case_studies,
            ),
        ];
        let refresh_choices = [(None, "Off"), (Some(60), "1 min"), (Some(300), "5 min")]
            .into_iter()
            .map(|(r, label)| {
                choice(
                    label,
                    own(period.query_pairs(), case_studies, r),
                    refresh == r,
                )
            })
            .collect();

        // Filters of the incident list and the matrix for this page.
        let mut filters = period.list_pairs();
        if !case_studies {
            filters.extend(kind_pairs(false));
        }
        let list = |extra: Vec<(&'static str, String)>| {
            let mut pairs = filters.clone();
            pairs.extend(extra);
            with_query("/incidents", &pairs)
        };
        let open_pairs = || {
            vec![
                ("status", "open".to_string()),
                ("status", "contained".to_string()),
            ]
        };
        let open_tiles = SEVERITIES_DOWN
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let mut extra = open_pairs();
                extra.push(("severity", s.as_str().to_string()));
                Tile {
                    label: s.label(),
                    value: facts.open_by_severity[k],
                    class: format!("sev-tile sev-tile-{}", s.as_str()),
                    href: list(extra),
                }
            })
            .collect();
        let mut anytime = vec![
            ("status", "open".to_string()),
            ("status", "contained".to_string()),
        ];
        if !case_studies {
            anytime.extend(kind_pairs(false));
        }

        // Incidents over time.
        let dated: Vec<chrono::DateTime<chrono::Utc>> = data
            .incidents
            .iter()
            .filter_map(|i| i.occurred.map(|t| t.middle()))
            .collect();
        let undated = data.incidents.len() - dated.len();
        let chart_start = period
            .start
            .or_else(|| dated.iter().min().copied())
            .unwrap_or(period.end);
        let days = (period.end - chart_start).num_days().max(1);
        let step = step_for(days);
        let spans = buckets(chart_start, period.end, step, 120);
        let mut counts = vec![[0usize; 4]; spans.len()];
        for i in &data.incidents {
            // Each incident in one bar: the one holding the middle of its date.
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

        // Ranked lists.
        let max_t = facts.techniques.first().map_or(0, |t| t.incidents);
        let techniques = facts
            .techniques
            .iter()
            .take(top)
            .map(|t| {
                let link = Link::technique(atlas, &t.technique_id);
                Ranked {
                    plain: plain::technique_words(atlas, &t.technique_id, &t.tactic_id),
                    name: link.name,
                    id: t.technique_id.clone(),
                    href: with_query(&link.href, &filters),
                    count: t.incidents,
                    share: share(t.incidents, max_t),
                    detail: format!(
                        "{} {}, {} {}",
                        t.incidents,
                        if t.incidents == 1 {
                            "incident"
                        } else {
                            "incidents"
                        },
                        t.steps,
                        if t.steps == 1 { "step" } else { "steps" }
                    ),
                }
            })
            .collect();
        let max_a = facts.tactics.first().map_or(0, |t| t.incidents);
        let tactics = facts
            .tactics
            .iter()
            .take(top)
            .map(|t| {
                let link = Link::tactic(atlas, &t.tactic_id);
                Ranked {
                    plain: plain::stage(&t.tactic_id).unwrap_or_default().to_string(),
                    name: link.name,
                    id: t.tactic_id.clone(),
                    href: link.href,
                    count: t.incidents,
                    share: share(t.incidents, max_a),
                    detail: format!(
                        "{} {}, {} {}",
                        t.incidents,
                        if t.incidents == 1 {
                            "incident"
                        } else {
                            "incidents"
                        },
                        t.steps,
                        if t.steps == 1 { "step" } else { "steps" }
                    ),
                }
            })
            .collect();
        let max_s = facts.stages.first().map_or(0, |s| s.1);
        let stages = facts
            .stages
            .iter()
            .take(top)
            .map(|(tactic, n)| {
                let link = Link::tactic(atlas, tactic);
                Ranked {
                    plain: plain::stage(tactic).unwrap_or_default().to_string(),
                    name: link.name,
                    id: tactic.clone(),
                    href: link.href,
                    count: *n,
                    share: share(*n, max_s),
                    detail: format!(
                        "{n} {} got no further",
                        if *n == 1 { "incident" } else { "incidents" }
                    ),
                }
            })
            .collect();

        let latest = data
            .incidents
            .iter()
            .enumerate()
            .take(LATEST)
            .map(|(n, i)| Latest {
                title: i.title.clone(),
                href: format!("/incidents/{}", crate::render::grid::form_value(&i.id)),
                date: i
                    .occurred
                    .map(|t| t.display())
                    .unwrap_or_else(|| "undated".into()),
                datetime: i.occurred.map(|t| t.input_value()).unwrap_or_default(),
                severity_label: i.severity.label(),
                severity_class: format!("inc-badge inc-sev-{}", i.severity.as_str()),
                status_label: i.status.label(),
                status_class: format!("inc-badge inc-status-{}", i.status.as_str()),
                stage: facts.reach[n]
                    .furthest
                    .as_ref()
                    .map(|(t, _)| Link::tactic(atlas, t).name)
                    .unwrap_or_else(|| "—".to_string()),
            })
            .collect();

        let caught = facts.caught_percent();
        let known = facts.prevented + facts.detected + facts.missed;
        let (mini, legend) = mini_matrix(atlas, data, &filters, scale);
        let mut matrix_pairs = filters.clone();
        matrix_pairs.push(("observed", "1".to_string()));
        if scale != Scale::default() {
            matrix_pairs.push(("scale", scale.as_str().to_string()));
        }
        let mut briefing_pairs = period.query_pairs();
        if case_studies {
            briefing_pairs.push(("case_studies", "1".into()));
        }
        DashboardPage {
            refresh,
            period_words: period.describe(),
            periods,
            case_study_choices,
            refresh_choices,
            top,
            top_choices,
            techniques_total: facts.techniques.len(),
            tactics_total: facts.tactics.len(),
            from_value: period.from_input.clone(),
            to_value: period.to_input.clone(),
            case_studies,
            kinds_words: if case_studies {
                "incidents, exercises and ATLAS case studies"
            } else {
                "incidents and exercises (ATLAS case studies left out)"
            },
            total: facts.total,
            total_trend: Trend::count(
                facts.total,
                before.as_ref().map(|b| b.total),
                false,
                &before_words,
            ),
            total_href: list(Vec::new()),
            open: facts.open(),
            open_tiles,
            open_anytime,
            open_anytime_href: with_query("/incidents", &anytime),
            caught: caught.map_or_else(|| "–".to_string(), |p| format!("{}%", p.round() as i64)),
            caught_trend: Trend::percent(
                caught,
                before.as_ref().and_then(|b| b.caught_percent()),
                true,
                &before_words,
            ),
            caught_detail: format!(
                "{} of {known} steps with a known outcome were stopped or caught",
                facts.prevented + facts.detected
            ),
            reached_impact: facts.reached_impact(),
            impact_trend: Trend::count(
                facts.reached_impact(),
                before.as_ref().map(|b| b.reached_impact()),
                false,
                &before_words,
            ),
            chart,
            chart_step: step.noun(),
            undated,
            techniques,
            tactics,
            stages,
            latest,
            more_href: list(Vec::new()),
            mini,
            matrix_href: with_query("/matrix", &matrix_pairs),
            briefing_href: with_query("/briefing", &briefing_pairs),
            legend,
        }
    }
}
