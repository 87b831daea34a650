//! The compact catalog embedded in the binary, so a fresh install shows the real
//! matrix offline. It holds only facts (IDs, names, tactic order, tactics served,
//! parents, maturity, ATT&CK references, mitigations and what they mitigate),
//! never upstream description text. It is produced by [`export`] from a real
//! release (`atlasview atlas export-catalog`); a test keeps the two in step.

use serde::{Deserialize, Serialize};

use super::model::{
    AttackRef, Mitigation, MitigationUse, Release, SourceFormat, Tactic, Technique,
};

/// `source` recorded for the release seeded from the embedded catalog.
pub const EMBEDDED_SOURCE: &str = "embedded catalog";

/// The catalog file compiled into the binary.
pub const EMBEDDED_JSON: &str = include_str!("../../catalog/atlas-catalog.json");

/// Catalog file layout version.
const CATALOG_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub catalog_format: u32,
    pub version: String,
    pub name: String,
    pub tactics: Vec<CatalogTactic>,
    pub techniques: Vec<CatalogTechnique>,
    pub mitigations: Vec<CatalogMitigation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogTactic {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack: Option<AttackRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogTechnique {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub tactics: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maturity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack: Option<AttackRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogMitigation {
    pub id: String,
    pub name: String,
    pub techniques: Vec<String>,
}

/// Facts of a release, without descriptions or case studies.
pub fn export(release: &Release) -> Catalog {
    Catalog {
        catalog_format: CATALOG_FORMAT,
        version: release.version.clone(),
        name: release.name.clone(),
        tactics: release
            .tactics
            .iter()
            .map(|t| CatalogTactic {
                id: t.id.clone(),
                name: t.name.clone(),
                attack: t.attack_ref.clone(),
            })
            .collect(),
        techniques: release
            .techniques
            .iter()
            .map(|t| CatalogTechnique {
                id: t.id.clone(),
                name: t.name.clone(),
                parent: t.parent.clone(),
                tactics: t.tactics.clone(),
                maturity: t.maturity.clone(),
                attack: t.attack_ref.clone(),
                platforms: t.platforms.clone(),
            })
            .collect(),
        mitigations: release
            .mitigations
            .iter()
            .map(|m| CatalogMitigation {
                id: m.id.clone(),
                name: m.name.clone(),
                techniques: m.techniques.iter().map(|u| u.technique.clone()).collect(),
            })
            .collect(),
    }
}

/// The catalog file's text: pretty JSON so that diffs between releases read well.
pub fn to_json(catalog: &Catalog) -> String {
    let mut text = serde_json::to_string_pretty(catalog).unwrap_or_default();
    text.push('\n');
    text
}

impl Catalog {
    pub fn into_release(self) -> Release {
        Release {
            version: self.version,
            name: self.name,
            format: SourceFormat::Catalog,
            tactics: self
                .tactics
                .into_iter()
                .map(|t| Tactic {
                    id: t.id,
                    name: t.name,
                    description: None,
                    attack_ref: t.attack,
                })
                .collect(),
            techniques: self
                .techniques
                .into_iter()
                .map(|t| Technique {
                    id: t.id,
                    name: t.name,
                    description: None,
                    parent: t.parent,
                    tactics: t.tactics,
                    maturity: t.maturity,
                    attack_ref: t.attack,
                    platforms: t.platforms,
                })
                .collect(),
            mitigations: self
                .mitigations
                .into_iter()
                .map(|m| Mitigation {
                    id: m.id,
                    name: m.name,
                    description: None,
                    techniques: m
                        .techniques
                        .into_iter()
                        .map(|technique| MitigationUse {
                            technique,
                            usage: None,
                        })
                        .collect(),
                })
                .collect(),
            case_studies: Vec::new(),
        }
    }
}

/// The embedded catalog as a release. The file is part of the build and checked
/// by tests, so a parse failure is a build defect.
pub fn embedded_catalog() -> Catalog {
    serde_json::from_str(EMBEDDED_JSON)
        .expect("the embedded ATLAS catalog is valid JSON (checked by tests)")
}

pub fn embedded_release() -> Release {
    embedded_catalog().into_release()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_is_complete_and_consistent() {
        let release = embedded_release();
        assert_eq!(release.tactics.len(), 16);
        assert_eq!(release.techniques.len(), 170);
        assert_eq!(
            release
                .techniques
                .iter()
                .filter(|t| t.parent.is_some())
                .count(),
            69
        );
        assert_eq!(release.mitigations.len(), 35);
        for t in &release.techniques {
            assert!(!t.tactics.is_empty(), "{} serves no tactic", t.id);
            for tactic in &t.tactics {
                assert!(
                    release.tactic(tactic).is_some(),
                    "{} names unknown tactic {tactic}",
                    t.id
                );
            }
        }
    }
}
