//! Knowledge-base pages: technique, tactic, mitigation and case study pages,
//! and the stored releases (the matrix is in `pages::matrix`). Every page reads
//! the in-memory active release; only a technique that left the active
//! release, the release list and a technique's incidents go to the store.
//!
//! Each page struct is its template's data and is built by a plain function
//! from `&ActiveAtlas`, so handlers stay three lines: parse, build, return.
//! Description text reaches templates only through [`markdown::render`], the
//! one thing they mark `|safe`.

pub mod release_diff;
pub mod techniques;

use crate::web::Routes;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::atlas::ids::{is_case_study_id, is_mitigation_id, is_tactic_id, is_technique_id};
use crate::atlas::{ActiveAtlas, CaseStudy, Mitigation, ReleaseInfo, Tactic, Technique, markdown};
use crate::render::technique_incidents::TechniqueIncidentsView;
use crate::render::{
    ExternalRef, Link, MatrixColumn, MatrixOptions, MatrixView, SubtechniqueMode, http_url,
    incident_date, maturity_class, timestamp,
};
use crate::service::{incidents, releases};
use crate::web::pages::matrix::technique_incidents;
use crate::web::{AppError, AppState};

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::ReadIncidents;
    Routes::new()
        .require(ReadIncidents, "/techniques", get(techniques::index))
        .require(ReadIncidents, "/techniques/{id}", get(technique))
        .require(ReadIncidents, "/tactics/{id}", get(tactic))
        .require(ReadIncidents, "/mitigations/{id}", get(mitigation))
        .require(ReadIncidents, "/studies", get(studies))
        .require(ReadIncidents, "/studies/{id}", get(study))
        .require(ReadIncidents, "/atlas/releases", get(releases))
}

// ---------------------------------------------------------------- handlers

async fn technique(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let atlas = state.atlas.get();
    if let Some(t) = atlas.technique(&id).filter(|_| is_technique_id(&id)) {
        let incidents = technique_incidents::load(&state, &atlas, &id, raw.as_deref()).await?;
        let mut page = TechniquePage::build(&atlas, &atlas, t, None);
        page.incidents = Some(incidents);
        return Ok(page.into_response());
    }
    // What became of it: the successor the table names, if the active release has it.
    let table = crate::service::upgrade::successor_table(&state.store).await?;
    let successor = table
        .resolve(&id, |s| atlas.technique(s).is_some())
        .map(|s| Link::technique(&atlas, &s));
    let Some(former) = releases::former_release(&state.store, &id).await? else {
        // Retired before any stored release: the successor table still knows it.
        let entry = table
            .get(&id)
            .filter(|_| is_technique_id(&id))
            .ok_or_else(|| not_found("Technique", &id))?;
        return Ok(RetiredPage {
            id: id.clone(),
            release: entry.release.clone(),
            note: entry.note.clone(),
            successor,
            active_version: atlas.info.version.clone(),
        }
        .into_response());
    };
    let t = former
        .technique(&id)
        .ok_or_else(|| not_found("Technique", &id))?;
    let mut page = TechniquePage::build(&atlas, &former, t, Some(former.info.version.clone()));
    page.successor = successor;
    Ok(page.into_response())
}

/// A technique no stored release has, known only from the successor table.
#[derive(Template, WebTemplate)]
#[template(path = "atlas/retired.html")]
pub struct RetiredPage {
    id: String,
    /// The first release without it, where the table says.
    release: String,
    note: String,
    successor: Option<Link>,
    active_version: String,
}

