//! The one printed page of the executive briefing (the screen page and the
//! PDF share it): headline numbers against the period before, the most
//! serious incidents in one plain sentence each, the four-quarter trend,
//! what attackers did most with the ATLAS mitigations that address it beside
//! the team's own actions from its retrospectives, and how the most serious
//! incident unfolded.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::actions::{self, ActionStatus};
use super::quarters::{self, QuarterTrendView};
use super::sentence::board_sentence;
use crate::atlas::ActiveAtlas;
use crate::domain::excerpt::shorten;
use crate::domain::{DateRule, IncidentDetail, Outcome};
use crate::render::grid::form_value;
use crate::render::links::{kind_pairs, with_query};
use crate::render::period::{Period, day};
use crate::render::report::{Facts, PathStage, Reach, Trend, path_stages};
use crate::render::story::Icon;
use crate::render::{Link, plain};
use crate::store::{ReportData, ReportIncident, RetroActions};

/// Longest incident title on the sheet, in characters.
const TITLE_MAX: usize = 90;
/// Techniques listed, and mitigations named per technique.
const TECHNIQUES: usize = 5;
const MITIGATIONS: usize = 3;
/// Team actions listed.
const ACTIONS: usize = 5;
/// Stages of the story's path shown before the middle is summarised.
const PATH_STAGES: usize = 9;

/// A headline number.
pub struct HeadlineView {
    pub label: &'static str,
    pub value: String,
    pub trend: Trend,
    pub note: String,
}

