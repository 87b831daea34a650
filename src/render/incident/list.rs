//! The incident list: its rows, pages, the filter form as the visitor filled
//! it and the filters in force, each with the link that drops it.

use super::fields::{Badge, Opt, TimeView, shorten};
use super::filters::FilterParams;
use crate::atlas::ActiveAtlas;
use crate::domain::{Kind, Severity, Status};
use crate::store::{IncidentSummary, Page, Sort};

/// One checkbox of a multi-value filter.
pub struct Check {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

fn checks<T: Copy>(
    all: &[T],
    as_str: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
    raw: &[String],
) -> Vec<Check> {
    let chosen: Vec<&str> = raw
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    all.iter()
        .map(|&v| Check {
            value: as_str(v),
            label: label(v),
            checked: chosen.contains(&as_str(v)),
        })
        .collect()
}

/// A filter in force, with the URL that drops it.
pub struct ActiveFilter {
    pub label: String,
    pub remove_href: String,
}

pub struct Row {
    pub id: String,
    pub title: String,
    pub severity: Badge,
    pub status: Badge,
    pub kind: &'static str,
    pub occurred: Option<TimeView>,
    pub step_count: i64,
    pub target: String,
    pub tags: Vec<String>,
    pub owner: Option<String>,
}

pub struct PageLink {
    pub number: u32,
    pub href: String,
    pub current: bool,
    /// Pages were skipped before this one: an ellipsis goes first.
    pub gap_before: bool,
}

pub struct TechniqueOption {
    pub id: String,
    pub name: String,
}

/// The incident list (`templates/incidents/list.html`).
pub struct ListView {
    pub rows: Vec<Row>,
    pub total: i64,
    pub page: u32,
    pub pages: u32,
    pub first_shown: i64,
    pub last_shown: i64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub page_links: Vec<PageLink>,
    pub q: String,
    /// `mine`, `unassigned` or empty.
    pub assigned: String,
    pub target: String,
    pub tag: String,
    pub technique: String,
    /// "Exactly this ID" (no sub-techniques) is ticked.
    pub technique_exact: bool,
    /// Several techniques: all of them (else any).
    pub techniques_all: bool,
    pub from: String,
    pub to: String,
    pub per_page: String,
    pub detected_from: String,
    pub detected_to: String,
    pub incident: String,
    pub statuses: Vec<Check>,
    pub severities: Vec<Check>,
    pub kinds: Vec<Check>,
    pub tactic_options: Vec<Opt>,
    pub sort_options: Vec<Opt>,
    pub active: Vec<ActiveFilter>,
    pub techniques: Vec<TechniqueOption>,
    pub all_tags: Vec<String>,
    pub has_release_case_studies: bool,
    /// "Download CSV" of the current filters: the incidents, and their steps.
    pub csv_href: String,
    pub steps_csv_href: String,
}

fn joined(values: &[String]) -> String {
    values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

fn text(value: &Option<String>) -> String {
    value.as_deref().unwrap_or("").trim().to_string()
}

fn href(params: &FilterParams, page: Option<u32>) -> String {
    let q = params.query_string_with_page(page);
    if q.is_empty() {
        "/incidents".to_string()
    } else {
        format!("/incidents?{q}")
    }
}

/// The CSV download of these filters (every matching incident, not a page).
fn csv_href(params: &FilterParams, rows: &str) -> String {
    let mut p = params.clone();
    p.page = None;
    p.per_page = None;
    let q = p.query_string_with_page(None);
    let sep = if q.is_empty() { "" } else { "&" };
    format!("/incidents?{q}{sep}format=csv&rows={rows}")
}

/// Removes one filter from the parameters.
type Clear = fn(&mut FilterParams);

/// The filters in force, each with a link to the same view without it.
fn active_filters(atlas: &ActiveAtlas, p: &FilterParams) -> Vec<ActiveFilter> {
    let mut out = Vec::new();
    let mut push = |label: String, without: FilterParams| {
        out.push(ActiveFilter {
            label,
            remove_href: href(&without, None),
        });
    };
    let lists: [(&str, &Vec<String>, Clear); 7] = [
        ("Incident", &p.incident, |x| x.incident.clear()),
        ("Status", &p.status, |x| x.status.clear()),
        ("Severity", &p.severity, |x| x.severity.clear()),
        ("Kind", &p.kind, |x| x.kind.clear()),
        ("Tag", &p.tag, |x| x.tag.clear()),
        ("Technique", &p.technique, |x| x.technique.clear()),
        ("Tactic", &p.tactic, |x| x.tactic.clear()),
    ];
    for (name, values, clear) in lists {
        let shown = joined(values);
        if shown.is_empty() {
            continue;
        }
        let shown = match name {
            "Tactic" => named(&shown, |id| atlas.tactic(id).map(|t| t.name.clone())),
            "Technique" => named(&shown, |id| {
                atlas.technique(id).map(|t| atlas.display_name(t))
            }),
            "Status" => named(&shown, |v| Status::parse(v).map(|s| s.label().to_string())),
            "Severity" => named(&shown, |v| {
                Severity::parse(v).map(|s| s.label().to_string())
            }),
            "Kind" => named(&shown, |v| Kind::parse(v).map(|s| s.label().to_string())),
            _ => shown,
        };
        let mut without = p.clone();
        clear(&mut without);
        push(format!("{name}: {shown}"), without);
    }
    let texts: [(&str, &Option<String>, Clear); 7] = [
        ("Search", &p.q, |x| x.q = None),
        ("Assigned", &p.assigned, |x| x.assigned = None),
        ("Target", &p.target, |x| x.target = None),
        ("Occurred from", &p.from, |x| x.from = None),
        ("Occurred to", &p.to, |x| x.to = None),
        ("Detected from", &p.detected_from, |x| {
            x.detected_from = None
        }),
        ("Detected to", &p.detected_to, |x| x.detected_to = None),
    ];
    for (name, value, clear) in texts {
        let shown = text(value);
        if shown.is_empty() {
            continue;
        }
        let mut without = p.clone();
        clear(&mut without);
        push(format!("{name}: {}", shorten(&shown, 60)), without);
    }
    out
}

/// "Initial Access, Execution" for "AML.TA0004, AML.TA0005".
fn named(list: &str, name: impl Fn(&str) -> Option<String>) -> String {
    list.split(',')
        .map(str::trim)
        .map(|v| name(v).unwrap_or_else(|| v.to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl ListView {
    pub fn build(
        atlas: &ActiveAtlas,
        p: &FilterParams,
        page: Page<IncidentSummary>,
        all_tags: Vec<String>,
    ) -> Self {
        let pages = page.pages();
        let current = page.page;
        // Deep pages follow the keyset token; numbered links still use `page=`.
        let next_href = page
            .next
            .as_ref()
            .filter(|_| current < pages)
            .map(|c| format!("/incidents?{}", p.query_string_after(c, current + 1)));
        let first_shown = i64::from(current - 1) * i64::from(page.per_page) + 1;
        let last_shown = (first_shown + page.items.len() as i64 - 1).max(0);
        let mut numbers: Vec<u32> = [
            1,
            current.saturating_sub(2),
            current.saturating_sub(1),
            current,
            current + 1,
            current + 2,
            pages,
        ]
        .into_iter()
        .filter(|n| (1..=pages).contains(n))
        .collect();
        numbers.sort_unstable();
        numbers.dedup();
        let page_links = numbers
            .iter()
            .enumerate()
            .map(|(i, &n)| PageLink {
                number: n,
                href: href(p, Some(n)),
                current: n == current,
                gap_before: i > 0 && numbers[i - 1] + 1 < n,
            })
            .collect();
        let tactic = joined(&p.tactic);
        let mut tactic_options: Vec<Opt> = vec![Opt::new("", "Any tactic", &tactic)];
        tactic_options.extend(
            atlas
                .tactics()
                .iter()
                .map(|t| Opt::new(t.id.clone(), t.name.clone(), &tactic)),
        );
        if !tactic.is_empty() && !tactic_options.iter().any(|o| o.selected) {
            tactic_options.push(Opt {
                label: tactic.clone(),
                value: tactic.clone(),
                selected: true,
            });
        }
        let sort = text(&p.sort);
        let sort_current = if sort.is_empty() && !text(&p.q).is_empty() {
            Sort::Relevance.as_str().to_string()
        } else if sort.is_empty() {
            Sort::default().as_str().to_string()
        } else {
            sort
        };
        let sort_options = Sort::ALL
            .iter()
            .map(|s| Opt::new(s.as_str(), s.label(), &sort_current))
            .collect();
        let rows = page
            .items
            .into_iter()
            .map(|s| Row {
                severity: Badge::severity(s.incident.severity),
                status: Badge::status(s.incident.status),
                kind: s.incident.kind.label(),
                occurred: TimeView::opt(&s.incident.occurred),
                step_count: s.step_count,
                id: s.incident.id,
                title: s.incident.title,
                target: s.incident.target,
                tags: s.incident.tags,
                owner: s.members.owner,
            })
            .collect();
        ListView {
            csv_href: csv_href(p, "incidents"),
            steps_csv_href: csv_href(p, "steps"),
            rows,
            total: page.total,
            page: current,
            pages,
            first_shown,
            last_shown,
            prev_href: (current > 1).then(|| href(p, Some((current - 1).min(pages)))),
            next_href: next_href.or_else(|| (current < pages).then(|| href(p, Some(current + 1)))),
            technique_exact: p
                .technique_exact
                .as_deref()
                .is_some_and(|v| v.trim() == "1"),
            techniques_all: p.techniques_match.as_deref().map(str::trim) == Some("all"),
            page_links,
            q: text(&p.q),
            assigned: text(&p.assigned),
            target: text(&p.target),
            tag: joined(&p.tag),
            technique: joined(&p.technique),
            from: text(&p.from),
            to: text(&p.to),
            per_page: text(&p.per_page),
            detected_from: text(&p.detected_from),
            detected_to: text(&p.detected_to),
            incident: joined(&p.incident),
            statuses: checks(Status::ALL, Status::as_str, Status::label, &p.status),
            severities: checks(
                Severity::ALL,
                Severity::as_str,
                Severity::label,
                &p.severity,
            ),
            kinds: checks(Kind::ALL, Kind::as_str, Kind::label, &p.kind),
            tactic_options,
            sort_options,
            active: active_filters(atlas, p),
            techniques: atlas
                .release
                .techniques
                .iter()
                .map(|t| TechniqueOption {
                    id: t.id.clone(),
                    name: atlas.display_name(t),
                })
                .collect(),
            all_tags,
            has_release_case_studies: !atlas.release.case_studies.is_empty(),
        }
    }

    /// Whether "More filters" starts open: one of its filters is in force.
    pub fn more_open(&self) -> bool {
        self.kinds.iter().any(|c| c.checked)
            || self
                .tactic_options
                .iter()
                .any(|o| o.selected && !o.value.is_empty())
            || [
                &self.technique,
                &self.tag,
                &self.target,
                &self.from,
                &self.to,
            ]
            .iter()
            .any(|v| !v.is_empty())
    }

    pub fn past_the_end(&self) -> bool {
        self.rows.is_empty() && self.total > 0
    }
}