async fn tactic(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<TacticPage, AppError> {
    let atlas = state.atlas.get();
    let t = atlas
        .tactic(&id)
        .filter(|_| is_tactic_id(&id))
        .ok_or_else(|| not_found("Tactic", &id))?;
    Ok(TacticPage::build(&atlas, t))
}

async fn mitigation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<MitigationPage, AppError> {
    let atlas = state.atlas.get();
    let m = atlas
        .mitigation(&id)
        .filter(|_| is_mitigation_id(&id))
        .ok_or_else(|| not_found("Mitigation", &id))?;
    Ok(MitigationPage::build(&atlas, m))
}

async fn studies(State(state): State<AppState>) -> StudiesPage {
    StudiesPage::build(&state.atlas.get())
}

async fn study(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StudyPage, AppError> {
    let atlas = state.atlas.get();
    let cs = is_case_study_id(&id)
        .then(|| atlas.release.case_studies.iter().find(|c| c.id == id))
        .flatten()
        .ok_or_else(|| not_found("Case study", &id))?;
    let mut page = StudyPage::build(&atlas, cs);
    page.incident_copy = incidents::copy_of_case_study(&state.store, &cs.id).await?;
    Ok(page)
}

async fn releases(State(state): State<AppState>) -> Result<ReleasesPage, AppError> {
    let stored = releases::list(&state.store).await?;
    Ok(ReleasesPage::build(state.atlas.get().info.clone(), stored))
}

fn not_found(kind: &str, id: &str) -> AppError {
    let shown: String = id.chars().take(40).collect();
    AppError::NotFound(format!("{kind} “{shown}”"))
}

/// Markdown to sanitized HTML, `None` for missing or blank text.
fn md(text: Option<&str>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty()).map(markdown::render)
}

/// What the footer line of every knowledge-base page says about the release.
struct ReleaseLine {
    version: String,
    source: String,
    has_descriptions: bool,
}

impl ReleaseLine {
    fn of(info: &ReleaseInfo) -> Self {
        ReleaseLine {
            version: info.version.clone(),
            source: info.source.clone(),
            has_descriptions: info.has_descriptions,
        }
    }
}

// --------------------------------------------------------------- technique

struct MitigationUseView {
    mitigation: Link,
    usage_html: Option<String>,
}

struct StudyUseView {
    study: Link,
    date: Option<String>,
    /// The sub-technique the study used, when it was one of this technique's.
    via: Option<Link>,
}

#[derive(Template, WebTemplate)]
#[template(path = "atlas/technique.html")]
pub struct TechniquePage {
    release: ReleaseLine,
    /// Set when the technique is not in the active release: the version it was last seen in.
    former_version: Option<String>,
    active_version: String,
    id: String,
    name: String,
    is_sub: bool,
    maturity: Option<String>,
    maturity_class: &'static str,
    /// Platforms it applies to, each with the matrix filtered to it.
    platforms: Vec<PlatformLink>,
    tactics: Vec<Link>,
    parent: Option<Link>,
    subtechniques: Vec<Link>,
    mitigations: Vec<MitigationUseView>,
    case_studies: Vec<StudyUseView>,
    attack: Option<ExternalRef>,
    description_html: Option<String>,
    has_descriptions: bool,
    /// Incidents whose steps use it (with the matrix's filters), in the active release.
    incidents: Option<TechniqueIncidentsView>,
    /// For a technique the active release lacks: its successor there, if known.
    successor: Option<Link>,
}

impl TechniquePage {
    /// `source` is the release the technique is read from: the active one, or
    /// the former release it was last seen in (`former_version`).
    fn build(
        active: &ActiveAtlas,
        source: &ActiveAtlas,
        t: &Technique,
        former_version: Option<String>,
    ) -> Self {
        let mitigations = source
            .mitigations_for(&t.id)
            .map(|m| MitigationUseView {
                mitigation: Link::mitigation(source, &m.id),
                usage_html: md(m
                    .techniques
                    .iter()
                    .filter(|u| u.technique == t.id)
                    .find_map(|u| u.usage.as_deref())),
            })
            .collect();
        let case_studies = if former_version.is_some() {
            Vec::new()
        } else {
            studies_using(source, &t.id)
        };
        TechniquePage {
            release: ReleaseLine::of(&active.info),
            active_version: active.info.version.clone(),
            former_version,
            id: t.id.clone(),
            name: source.display_name(t),
            is_sub: t.parent.is_some(),
            maturity_class: t
                .maturity
                .as_deref()
                .map_or("maturity-other", maturity_class),
            maturity: t.maturity.clone(),
            platforms: t
                .platforms
                .iter()
                .map(|p| PlatformLink {
                    name: p.clone(),
                    href: format!("/matrix?platform={}", crate::atlas::platform_slug(p)),
                })
                .collect(),
            tactics: t
                .tactics
                .iter()
                .map(|id| Link::tactic(source, id))
                .collect(),
            parent: t.parent.as_deref().map(|p| Link::technique(source, p)),
            subtechniques: source
                .subtechniques(&t.id)
                .map(|s| Link::subtechnique(source, &s.id))
                .collect(),
            mitigations,
            case_studies,
            attack: ExternalRef::attack(t.attack_ref.as_ref()),
            description_html: md(t.description.as_deref()),
            has_descriptions: source.info.has_descriptions,
            incidents: None,
            successor: None,
        }
    }
}

/// A platform chip: its name and the matrix of its techniques.
pub struct PlatformLink {
    name: String,
    href: String,
}

/// Case studies of the release whose procedure uses the technique or one of its sub-techniques.
fn studies_using(atlas: &ActiveAtlas, technique_id: &str) -> Vec<StudyUseView> {
    let sub_prefix = format!("{technique_id}.");
    atlas
        .release
        .case_studies
        .iter()
        .filter_map(|cs| {
            let exact = cs.procedure.iter().any(|s| s.technique == technique_id);
            let via = cs
                .procedure
                .iter()
                .find(|s| s.technique.starts_with(&sub_prefix));
            (exact || via.is_some()).then(|| StudyUseView {
                study: Link::study(&cs.id, &cs.name),
                date: study_date(cs),
                via: if exact {
                    None
                } else {
                    via.map(|s| Link::technique(atlas, &s.technique))
                },
            })
        })
        .collect()
}

fn study_date(cs: &CaseStudy) -> Option<String> {
    cs.incident_date
        .as_deref()
        .map(|d| incident_date(d, cs.incident_date_granularity.as_deref()))
}

// ------------------------------------------------------------------ tactic

#[derive(Template, WebTemplate)]
#[template(path = "atlas/tactic.html")]
pub struct TacticPage {
    release: ReleaseLine,
    id: String,
    name: String,
    /// 1-based column in the matrix, of `column_total`.
    position: usize,
    column_total: usize,
    previous: Option<Link>,
    next: Option<Link>,
    attack: Option<ExternalRef>,
    description_html: Option<String>,
    has_descriptions: bool,
    column: MatrixColumn,
}

impl TacticPage {
    fn build(atlas: &ActiveAtlas, t: &Tactic) -> Self {
        let tactics = atlas.tactics();
        let index = atlas.tactic_position(&t.id).unwrap_or(0);
        let link = |i: usize| tactics.get(i).map(|x| Link::tactic(atlas, &x.id));
        let options = MatrixOptions {
            subtechniques: SubtechniqueMode::All,
            show_ids: true,
        };
        let column = MatrixView::build(atlas, &options)
            .columns
            .into_iter()
            .nth(index)
            .filter(|c| c.tactic_id == t.id)
            .unwrap_or_else(|| MatrixColumn {
                tactic_id: t.id.clone(),
                name: t.name.clone(),
                technique_count: 0,
                subtechnique_count: 0,
                cells: Vec::new(),
            });
        TacticPage {
            release: ReleaseLine::of(&atlas.info),
            id: t.id.clone(),
            name: t.name.clone(),
            position: index + 1,
            column_total: tactics.len(),
            previous: index.checked_sub(1).and_then(link),
            next: link(index + 1),
            attack: ExternalRef::attack(t.attack_ref.as_ref()),
            description_html: md(t.description.as_deref()),
            has_descriptions: atlas.info.has_descriptions,
            column,
        }
    }
}

// -------------------------------------------------------------- mitigation

struct AddressedView {
    technique: Link,
    tactics: Vec<Link>,
    usage_html: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "atlas/mitigation.html")]
