//! The executive briefing (`/briefing`): one page for leadership in plain
//! language: headline numbers with their trend against the period before,
//! the three most serious incidents in one sentence each, the techniques
//! seen most in business words with the ATLAS mitigations that address them,
//! a small heat matrix and the story of the most serious incident. It prints
//! on exactly one A4 or US Letter page (the sheet has the height of the
//! smaller page and clips, so a long title can never spill onto a second),
//! and `/briefing.pdf` prints it server-side when a Chromium is installed.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use super::dashboard::mini_matrix;
use super::{Paper, ReportParams, kind_pairs, period_data, today, with_query};
use crate::atlas::ActiveAtlas;
use crate::export::pdf::{self, PRINT_CSP};
use crate::render::charts::MiniMatrix;
use crate::render::heat::LegendEntry;
use crate::render::heat::Scale;
use crate::render::period::{Period, Preset, day};
use crate::render::report::{Facts, PathStage, Trend, incident_sentence, path_stages};
use crate::render::story::{Icon, LaneMode, StoryOptions, StoryView};
use crate::render::{Link, plain};
use crate::store::ReportData;
use crate::web::{AppError, AppState};

/// Longest incident title on the sheet, in characters.
const TITLE_MAX: usize = 90;
/// Techniques listed, and mitigations named per technique.
const TECHNIQUES: usize = 5;
const MITIGATIONS: usize = 3;
/// Stages of the story's path shown before the middle is summarised.
const PATH_STAGES: usize = 9;

/// A headline number.
pub struct Headline {
    pub label: &'static str,
    pub value: String,
    pub trend: Trend,
    pub note: String,
}

/// One of the most serious incidents.
pub struct Serious {
    /// Shortened to fit the page.
    pub title: String,
    pub full_title: String,
    pub href: String,
    pub retro_href: String,
    pub severity_label: &'static str,
    pub severity_class: String,
    pub date: String,
    pub sentence: String,
}

/// A technique in business words.
pub struct TechniqueRow {
    pub plain: String,
    pub name: String,
    pub id: String,
    pub href: String,
    pub incidents: usize,
    pub mitigations: Vec<Link>,
    pub more_mitigations: usize,
}

