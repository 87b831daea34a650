//! The knowledge-base pages of the active release (and of a stored release
//! that still has a retired technique): technique, tactic, mitigation, the
//! case studies and one case study, and the stored releases.

use crate::atlas::{ActiveAtlas, CaseStudy, Mitigation, ReleaseInfo, Tactic, Technique, markdown};
use crate::render::technique_incidents::TechniqueIncidentsView;
use crate::render::{
    ExternalRef, Link, MatrixColumn, MatrixOptions, MatrixView, SubtechniqueMode, http_url,
    incident_date, maturity_class, timestamp,
};

/// Markdown to sanitized HTML, `None` for missing or blank text.
pub fn md(text: Option<&str>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty()).map(markdown::render)
}

/// What the footer line of every knowledge-base page says about the release.
pub struct ReleaseLineView {
    pub version: String,
    pub source: String,
    pub has_descriptions: bool,
}

impl ReleaseLineView {
    pub fn of(info: &ReleaseInfo) -> Self {
        ReleaseLineView {
            version: info.version.clone(),
            source: info.source.clone(),
            has_descriptions: info.has_descriptions,
        }
    }
}

// --------------------------------------------------------------- technique

pub struct MitigationUseView {
    pub mitigation: Link,
    pub usage_html: Option<String>,
}

pub struct StudyUseView {
    pub study: Link,
    pub date: Option<String>,
    /// The sub-technique the study used, when it was one of this technique's.
    pub via: Option<Link>,
}

pub struct TechniqueView {
    pub release: ReleaseLineView,
    /// Set when the technique is not in the active release: the version it was last seen in.
    pub former_version: Option<String>,
    pub active_version: String,
    pub id: String,
    pub name: String,
    pub is_sub: bool,
    pub maturity: Option<String>,
    pub maturity_class: &'static str,
    /// Platforms it applies to, each with the matrix filtered to it.
    pub platforms: Vec<PlatformLinkView>,
    pub tactics: Vec<Link>,
    pub parent: Option<Link>,
    pub subtechniques: Vec<Link>,
    pub mitigations: Vec<MitigationUseView>,
    pub case_studies: Vec<StudyUseView>,
    pub attack: Option<ExternalRef>,
    pub description_html: Option<String>,
    pub has_descriptions: bool,
    /// Incidents whose steps use it (with the matrix's filters), in the active release.
    pub incidents: Option<TechniqueIncidentsView>,
    /// For a technique the active release lacks: its successor there, if known.
    pub successor: Option<Link>,
}

impl TechniqueView {
    /// `source` is the release the technique is read from: the active one, or
    /// the former release it was last seen in (`former_version`).
    pub fn build(
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
        TechniqueView {
            release: ReleaseLineView::of(&active.info),
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
                .map(|p| PlatformLinkView {
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
pub struct PlatformLinkView {
    pub name: String,
    pub href: String,
}

/// Case studies of the release whose procedure uses the technique or one of its sub-techniques.
pub fn studies_using(atlas: &ActiveAtlas, technique_id: &str) -> Vec<StudyUseView> {
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

pub fn study_date(cs: &CaseStudy) -> Option<String> {
    cs.incident_date
        .as_deref()
        .map(|d| incident_date(d, cs.incident_date_granularity.as_deref()))
}

// ------------------------------------------------------------------ tactic

pub struct TacticView {
    pub release: ReleaseLineView,
    pub id: String,
    pub name: String,
    /// 1-based column in the matrix, of `column_total`.
    pub position: usize,
    pub column_total: usize,
    pub previous: Option<Link>,
    pub next: Option<Link>,
    pub attack: Option<ExternalRef>,
    pub description_html: Option<String>,
    pub has_descriptions: bool,
    pub column: MatrixColumn,
}

impl TacticView {
    pub fn build(atlas: &ActiveAtlas, t: &Tactic) -> Self {
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
        TacticView {
            release: ReleaseLineView::of(&atlas.info),
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

pub struct AddressedView {
    pub technique: Link,
    pub tactics: Vec<Link>,
    pub usage_html: Option<String>,
}

pub struct MitigationView {
    pub release: ReleaseLineView,
    pub id: String,
    pub name: String,
    pub description_html: Option<String>,
    pub has_descriptions: bool,
    pub addresses: Vec<AddressedView>,
}

impl MitigationView {
    pub fn build(atlas: &ActiveAtlas, m: &Mitigation) -> Self {
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
        MitigationView {
            release: ReleaseLineView::of(&atlas.info),
            id: m.id.clone(),
            name: m.name.clone(),
            description_html: md(m.description.as_deref()),
            has_descriptions: atlas.info.has_descriptions,
            addresses,
        }
    }
}

// ------------------------------------------------------------ case studies

pub struct StudyRowView {
    pub study: Link,
    pub date: Option<String>,
    pub kind: Option<String>,
    pub target: Option<String>,
    pub steps: usize,
}

pub struct StudiesView {
    pub release: ReleaseLineView,
    pub studies: Vec<StudyRowView>,
}

impl StudiesView {
    pub fn build(atlas: &ActiveAtlas) -> Self {
        let mut studies: Vec<StudyRowView> = atlas
            .release
            .case_studies
            .iter()
            .map(|cs| StudyRowView {
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
        StudiesView {
            release: ReleaseLineView::of(&atlas.info),
            studies,
        }
    }
}

pub struct StudyStepView {
    pub tactic: Link,
    pub technique: Link,
    pub description_html: Option<String>,
}

pub struct ReferenceView {
    pub title: String,
    /// http(s) only; anything else is shown as text.
    pub url: Option<String>,
    pub other_url: Option<String>,
}

pub struct StudyView {
    pub release: ReleaseLineView,
    pub id: String,
    pub name: String,
    pub summary_html: Option<String>,
    pub date: Option<String>,
    pub kind: Option<String>,
    pub target: Option<String>,
    pub actor: Option<String>,
    pub reporter: Option<String>,
    pub steps: Vec<StudyStepView>,
    pub references: Vec<ReferenceView>,
    /// The procedure as the story picture.
    pub story: crate::render::story::StoryView,
    /// The incident imported from this case study: (ID, title).
    pub incident_copy: Option<(String, String)>,
}

impl StudyView {
    pub fn build(atlas: &ActiveAtlas, cs: &CaseStudy) -> Self {
        let nonblank = |s: &Option<String>| s.as_ref().filter(|s| !s.trim().is_empty()).cloned();
        StudyView {
            story: crate::render::study_story::study_story(atlas, cs, false),
            incident_copy: None,
            release: ReleaseLineView::of(&atlas.info),
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
                .map(|s| StudyStepView {
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

pub struct StoredReleaseView {
    pub info: ReleaseInfo,
    pub imported_at: String,
}

pub struct ReleasesView {
    pub active: ReleaseInfo,
    pub releases: Vec<StoredReleaseView>,
}

impl ReleasesView {
    pub fn build(active: ReleaseInfo, stored: Vec<ReleaseInfo>) -> Self {
        let releases = stored
            .into_iter()
            .map(|info| StoredReleaseView {
                imported_at: timestamp(&info.imported_at),
                info,
            })
            .collect();
        ReleasesView { active, releases }
    }
}