pub struct MitigationPage {
    release: ReleaseLine,
    id: String,
    name: String,
    description_html: Option<String>,
    has_descriptions: bool,
    addresses: Vec<AddressedView>,
}

impl MitigationPage {
    fn build(atlas: &ActiveAtlas, m: &Mitigation) -> Self {
        let addresses = m
            .techniques
            .iter()
            .map(|u| AddressedView {
                technique: Link::technique(atlas, &u.technique),
                tactics: atlas
                    .technique(&u.technique)
                    .map(|t| t.tactics.iter().map(|id| Link::tactic(atlas, id)).collect())
                    .unwrap_or_default(),
                usage_html: md(u.usage.as_deref()),
            })
            .collect();
        MitigationPage {
            release: ReleaseLine::of(&atlas.info),
            id: m.id.clone(),
            name: m.name.clone(),
            description_html: md(m.description.as_deref()),
            has_descriptions: atlas.info.has_descriptions,
            addresses,
        }
    }
}

// ------------------------------------------------------------ case studies

struct StudyRow {
    study: Link,
    date: Option<String>,
    kind: Option<String>,
    target: Option<String>,
    steps: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "atlas/studies.html")]
pub struct StudiesPage {
    release: ReleaseLine,
    studies: Vec<StudyRow>,
}