/// Everything on the printed page (shared by the screen page and the PDF).
pub struct BriefingSheet {
    pub period_words: String,
    pub scope: String,
    pub prepared: String,
    pub headlines: Vec<Headline>,
    pub serious: Vec<Serious>,
    pub techniques: Vec<TechniqueRow>,
    pub mini: MiniMatrix,
    pub legend: Vec<LegendEntry>,
    /// The same story as stages, legible at print size.
    pub path: Vec<PathStage>,
    /// The outcome shapes with their words.
    pub path_key: Vec<(Icon, &'static str)>,
    pub story_title: String,
    pub story_full_title: String,
    pub story_summary: String,
    pub story_href: String,
    /// `paper-a4`, `paper-letter` or `paper-any`.
    pub paper_class: &'static str,
}

pub struct Choice {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/briefing.html")]
pub struct BriefingPage {
    pub sheet: BriefingSheet,
    pub paper_css: Option<&'static str>,
    pub periods: Vec<Choice>,
    pub papers: Vec<Choice>,
    pub case_study_choices: Vec<Choice>,
    pub pdf_available: bool,
    pub pdf_hint: bool,
    pub pdf_a4: String,
    pub pdf_letter: String,
    pub from_value: String,
    pub to_value: String,
    pub case_studies: bool,
}

/// The briefing as a self-contained document for Chromium to print.
#[derive(Template)]
#[template(path = "reports/briefing_document.html")]
pub struct BriefingDocument {
    pub sheet: BriefingSheet,
    pub csp: &'static str,
    /// Our own stylesheets, inlined (trusted: files of this crate).
    pub css: String,
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

struct Loaded {
    period: Period,
    case_studies: bool,
    sheet: BriefingSheet,
}

async fn load(
    state: &AppState,
    params: &ReportParams,
    paper: Option<Paper>,
) -> Result<Loaded, AppError> {
    let period = params.period(today(), Preset::Days90)?;
    let case_studies = params.case_studies()?;
    let atlas = state.atlas.get();
    let (data, previous) = period_data(state, &period, case_studies).await?;
    let facts = Facts::of(&atlas, &data);
    let serious = facts.most_serious(&data, 3);
    // The story of the most serious incident that has steps.
    let story_of = serious
        .iter()
        .copied()
        .find(|&i| facts.reach.get(i).is_some_and(|r| r.steps > 0));
    let detail = match story_of {
        Some(i) => state.store.get_incident(&data.incidents[i].id).await?,
        None => None,
    };
    let sheet = BriefingSheet::build(
        &atlas,
        &period,
        case_studies,
        &data,
        &facts,
        previous.as_ref(),
        &serious,
        detail.as_ref(),
        paper,
    );
    Ok(Loaded {
        period,
        case_studies,
        sheet,
    })
}

pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<BriefingPage, AppError> {
    let params = ReportParams::parse(raw.as_deref())?;
    let paper = params.paper()?;
    let loaded = load(&state, &params, paper).await?;
    let own = |period_pairs: Vec<(&'static str, String)>, cs: bool, paper: Option<Paper>| {
        let mut pairs = period_pairs;
        if cs {
            pairs.push(("case_studies", "1".to_string()));
        }
        if let Some(p) = paper {
            pairs.push(("paper", p.as_str().to_string()));
        }
        pairs
    };
    let period = &loaded.period;
    let cs = loaded.case_studies;
    let periods = Preset::ALL
        .iter()
        .map(|p| Choice {
            label: p.label(),
            href: with_query(
                "/briefing",
                &own(vec![("period", p.as_str().to_string())], cs, paper),
            ),
            current: period.preset == Some(*p),
        })
        .collect();
    let papers = [
        (None, "Either"),
        (Some(Paper::A4), "A4"),
        (Some(Paper::Letter), "US Letter"),
    ]
    .into_iter()
    .map(|(p, label)| Choice {
        label,
        href: with_query("/briefing", &own(period.query_pairs(), cs, p)),
        current: paper == p,
    })
    .collect();
    let case_study_choices = vec![
        Choice {
            label: "Left out",
            href: with_query("/briefing", &own(period.query_pairs(), false, paper)),
            current: !cs,
        },
        Choice {
            label: "Included",
            href: with_query("/briefing", &own(period.query_pairs(), true, paper)),
            current: cs,
        },
    ];
    Ok(BriefingPage {
        paper_css: paper.map(Paper::stylesheet),
        periods,
        papers,
        case_study_choices,
        pdf_available: pdf::chromium().is_some(),
        pdf_hint: params.pdf_unavailable(),
        pdf_a4: with_query(
            "/briefing.pdf",
            &own(period.query_pairs(), cs, Some(Paper::A4)),
        ),
        pdf_letter: with_query(
            "/briefing.pdf",
            &own(period.query_pairs(), cs, Some(Paper::Letter)),
        ),
        from_value: period.from_input.clone(),
        to_value: period.to_input.clone(),
        case_studies: cs,
        sheet: loaded.sheet,
    })
}

/// `/briefing.pdf`: the sheet printed by Chromium, or (without one) the
/// print view with a hint.
pub async fn pdf(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = ReportParams::parse(raw.as_deref())?;
    let paper = params.paper()?.unwrap_or(Paper::A4);
    let Some(chromium) = pdf::chromium() else {
        return Ok(Redirect::to(&print_view("/briefing", raw.as_deref(), paper)).into_response());
    };
    let loaded = load(&state, &params, Some(paper)).await?;
    let mut css = pdf::base_css();
    css.push_str(include_str!("../../../../static/briefing.css"));
    css.push_str(paper.css());
    let html = BriefingDocument {
        sheet: loaded.sheet,
        csp: PRINT_CSP,
        css,
    }
    .render()
    .map_err(|e| AppError::Internal(format!("briefing document: {e}")))?;
    let bytes = pdf::print(&chromium, &html).await.map_err(pdf_error)?;
    let name = format!(
        "atlasview-briefing-{}-{}.pdf",
        loaded.period.last_day().format("%Y-%m-%d"),
        paper.as_str()
    );
    Ok(pdf_response(bytes, &name))
}

/// The print view of a page whose PDF was asked for on a server without
/// Chromium: the same query, the paper kept, and the hint flag.
pub fn print_view(path: &str, raw: Option<&str>, paper: Paper) -> String {
    let mut pairs: Vec<(String, String)> =
        serde_html_form::from_str(raw.unwrap_or("")).unwrap_or_default();
    pairs.retain(|(k, _)| k != "pdf" && k != "paper");
    pairs.push(("paper".into(), paper.as_str().into()));
    pairs.push(("pdf".into(), "unavailable".into()));
    format!(
        "{path}?{}",
        serde_html_form::to_string(&pairs).unwrap_or_default()
    )
}

pub fn pdf_error(e: pdf::PdfError) -> AppError {
    match e {
        pdf::PdfError::Busy => AppError::TooManyRequests(e.to_string()),
        other => AppError::Internal(format!("PDF: {other}")),
    }
}

pub fn pdf_response(bytes: Vec<u8>, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

impl BriefingSheet {
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        atlas: &ActiveAtlas,
        period: &Period,
        case_studies: bool,
        data: &ReportData,
        facts: &Facts,
        previous: Option<&ReportData>,
        serious: &[usize],
        story_detail: Option<&crate::domain::IncidentDetail>,
        paper: Option<Paper>,
    ) -> BriefingSheet {
        let before = previous.map(|p| Facts::of(atlas, p));
        let before_words = period.previous_words();
        let caught = facts.caught_percent();
        let known = facts.prevented + facts.detected + facts.missed;
        let plural = |n: usize, one: &str, many: &str| {
            if n == 1 {
                format!("{n} {one}")
            } else {
                format!("{n} {many}")
            }
        };
        let headlines = vec![
            Headline {
                label: "AI security incidents",
                value: facts.total.to_string(),
                trend: Trend::count(
                    facts.total,
                    before.as_ref().map(|b| b.total),
                    false,
                    &before_words,
                ),
                note: format!("{} still open", facts.open()),
            },
            Headline {
                label: "Serious (high or critical)",
                value: facts.serious().to_string(),
                trend: Trend::count(
                    facts.serious(),
                    before.as_ref().map(|b| b.serious()),
                    false,
                    &before_words,
                ),
                note: format!("{} critical", facts.by_severity[0]),
            },
            Headline {
                label: "Attacks that caused harm",
                value: facts.reached_impact().to_string(),
                trend: Trend::count(
                    facts.reached_impact(),
                    before.as_ref().map(|b| b.reached_impact()),
                    false,
                    &before_words,
                ),
                note: "reached the ATLAS Impact stage".to_string(),
            },
            Headline {
                label: "Attack steps stopped or caught",
                value: caught.map_or_else(|| "–".to_string(), |p| format!("{}%", p.round() as i64)),
                trend: Trend::percent(
                    caught,
                    before.as_ref().and_then(|b| b.caught_percent()),
                    true,
                    &before_words,
                ),
                note: format!(
                    "{} of {} with a known outcome",
                    facts.prevented + facts.detected,
                    plural(known, "step", "steps")
                ),
            },
        ];
        let serious_items = serious
            .iter()
            .filter_map(|&i| {
                let incident = data.incidents.get(i)?;
                let reach = facts.reach.get(i)?;
                let id = crate::render::grid::form_value(&incident.id);
                Some(Serious {
                    title: shorten(&incident.title, TITLE_MAX),
                    full_title: incident.title.clone(),
                    href: format!("/incidents/{id}"),
                    retro_href: format!("/incidents/{id}/retrospective"),
                    severity_label: incident.severity.label(),
                    severity_class: format!("inc-badge inc-sev-{}", incident.severity.as_str()),
                    date: incident
                        .occurred
                        .map(|t| t.display())
                        .unwrap_or_else(|| "undated".to_string()),
                    sentence: incident_sentence(atlas, incident, reach),
                })
            })
            .collect();
        let mut filters = period.list_pairs();
        if !case_studies {
            filters.extend(kind_pairs(false));
        }
        let techniques = facts
            .techniques
            .iter()
            .take(TECHNIQUES)
            .map(|t| {
                let link = Link::technique(atlas, &t.technique_id);
                let all: Vec<Link> = atlas
                    .mitigations_for(&t.technique_id)
                    .map(|m| Link::mitigation(atlas, &m.id))
                    .collect();
                TechniqueRow {
                    plain: plain::technique_words(atlas, &t.technique_id, &t.tactic_id),
                    href: with_query(&link.href, &filters),
                    name: link.name,
                    id: t.technique_id.clone(),
                    incidents: t.incidents,
                    more_mitigations: all.len().saturating_sub(MITIGATIONS),
                    mitigations: all.into_iter().take(MITIGATIONS).collect(),
                }
            })
            .collect();
        let (mini, legend) = mini_matrix(atlas, data, &filters, Scale::default());
        let story = story_detail.map(|d| {
            StoryView::build(
                atlas,
                d,
                StoryOptions {
                    lanes: LaneMode::Reached,
                    titled: false,
                },
            )
            .embedded()
        });
        let path = story_detail.map_or_else(Vec::new, |d| path_stages(atlas, d, PATH_STAGES));
        let path_key = vec![
            (
                Icon::new(crate::domain::Outcome::Prevented, 8, 8),
                "stopped",
            ),
            (Icon::new(crate::domain::Outcome::Detected, 8, 8), "caught"),
            (Icon::new(crate::domain::Outcome::Missed, 8, 8), "missed"),
            (
                Icon::new(crate::domain::Outcome::Unknown, 8, 8),
                "not known",
            ),
        ];
        let (story_title, story_full_title, story_summary, story_href) =
            match (&story, story_detail) {
                (Some(s), Some(d)) => (
                    shorten(&d.incident.title, TITLE_MAX),
                    d.incident.title.clone(),
                    s.summary.clone(),
                    s.page_href.clone(),
                ),
                _ => Default::default(),
            };
        let kinds_words = if case_studies {
            "incidents, exercises and ATLAS case studies"
        } else {
            "incidents and exercises; ATLAS case studies left out"
        };
        BriefingSheet {
            period_words: {
                let mut words = period.describe();
                if let Some(first) = words.get(..1) {
                    let upper = first.to_uppercase();
                    words.replace_range(..1, &upper);
                }
                words
            },
            scope: kinds_words.to_string(),
            prepared: format!(
                "Prepared on {} by atlasview from {} ({kinds_words}), mapped to MITRE ATLAS {}.",
                day(chrono::Utc::now()),
                plural(facts.total, "recorded incident", "recorded incidents"),
                atlas.version()
            ),
            headlines,
            serious: serious_items,
            techniques,
            mini,
            legend,
            path,
            path_key,
            story_title,
            story_full_title,
            story_summary,
            story_href,
            paper_class: match paper {
                Some(Paper::A4) => "paper-a4",
                Some(Paper::Letter) => "paper-letter",
                None => "paper-any",
            },
        }
    }
}