/// One of the most serious incidents.
pub struct SeriousView {
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
pub struct TechniqueRowView {
    pub plain: String,
    pub name: String,
    pub id: String,
    pub href: String,
    pub incidents: usize,
    pub mitigations: Vec<Link>,
    pub more_mitigations: usize,
}

/// One action the team decided in a retrospective.
pub struct TeamActionView {
    pub text: String,
    pub owner: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    /// The incident's title, shortened, and its retrospective.
    pub incident: String,
    pub href: String,
}

/// The team's actions of the period's incidents.
pub struct TeamActionsView {
    pub rows: Vec<TeamActionView>,
    pub more: usize,
    /// "7 actions from 3 reviews: 2 done, 4 open, 1 decided."
    pub summary: String,
    /// "Follow-up tasks: 5 open, 2 of them overdue." (all incidents).
    pub tasks: String,
}

/// Everything on the printed page.
pub struct BriefingSheetView {
    pub period_words: String,
    pub scope: String,
    pub prepared: String,
    pub headlines: Vec<HeadlineView>,
    pub serious: Vec<SeriousView>,
    pub techniques: Vec<TechniqueRowView>,
    pub actions: TeamActionsView,
    pub quarters: QuarterTrendView,
    pub path: Vec<PathStage>,
    /// The outcome shapes with their words.
    pub path_key: Vec<(Icon, &'static str)>,
    pub story_title: String,
    pub story_full_title: String,
    pub story_sentence: String,
    pub story_href: String,
    /// `paper-a4`, `paper-letter` or `paper-any`.
    pub paper_class: &'static str,
}

/// What the sheet is built from.
pub struct SheetInput<'a> {
    pub atlas: &'a ActiveAtlas,
    pub period: &'a Period,
    pub case_studies: bool,
    pub data: &'a ReportData,
    pub facts: &'a Facts,
    /// The facts of the period before, for the trends.
    pub before: Option<&'a Facts>,
    /// The incidents of the four quarters of the trend.
    pub trend: &'a [ReportIncident],
    pub retros: &'a [RetroActions],
    /// The most serious incidents (indexes into `data`).
    pub serious: &'a [usize],
    /// The incident whose path the sheet tells.
    pub story: Option<&'a IncidentDetail>,
    pub paper_class: &'static str,
    /// Open tasks of every incident, and how many of them are overdue.
    pub tasks: (i64, i64),
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The incident whose story the sheet tells: the most serious with steps.
pub fn story_incident(facts: &Facts, serious: &[usize]) -> Option<usize> {
    serious
        .iter()
        .copied()
        .find(|&i| facts.reach.get(i).is_some_and(|r| r.steps > 0))
}

impl BriefingSheetView {
    pub fn build(input: &SheetInput) -> BriefingSheetView {
        let kinds_words = if input.case_studies {
            "incidents, exercises and ATLAS case studies"
        } else {
            "incidents and exercises; ATLAS case studies left out"
        };
        let (story_title, story_full_title, story_sentence, story_href) =
            story_words(input.atlas, input.story);
        BriefingSheetView {
            period_words: capitalised(&input.period.describe()),
            scope: kinds_words.to_string(),
            prepared: format!(
                "Prepared on {} by atlasview from {} ({kinds_words}), mapped to MITRE ATLAS {}.",
                day(chrono::Utc::now()),
                plural(input.facts.total, "recorded incident", "recorded incidents"),
                input.atlas.version()
            ),
            headlines: headlines(input),
            serious: serious(input),
            techniques: techniques(input),
            actions: team_actions(input),
            quarters: quarter_trend(input),
            path: input
                .story
                .map_or_else(Vec::new, |d| path_stages(input.atlas, d, PATH_STAGES)),
            path_key: path_key(),
            story_title,
            story_full_title,
            story_sentence,
            story_href,
            paper_class: input.paper_class,
        }
    }
}

fn capitalised(words: &str) -> String {
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn story_words(
    atlas: &ActiveAtlas,
    story: Option<&IncidentDetail>,
) -> (String, String, String, String) {
    let Some(d) = story else {
        return Default::default();
    };
    let atlas_free = board_sentence(&Reach::of_detail(atlas, d), d.incident.status);
    (
        shorten(&d.incident.title, TITLE_MAX),
        d.incident.title.clone(),
        atlas_free,
        format!("/incidents/{}/story", form_value(&d.incident.id)),
    )
}

fn path_key() -> Vec<(Icon, &'static str)> {
    vec![
        (Icon::new(Outcome::Prevented, 8, 8), "stopped"),
        (Icon::new(Outcome::Detected, 8, 8), "spotted"),
        (Icon::new(Outcome::Missed, 8, 8), "missed"),
        (Icon::new(Outcome::Unknown, 8, 8), "not known"),
    ]
}

fn headlines(input: &SheetInput) -> Vec<HeadlineView> {
    let facts = input.facts;
    let b = input.before;
    let words = input.period.previous_words();
    let count = |now: usize, then: Option<usize>| Trend::count(now, then, false, &words);
    let caught = facts.caught_percent();
    let known = facts.prevented + facts.detected + facts.missed;
    vec![
        HeadlineView {
            label: "AI security incidents",
            value: facts.total.to_string(),
            trend: count(facts.total, b.map(|b| b.total)),
            note: format!("{} not yet resolved", facts.open()),
        },
        HeadlineView {
            label: "Serious (high or critical)",
            value: facts.serious().to_string(),
            trend: count(facts.serious(), b.map(Facts::serious)),
            note: format!("{} critical", facts.by_severity[0]),
        },
        HeadlineView {
            label: "Attacks that caused harm",
            value: facts.reached_impact().to_string(),
            trend: count(facts.reached_impact(), b.map(Facts::reached_impact)),
            note: "the attacker reached the harm stage".to_string(),
        },
        HeadlineView {
            label: "Attack steps stopped or spotted",
            value: caught.map_or_else(|| "–".to_string(), |p| format!("{}%", p.round() as i64)),
            trend: Trend::percent(caught, b.and_then(Facts::caught_percent), true, &words),
            note: format!(
                "{} of {} with a known outcome",
                facts.prevented + facts.detected,
                plural(known, "step", "steps")
            ),
        },
    ]
}

fn serious(input: &SheetInput) -> Vec<SeriousView> {
    input
        .serious
        .iter()
        .filter_map(|&i| {
            let incident = input.data.incidents.get(i)?;
            let reach = input.facts.reach.get(i)?;
            let id = form_value(&incident.id);
            Some(SeriousView {
                title: shorten(&incident.title, TITLE_MAX),
                full_title: incident.title.clone(),
                href: format!("/incidents/{id}"),
                retro_href: format!("/incidents/{id}/retrospective"),
                severity_label: incident.severity.label(),
                severity_class: format!("inc-badge inc-sev-{}", incident.severity.as_str()),
                date: incident
                    .occurred
                    .map_or_else(|| "undated".to_string(), |t| t.display()),
                sentence: board_sentence(reach, incident.status),
            })
        })
        .collect()
}

/// The incident-list filters for the sheet's incidents.
fn filters(input: &SheetInput) -> Vec<(&'static str, String)> {
    let mut filters = input.period.list_pairs();
    if !input.case_studies {
        filters.extend(kind_pairs(false));
    }
    filters
}

fn techniques(input: &SheetInput) -> Vec<TechniqueRowView> {
    let atlas = input.atlas;
    let filters = filters(input);
    input
        .facts
        .techniques
        .iter()
        .take(TECHNIQUES)
        .map(|t| {
            let link = Link::technique(atlas, &t.technique_id);
            let all: Vec<Link> = atlas
                .mitigations_for(&t.technique_id)
                .map(|m| Link::mitigation(atlas, &m.id))
                .collect();
            TechniqueRowView {
                plain: plain::technique_words(atlas, &t.technique_id, &t.tactic_id),
                href: with_query(&link.href, &filters),
                name: link.name,
                id: t.technique_id.clone(),
                incidents: t.incidents,
                more_mitigations: all.len().saturating_sub(MITIGATIONS),
                mitigations: all.into_iter().take(MITIGATIONS).collect(),
            }
        })
        .collect()
}

fn status_rank(s: ActionStatus) -> u8 {
    match s {
        ActionStatus::Open => 0,
        ActionStatus::Decided => 1,
        ActionStatus::Done => 2,
    }
}

/// The actions of the retrospectives of the period's incidents: open ones
/// first, then decided, then done; most serious incident first within.
fn team_actions(input: &SheetInput) -> TeamActionsView {
    let index: HashMap<&str, usize> = input
        .data
        .incidents
        .iter()
        .enumerate()
        .map(|(n, i)| (i.id.as_str(), n))
        .collect();
    let mut all: Vec<(usize, actions::Action)> = Vec::new();
    let mut reviews = 0;
    for r in input.retros {
        let Some(&n) = index.get(r.incident_id.as_str()) else {
            continue;
        };
        let parsed = actions::parse(&r.actions);
        reviews += usize::from(!parsed.is_empty());
        all.extend(parsed.into_iter().map(|a| (n, a)));
    }
    let severity = |n: usize| input.data.incidents[n].severity;
    all.sort_by(|a, b| {
        status_rank(a.1.status)
            .cmp(&status_rank(b.1.status))
            .then(severity(b.0).cmp(&severity(a.0)))
    });
    let summary = actions_summary(&all, reviews);
    let more = all.len().saturating_sub(ACTIONS);
    let rows = all
        .into_iter()
        .take(ACTIONS)
        .map(|(n, a)| action_row(input, n, a))
        .collect();
    TeamActionsView {
        rows,
        more,
        summary,
        tasks: tasks_line(input.tasks),
    }
}

fn action_row(input: &SheetInput, n: usize, a: actions::Action) -> TeamActionView {
    let incident = &input.data.incidents[n];
    TeamActionView {
        text: a.text,
        owner: a.owner.unwrap_or_else(|| "no owner named".to_string()),
        status_label: a.status.label(),
        status_class: a.status.class(),
        incident: shorten(&incident.title, TITLE_MAX),
        href: format!("/incidents/{}/retrospective", form_value(&incident.id)),
    }
}

/// "Follow-up tasks: 5 open, 2 of them overdue."
fn tasks_line((open, overdue): (i64, i64)) -> String {
    let open = plural(open as usize, "task", "tasks");
    format!("Follow-up tasks on every incident: {open} open, {overdue} of them overdue.")
}

fn actions_summary(all: &[(usize, actions::Action)], reviews: usize) -> String {
    if all.is_empty() {
        return String::new();
    }
    let count = |s: ActionStatus| all.iter().filter(|(_, a)| a.status == s).count();
    let parts: Vec<String> = [
        (ActionStatus::Done, "done"),
        (ActionStatus::Open, "open"),
        (ActionStatus::Decided, "decided, no status yet"),
    ]
    .into_iter()
    .filter(|(s, _)| count(*s) > 0)
    .map(|(s, w)| format!("{} {w}", count(s)))
    .collect();
    format!(
        "{} from {}: {}.",
        plural(all.len(), "action", "actions"),
        plural(reviews, "review", "reviews"),
        parts.join(", ")
    )
}

fn quarter_trend(input: &SheetInput) -> QuarterTrendView {
    let span = quarters::span(input.period);
    let counts = quarters::counts(&span, input.trend);
    let current = input.period.last_day().date_naive();
    let case_studies = input.case_studies;
    QuarterTrendView::build(&counts, current, |first: NaiveDate| {
        let last = first
            .checked_add_months(chrono::Months::new(3))
            .and_then(|d| d.pred_opt())
            .unwrap_or(first);
        let mut pairs = vec![
            ("from", first.format("%Y-%m-%d").to_string()),
            ("to", last.format("%Y-%m-%d").to_string()),
            ("dates", DateRule::Middle.as_str().to_string()),
        ];
        if !case_studies {
            pairs.extend(kind_pairs(false));
        }
        with_query("/incidents", &pairs)
    })
}
