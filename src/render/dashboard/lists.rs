//! The dashboard's ranked lists (techniques, tactics, furthest stages) and
//! its latest incidents.

use crate::atlas::ActiveAtlas;
use crate::render::charts::share;
use crate::render::grid::form_value;
use crate::render::links::with_query;
use crate::render::report::Facts;
use crate::render::{Link, plain};
use crate::store::ReportData;

/// How many latest incidents the page shows.
const LATEST: usize = 8;

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
    pub id: String,
    /// Filled in from the incident's members ([`crate::render::teamwork::DashboardTasks`]).
    pub owner: Option<String>,
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

fn counted(incidents: usize, steps: usize) -> String {
    format!(
        "{incidents} {}, {steps} {}",
        if incidents == 1 {
            "incident"
        } else {
            "incidents"
        },
        if steps == 1 { "step" } else { "steps" }
    )
}

/// The techniques seen in most incidents; each links to its page narrowed to `filters`.
pub fn techniques(
    atlas: &ActiveAtlas,
    facts: &Facts,
    top: usize,
    filters: &[(&'static str, String)],
) -> Vec<Ranked> {
    let max = facts.techniques.first().map_or(0, |t| t.incidents);
    facts
        .techniques
        .iter()
        .take(top)
        .map(|t| {
            let link = Link::technique(atlas, &t.technique_id);
            Ranked {
                plain: plain::technique_words(atlas, &t.technique_id, &t.tactic_id),
                name: link.name,
                id: t.technique_id.clone(),
                href: with_query(&link.href, filters),
                count: t.incidents,
                share: share(t.incidents, max),
                detail: counted(t.incidents, t.steps),
            }
        })
        .collect()
}

/// The tactics seen in most incidents.
pub fn tactics(atlas: &ActiveAtlas, facts: &Facts, top: usize) -> Vec<Ranked> {
    let max = facts.tactics.first().map_or(0, |t| t.incidents);
    facts
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
                share: share(t.incidents, max),
                detail: counted(t.incidents, t.steps),
            }
        })
        .collect()
}

/// The stages incidents got no further than.
pub fn stages(atlas: &ActiveAtlas, facts: &Facts, top: usize) -> Vec<Ranked> {
    let max = facts.stages.first().map_or(0, |s| s.1);
    facts
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
                share: share(*n, max),
                detail: format!(
                    "{n} {} got no further",
                    if *n == 1 { "incident" } else { "incidents" }
                ),
            }
        })
        .collect()
}

/// The newest incidents with the stage each reached.
pub fn latest(atlas: &ActiveAtlas, facts: &Facts, data: &ReportData) -> Vec<Latest> {
    data.incidents
        .iter()
        .enumerate()
        .take(LATEST)
        .map(|(n, i)| Latest {
            id: i.id.clone(),
            owner: None,
            title: i.title.clone(),
            href: format!("/incidents/{}", form_value(&i.id)),
            date: i.occurred.map_or_else(|| "undated".into(), |t| t.display()),
            datetime: i.occurred.map(|t| t.input_value()).unwrap_or_default(),
            severity_label: i.severity.label(),
            severity_class: format!("inc-badge inc-sev-{}", i.severity.as_str()),
            status_label: i.status.label(),
            status_class: format!("inc-badge inc-status-{}", i.status.as_str()),
            stage: facts.reach[n]
                .furthest
                .as_ref()
                .map_or_else(|| "—".to_string(), |(t, _)| Link::tactic(atlas, t).name),
        })
        .collect()
}
