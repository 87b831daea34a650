//! Comparing two stored releases (`/atlas/releases/{a}/diff/{b}`): what was
//! added, removed, renamed and re-tacticed, and what an upgrade would change
//! for the incidents mapped to the older one.

use crate::atlas::Release;
use crate::atlas::diff::ReleaseDiff;
use crate::service::upgrade::Impact;

/// A tactic, technique or mitigation by ID and name.
pub struct DiffItemView {
    pub id: String,
    pub name: String,
    pub href: String,
}

pub struct RenamedRowView {
    pub item: DiffItemView,
    pub old_name: String,
}

pub struct RemovedRowView {
    pub item: DiffItemView,
    pub successor: Option<DiffItemView>,
}

pub struct RetacticedRowView {
    pub item: DiffItemView,
    pub old_tactics: Vec<DiffItemView>,
    pub new_tactics: Vec<DiffItemView>,
}

pub struct DiffSectionView {
    pub title: &'static str,
    pub added: Vec<DiffItemView>,
    pub removed: Vec<RemovedRowView>,
    pub renamed: Vec<RenamedRowView>,
    pub retacticed: Vec<RetacticedRowView>,
}

impl DiffSectionView {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.renamed.is_empty()
            && self.retacticed.is_empty()
    }
}

pub struct ReleaseDiffView {
    pub from: String,
    pub to: String,
    pub sections: Vec<DiffSectionView>,
    pub impact: Impact,
    pub json_href: String,
}

fn item(kind: &str, id: &str, name: &str) -> DiffItemView {
    DiffItemView {
        id: id.to_string(),
        name: name.to_string(),
        href: format!("/{kind}/{id}"),
    }
}

fn tactic_items(release: &Release, ids: &[String]) -> Vec<DiffItemView> {
    ids.iter()
        .map(|id| {
            let name = release.tactic(id).map_or(id.as_str(), |t| t.name.as_str());
            item("tactics", id, name)
        })
        .collect()
}

impl ReleaseDiffView {
    pub fn build(old: &Release, new: &Release, d: ReleaseDiff, impact: Impact) -> Self {
        let simple =
            |title: &'static str, kind: &str, c: &crate::atlas::diff::Changes| DiffSectionView {
                title,
                added: c.added.iter().map(|n| item(kind, &n.id, &n.name)).collect(),
                removed: c
                    .removed
                    .iter()
                    .map(|n| RemovedRowView {
                        item: item(kind, &n.id, &n.name),
                        successor: None,
                    })
                    .collect(),
                renamed: c
                    .renamed
                    .iter()
                    .map(|r| RenamedRowView {
                        item: item(kind, &r.id, &r.new_name),
                        old_name: r.old_name.clone(),
                    })
                    .collect(),
                retacticed: Vec::new(),
            };
        let tactics = simple("Tactics", "tactics", &d.tactics);
        let mitigations = simple("Mitigations", "mitigations", &d.mitigations);
        let t = &d.techniques;
        let techniques = DiffSectionView {
            title: "Techniques",
            added: t
                .added
                .iter()
                .map(|n| item("techniques", &n.id, &n.name))
                .collect(),
            removed: t
                .removed
                .iter()
                .map(|r| RemovedRowView {
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
                .map(|r| RenamedRowView {
                    item: item("techniques", &r.id, &r.new_name),
                    old_name: r.old_name.clone(),
                })
                .collect(),
            retacticed: t
                .retacticed
                .iter()
                .map(|r| RetacticedRowView {
                    item: item("techniques", &r.id, &r.name),
                    old_tactics: tactic_items(old, &r.old_tactics),
                    new_tactics: tactic_items(new, &r.new_tactics),
                })
                .collect(),
        };
        ReleaseDiffView {
            json_href: format!("/api/v1/atlas/releases/{}/diff/{}", d.from, d.to),
            from: d.from,
            to: d.to,
            sections: vec![tactics, techniques, mitigations],
            impact,
        }
    }
}
