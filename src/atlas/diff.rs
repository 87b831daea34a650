//! Comparing two releases, by ATLAS ID: what was added, removed, renamed and
//! re-tacticed among tactics, techniques and mitigations. A pure function of
//! two [`Release`]s, whatever format they were read from.

use std::collections::HashSet;

use serde::Serialize;

use super::model::Release;
use super::successors::SuccessorTable;

/// An object by ID and (display) name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// A removed technique, with its successor when the table names one that the
/// newer release has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Removed {
    pub id: String,
    pub name: String,
    pub successor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Renamed {
    pub id: String,
    pub old_name: String,
    pub new_name: String,
}

/// A technique whose tactics changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Retacticed {
    pub id: String,
    pub name: String,
    pub old_tactics: Vec<String>,
    pub new_tactics: Vec<String>,
}

/// Tactics and mitigations: added, removed, renamed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Changes {
    pub added: Vec<Named>,
    pub removed: Vec<Named>,
    pub renamed: Vec<Renamed>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TechniqueChanges {
    pub added: Vec<Named>,
    pub removed: Vec<Removed>,
    pub renamed: Vec<Renamed>,
    pub retacticed: Vec<Retacticed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReleaseDiff {
    pub from: String,
    pub to: String,
    pub tactics: Changes,
    pub techniques: TechniqueChanges,
    pub mitigations: Changes,
}

impl ReleaseDiff {
    pub fn is_empty(&self) -> bool {
        let c = |c: &Changes| c.added.is_empty() && c.removed.is_empty() && c.renamed.is_empty();
        c(&self.tactics)
            && c(&self.mitigations)
            && self.techniques.added.is_empty()
            && self.techniques.removed.is_empty()
            && self.techniques.renamed.is_empty()
            && self.techniques.retacticed.is_empty()
    }
}

/// Added / removed / renamed of one kind of object, in the order of the
/// release each side comes from.
fn changes<'a, T: 'a>(
    old: &'a [T],
    new: &'a [T],
    id: impl Fn(&T) -> &str,
    name: impl Fn(&T) -> String,
) -> Changes {
    let old_ids: HashSet<&str> = old.iter().map(&id).collect();
    let new_ids: HashSet<&str> = new.iter().map(&id).collect();
    let named = |t: &T| Named {
        id: id(t).to_string(),
        name: name(t),
    };
    Changes {
        added: new
            .iter()
            .filter(|t| !old_ids.contains(id(t)))
            .map(named)
            .collect(),
        removed: old
            .iter()
            .filter(|t| !new_ids.contains(id(t)))
            .map(named)
            .collect(),
        renamed: old
            .iter()
            .filter_map(|o| {
                let n = new.iter().find(|n| id(n) == id(o))?;
                (name(o) != name(n)).then(|| Renamed {
                    id: id(o).to_string(),
                    old_name: name(o),
                    new_name: name(n),
                })
            })
            .collect(),
    }
}

/// What changed from `old` to `new`. Technique names are display names
/// ("Parent: Child"), so a renamed parent shows on its sub-techniques too.
pub fn diff(old: &Release, new: &Release, successors: &SuccessorTable) -> ReleaseDiff {
    let tactics = changes(&old.tactics, &new.tactics, |t| &t.id, |t| t.name.clone());
    let mitigations = changes(
        &old.mitigations,
        &new.mitigations,
        |m| &m.id,
        |m| m.name.clone(),
    );
    let old_ids: HashSet<&str> = old.techniques.iter().map(|t| t.id.as_str()).collect();
    let added = new
        .techniques
        .iter()
        .filter(|t| !old_ids.contains(t.id.as_str()))
        .map(|t| Named {
            id: t.id.clone(),
            name: new.display_name(t),
        })
        .collect();
    let removed = old
        .techniques
        .iter()
        .filter(|t| new.technique(&t.id).is_none())
        .map(|t| Removed {
            id: t.id.clone(),
            name: old.display_name(t),
            successor: successors.resolve(&t.id, |s| new.technique(s).is_some()),
        })
        .collect();
    let mut renamed = Vec::new();
    let mut retacticed = Vec::new();
    for o in &old.techniques {
        let Some(n) = new.technique(&o.id) else {
            continue;
        };
        let (was, is) = (old.display_name(o), new.display_name(n));
        if was != is {
            renamed.push(Renamed {
                id: o.id.clone(),
                old_name: was,
                new_name: is.clone(),
            });
        }
        let a: HashSet<&String> = o.tactics.iter().collect();
        let b: HashSet<&String> = n.tactics.iter().collect();
        if a != b {
            retacticed.push(Retacticed {
                id: o.id.clone(),
                name: is,
                old_tactics: o.tactics.clone(),
                new_tactics: n.tactics.clone(),
            });
        }
    }
    ReleaseDiff {
        from: old.version.clone(),
        to: new.version.clone(),
        tactics,
        techniques: TechniqueChanges {
            added,
            removed,
            renamed,
            retacticed,
        },
        mitigations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::model::{Mitigation, SourceFormat, Tactic, Technique};
    use crate::atlas::successors::Successor;

    fn tactic(id: &str, name: &str) -> Tactic {
        Tactic::named(id, name)
    }

    fn technique(id: &str, name: &str, parent: Option<&str>, tactics: &[&str]) -> Technique {
        Technique {
            id: id.into(),
            name: name.into(),
            description: None,
            parent: parent.map(str::to_string),
            tactics: tactics.iter().map(|t| t.to_string()).collect(),
            maturity: None,
            platforms: Vec::new(),
            attack_ref: None,
        }
    }

    fn mitigation(id: &str, name: &str) -> Mitigation {
        Mitigation {
            id: id.into(),
            name: name.into(),
            description: None,
            techniques: Vec::new(),
        }
    }

    fn release(
        version: &str,
        tactics: Vec<Tactic>,
        techniques: Vec<Technique>,
        mitigations: Vec<Mitigation>,
    ) -> Release {
        Release {
            version: version.into(),
            name: "test".into(),
            format: SourceFormat::Legacy,
            tactics,
            techniques,
            mitigations,
            case_studies: Vec::new(),
        }
    }

    #[test]
    fn every_kind_of_change_is_listed() {
        let old = release(
            "1.0.0",
            vec![
                tactic("AML.TA0001", "ML Attack Staging"),
                tactic("AML.TA0002", "Recon"),
            ],
            vec![
                technique("AML.T0001", "Old Name", None, &["AML.TA0002"]),
                technique("AML.T0002", "Parent", None, &["AML.TA0001"]),
                technique("AML.T0002.000", "Child", Some("AML.T0002"), &["AML.TA0001"]),
                technique("AML.T0019", "Retired", None, &["AML.TA0002"]),
                technique("AML.T0020", "Gone", None, &["AML.TA0002"]),
                technique("AML.T0021", "Moves", None, &["AML.TA0002"]),
            ],
            vec![
                mitigation("AML.M0001", "Old M"),
                mitigation("AML.M0002", "Dropped"),
            ],
        );
        let new = release(
            "2.0.0",
            vec![
                tactic("AML.TA0001", "AI Attack Staging"),
                tactic("AML.TA0002", "Recon"),
                tactic("AML.TA0003", "New"),
            ],
            vec![
                technique("AML.T0001", "New Name", None, &["AML.TA0002"]),
                technique("AML.T0002", "Parent 2", None, &["AML.TA0001"]),
                technique("AML.T0002.000", "Child", Some("AML.T0002"), &["AML.TA0001"]),
                technique("AML.T0021", "Moves", None, &["AML.TA0003", "AML.TA0002"]),
                technique("AML.T0115", "Successor", None, &["AML.TA0002"]),
                technique("AML.T0115.000", "Sub", Some("AML.T0115"), &["AML.TA0002"]),
            ],
            vec![
                mitigation("AML.M0001", "New M"),
                mitigation("AML.M0003", "Added"),
            ],
        );
        let successors = SuccessorTable::new(
            &[Successor {
                technique: "AML.T0019".into(),
                successor: Some("AML.T0115.000".into()),
                release: "2.0.0".into(),
                note: String::new(),
            }],
            &[],
        );
        let d = diff(&old, &new, &successors);
        assert_eq!((d.from.as_str(), d.to.as_str()), ("1.0.0", "2.0.0"));
        assert_eq!(
            d.tactics.added,
            [Named {
                id: "AML.TA0003".into(),
                name: "New".into()
            }]
        );
        assert!(d.tactics.removed.is_empty());
        assert_eq!(
            d.tactics.renamed,
            [Renamed {
                id: "AML.TA0001".into(),
                old_name: "ML Attack Staging".into(),
                new_name: "AI Attack Staging".into()
            }]
        );
        let ids = |v: &[Named]| v.iter().map(|n| n.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&d.techniques.added), ["AML.T0115", "AML.T0115.000"]);
        assert_eq!(d.techniques.added[1].name, "Successor: Sub");
        assert_eq!(
            d.techniques.removed,
            [
                Removed {
                    id: "AML.T0019".into(),
                    name: "Retired".into(),
                    successor: Some("AML.T0115.000".into())
                },
                Removed {
                    id: "AML.T0020".into(),
                    name: "Gone".into(),
                    successor: None
                },
            ]
        );
        let renamed: Vec<(&str, &str, &str)> = d
            .techniques
            .renamed
            .iter()
            .map(|r| (r.id.as_str(), r.old_name.as_str(), r.new_name.as_str()))
            .collect();
        assert_eq!(
            renamed,
            [
                ("AML.T0001", "Old Name", "New Name"),
                ("AML.T0002", "Parent", "Parent 2"),
                ("AML.T0002.000", "Parent: Child", "Parent 2: Child"),
            ]
        );
        assert_eq!(d.techniques.retacticed.len(), 1);
        assert_eq!(d.techniques.retacticed[0].id, "AML.T0021");
        assert_eq!(
            d.techniques.retacticed[0].new_tactics,
            ["AML.TA0003", "AML.TA0002"]
        );
        assert_eq!(ids(&d.mitigations.added), ["AML.M0003"]);
        assert_eq!(ids(&d.mitigations.removed), ["AML.M0002"]);
        assert_eq!(d.mitigations.renamed[0].new_name, "New M");
        assert!(!d.is_empty());
    }

    #[test]
    fn a_release_against_itself_has_no_changes() {
        let r = release(
            "1.0.0",
            vec![tactic("AML.TA0001", "A")],
            vec![technique("AML.T0001", "T", None, &["AML.TA0001"])],
            vec![mitigation("AML.M0001", "M")],
        );
        assert!(diff(&r, &r, &SuccessorTable::default()).is_empty());
    }

    #[test]
    fn reordering_tactics_of_a_technique_is_not_a_change() {
        let a = release(
            "1",
            vec![tactic("AML.TA0001", "A"), tactic("AML.TA0002", "B")],
            vec![technique(
                "AML.T0001",
                "T",
                None,
                &["AML.TA0001", "AML.TA0002"],
            )],
            vec![],
        );
        let mut b = a.clone();
        b.version = "2".into();
        b.techniques[0].tactics.reverse();
        assert!(diff(&a, &b, &SuccessorTable::default()).is_empty());
    }
}