impl StudiesPage {
    fn build(atlas: &ActiveAtlas) -> Self {
        let mut studies: Vec<StudyRow> = atlas
            .release
            .case_studies
            .iter()
            .map(|cs| StudyRow {
                study: Link::study(&cs.id, &cs.name),
                date: study_date(cs),
                kind: cs.case_study_type.clone(),
                target: cs.target.clone(),
                steps: cs.procedure.len(),
            })
            .collect();
        // Newest first; undated last, then by ID.
        studies.sort_by(|a, b| {
            b.date
                .cmp(&a.date)
                .then_with(|| a.study.id.cmp(&b.study.id))
        });
        StudiesPage {
            release: ReleaseLine::of(&atlas.info),
            studies,
        }
    }
}

struct StepView {
    tactic: Link,
    technique: Link,
    description_html: Option<String>,
}

struct ReferenceView {
    title: String,
    /// http(s) only; anything else is shown as text.
    url: Option<String>,
    other_url: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "atlas/study.html")]
pub struct StudyPage {
    release: ReleaseLine,
    id: String,
    name: String,
    summary_html: Option<String>,
    date: Option<String>,
    kind: Option<String>,
    target: Option<String>,
    actor: Option<String>,
    reporter: Option<String>,
    steps: Vec<StepView>,
    references: Vec<ReferenceView>,
    /// The procedure as the story picture.
    story: crate::render::story::StoryView,
    /// The incident imported from this case study: (ID, title).
    incident_copy: Option<(String, String)>,
}

impl StudyPage {
    fn build(atlas: &ActiveAtlas, cs: &CaseStudy) -> Self {
        let nonblank = |s: &Option<String>| s.as_ref().filter(|s| !s.trim().is_empty()).cloned();
        StudyPage {
            story: crate::render::study_story::study_story(atlas, cs, false),
            incident_copy: None,
            release: ReleaseLine::of(&atlas.info),
            id: cs.id.clone(),
            name: cs.name.clone(),
            summary_html: md(cs.summary.as_deref()),
            date: study_date(cs),
            kind: nonblank(&cs.case_study_type),
            target: nonblank(&cs.target),
            actor: nonblank(&cs.actor),
            reporter: nonblank(&cs.reporter),
            steps: cs
                .procedure
                .iter()
                .map(|s| StepView {
                    tactic: Link::tactic(atlas, &s.tactic),
                    technique: Link::technique(atlas, &s.technique),
                    description_html: md(s.description.as_deref()),
                })
                .collect(),
            references: cs
                .references
                .iter()
                .map(|r| {
                    let url = r.url.as_deref().map(str::trim).filter(|u| !u.is_empty());
                    let link = url.and_then(http_url).map(str::to_string);
                    ReferenceView {
                        title: nonblank(&r.title)
                            .or_else(|| url.map(str::to_string))
                            .unwrap_or_default(),
                        other_url: if link.is_none() {
                            url.map(str::to_string)
                        } else {
                            None
                        },
                        url: link,
                    }
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------- releases

struct StoredRelease {
    info: ReleaseInfo,
    imported_at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "atlas/releases.html")]
pub struct ReleasesPage {
    active: ReleaseInfo,
    releases: Vec<StoredRelease>,
}

impl ReleasesPage {
    fn build(active: ReleaseInfo, stored: Vec<ReleaseInfo>) -> Self {
        let releases = stored
            .into_iter()
            .map(|info| StoredRelease {
                imported_at: timestamp(&info.imported_at),
                info,
            })
            .collect();
        ReleasesPage { active, releases }
    }
}
