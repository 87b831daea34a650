//! `GET /incidents`: the filterable, paginated table. The filter form is a GET
//! form, so every view is a URL to share; a bad filter is the 400 of
//! [`FilterParams::to_query`].

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};

use super::{Badge, Opt, TimeView};
use crate::atlas::ActiveAtlas;
use crate::domain::{Kind, Severity, Status};
use crate::service::incidents;
use crate::store::{IncidentSummary, Page, Sort};
use crate::web::extract::incident_filters::FilterParams;
use crate::web::{AppError, AppState};

pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<ListPage, AppError> {
    let params = FilterParams::from_query(raw.as_deref())?;
    let query = params.to_query()?;
    let page = incidents::list(&state.store, &query).await?;
    let tags = incidents::top_tags(&state.store).await?;
    Ok(ListPage::build(&state.atlas.get(), &params, page, tags))
}

/// One checkbox of a multi-value filter.
pub struct Check {
    value: &'static str,
    label: &'static str,
    checked: bool,
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
    label: String,
    remove_href: String,
}

pub struct Row {
    id: String,
    title: String,
    severity: Badge,
    status: Badge,
    kind: &'static str,
    occurred: Option<TimeView>,
    step_count: i64,
    target: String,
    tags: Vec<String>,
    owner: Option<String>,
}

pub struct PageLink {
    number: u32,
    href: String,
    current: bool,
    /// Pages were skipped before this one: an ellipsis goes first.
    gap_before: bool,
}

pub struct TechniqueOption {
    id: String,
    name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "incidents/list.html")]
pub struct ListPage {
    rows: Vec<Row>,
    total: i64,
    page: u32,
    pages: u32,
    first_shown: i64,
    last_shown: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
    page_links: Vec<PageLink>,
    q: String,
    /// `mine`, `unassigned` or empty.
    assigned: String,
    target: String,
    tag: String,
    technique: String,
    /// "Exactly this ID" (no sub-techniques) is ticked.
    technique_exact: bool,
    /// Several techniques: all of them (else any).
    techniques_all: bool,
    from: String,
    to: String,
    per_page: String,
    detected_from: String,
    detected_to: String,
    incident: String,
    statuses: Vec<Check>,
    severities: Vec<Check>,
    kinds: Vec<Check>,
    tactic_options: Vec<Opt>,
    sort_options: Vec<Opt>,
    active: Vec<ActiveFilter>,
    techniques: Vec<TechniqueOption>,
    all_tags: Vec<String>,
    has_release_case_studies: bool,
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
        push(format!("{name}: {}", super::shorten(&shown, 60)), without);
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

impl ListPage {
    fn build(
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
        ListPage {
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
    fn more_open(&self) -> bool {
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

    fn past_the_end(&self) -> bool {
        self.rows.is_empty() && self.total > 0
    }
}
