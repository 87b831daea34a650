//! Comparing two stored releases: `/atlas/releases/{a}/diff/{b}` (HTML) and
//! `/api/v1/atlas/releases/{a}/diff/{b}` (JSON): what was added, removed,
//! renamed and re-tacticed, and what an upgrade from `a` to `b` would change
//! for the incidents mapped to `a`.

use crate::web::Routes;
use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::atlas::Release;
use crate::atlas::diff::{ReleaseDiff, diff};
use crate::service::upgrade::{self, Impact};
use crate::web::extract::html_form::{parse_query, see_other};
use crate::web::{ApiError, AppError, AppState};

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::ReadIncidents;
    Routes::new()
        .require(
            ReadIncidents,
            "/atlas/releases/compare",
            get(compare_handler),
        )
        .require(
            ReadIncidents,
            "/atlas/releases/{a}/diff/{b}",
            get(diff_handler),
        )
        .require(
            ReadIncidents,
            "/api/v1/atlas/releases/{a}/diff/{b}",
            get(diff_api_handler),
        )
}

async fn load(state: &AppState, version: &str, field: &str) -> Result<Release, AppError> {
    let shown: String = version.chars().take(40).collect();
    if version.is_empty() || version.len() > 40 {
        return Err(AppError::bad_request(
            field,
            format!("{field}: name a stored release"),
        ));
    }
    crate::service::releases::load(&state.store, version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("ATLAS release “{shown}”")))
}

async fn compute(
    state: &AppState,
    a: &str,
    b: &str,
) -> Result<(Release, Release, ReleaseDiff, Impact), AppError> {
    let old = load(state, a, "from").await?;
    let new = load(state, b, "to").await?;
    let table = upgrade::successor_table(&state.store).await?;
    let d = diff(&old, &new, &table);
    let impact = upgrade::diff_impact(&state.store, &old.version, &new).await?;
    Ok((old, new, d, impact))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CompareForm {
    from: String,
    to: String,
}

/// The GET form of the releases page: on to the diff's own address.
async fn compare_handler(RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let q: CompareForm = parse_query(raw.as_deref())?;
    let mut missing = Vec::new();
    if q.from.trim().is_empty() {
        missing.push("from");
    }
    if q.to.trim().is_empty() {
        missing.push("to");
    }
    if !missing.is_empty() {
        return Err(AppError::bad_request(
            missing.join(", "),
            format!("{}: choose two releases to compare", missing.join(", ")),
        ));
    }
    let path = |s: &str| {
        s.trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .take(40)
            .collect::<String>()
    };
    Ok(see_other(&format!(
        "/atlas/releases/{}/diff/{}",
        path(&q.from),
        path(&q.to)
    )))
}

#[derive(serde::Serialize)]
struct DiffJson {
    #[serde(flatten)]
    diff: ReleaseDiff,
    incidents: Impact,
}

async fn diff_api_handler(
    State(state): State<AppState>,
    Path((a, b)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (_, _, diff, incidents) = compute(&state, &a, &b).await?;
    Ok(Json(DiffJson { diff, incidents }).into_response())
}

/// A tactic, technique or mitigation by ID and name.
struct Item {
    id: String,
    name: String,
    href: String,
}

struct RenamedRow {
    item: Item,
    old_name: String,
}

struct RemovedRow {
    item: Item,
    successor: Option<Item>,
}

struct RetacticedRow {
    item: Item,
    old_tactics: Vec<Item>,
    new_tactics: Vec<Item>,
}

struct Section {
    title: &'static str,
    added: Vec<Item>,
    removed: Vec<RemovedRow>,
    renamed: Vec<RenamedRow>,
    retacticed: Vec<RetacticedRow>,
}

impl Section {
    fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.renamed.is_empty()
            && self.retacticed.is_empty()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "atlas/diff.html")]
struct DiffPage {
    from: String,
    to: String,
    sections: Vec<Section>,
    impact: Impact,
    json_href: String,
}

fn item(kind: &str, id: &str, name: &str) -> Item {
    Item {
        id: id.to_string(),
        name: name.to_string(),
        href: format!("/{kind}/{id}"),
    }
}

fn tactic_items(release: &Release, ids: &[String]) -> Vec<Item> {
    ids.iter()
        .map(|id| {
            let name = release.tactic(id).map_or(id.as_str(), |t| t.name.as_str());
            item("tactics", id, name)
        })
        .collect()
}

impl DiffPage {
    fn build(old: &Release, new: &Release, d: ReleaseDiff, impact: Impact) -> Self {
        let simple = |title: &'static str, kind: &str, c: &crate::atlas::diff::Changes| Section {
            title,
            added: c.added.iter().map(|n| item(kind, &n.id, &n.name)).collect(),
            removed: c
                .removed
                .iter()
                .map(|n| RemovedRow {
                    item: item(kind, &n.id, &n.name),
                    successor: None,
                })
                .collect(),
            renamed: c
                .renamed
                .iter()
                .map(|r| RenamedRow {
                    item: item(kind, &r.id, &r.new_name),
                    old_name: r.old_name.clone(),
                })
                .collect(),
            retacticed: Vec::new(),
        };
        let tactics = simple("Tactics", "tactics", &d.tactics);
        let mitigations = simple("Mitigations", "mitigations", &d.mitigations);
        let t = &d.techniques;
        let techniques = Section {
            title: "Techniques",
            added: t
                .added
                .iter()
                .map(|n| item("techniques", &n.id, &n.name))
                .collect(),
            removed: t
                .removed
                .iter()
                .map(|r| RemovedRow {
                    item: item("techniques", &r.id, &r.name),
                    successor: r.successor.as_deref().map(|s| {
                        let name = new
                            .technique(s)
                            .map(|x| new.display_name(x))
                            .unwrap_or_default();
                        item("techniques", s, &name)
                    }),
                })
                .collect(),
            renamed: t
                .renamed
                .iter()
                .map(|r| RenamedRow {
                    item: item("techniques", &r.id, &r.new_name),
                    old_name: r.old_name.clone(),
                })
                .collect(),
            retacticed: t
                .retacticed
                .iter()
                .map(|r| RetacticedRow {
                    item: item("techniques", &r.id, &r.name),
                    old_tactics: tactic_items(old, &r.old_tactics),
                    new_tactics: tactic_items(new, &r.new_tactics),
                })
                .collect(),
        };
        DiffPage {
            json_href: format!("/api/v1/atlas/releases/{}/diff/{}", d.from, d.to),
            from: d.from,
            to: d.to,
            sections: vec![tactics, techniques, mitigations],
            impact,
        }
    }
}

async fn diff_handler(
    State(state): State<AppState>,
    Path((a, b)): Path<(String, String)>,
) -> Result<DiffPage, AppError> {
    let (old, new, d, impact) = compute(&state, &a, &b).await?;
    Ok(DiffPage::build(&old, &new, d, impact))
}
