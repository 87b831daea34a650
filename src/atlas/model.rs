//! The one in-memory model of an ATLAS release that every importer produces and
//! every consumer (store, catalog, web) reads. Keyed by ATLAS IDs, never by names.

use serde::{Deserialize, Serialize};

/// Which file format a release was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceFormat {
    /// The single-file `dist/ATLAS.yaml` of releases 4.x to 5.6.
    Legacy,
    /// format-version 6.0.0 (`dist/v6/ATLAS-<YYYY.MM>.yaml`).
    V6,
    /// A STIX 2.1 bundle in the ATT&CK data model (`stix-atlas.json`).
    Stix,
    /// The compact catalog embedded in the binary (facts only, no descriptions).
    Catalog,
}

impl SourceFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Legacy => "legacy",
            SourceFormat::V6 => "v6",
            SourceFormat::Stix => "stix",
            SourceFormat::Catalog => "catalog",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "legacy" => Some(SourceFormat::Legacy),
            "v6" => Some(SourceFormat::V6),
            "stix" => Some(SourceFormat::Stix),
            "catalog" => Some(SourceFormat::Catalog),
            _ => None,
        }
    }
}

/// A whole ATLAS release. Vectors keep the order of the source file; `tactics`
/// is in matrix column order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// Content version, e.g. `5.6.0` or `2026.09`.
    pub version: String,
    pub name: String,
    pub format: SourceFormat,
    pub tactics: Vec<Tactic>,
    pub techniques: Vec<Technique>,
    pub mitigations: Vec<Mitigation>,
    pub case_studies: Vec<CaseStudy>,
}

/// A reference into MITRE ATT&CK (`T1596`, with its URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackRef {
    pub id: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tactic {
    /// `AML.TA0000` form.
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub attack_ref: Option<AttackRef>,
}

impl Tactic {
    /// A tactic known only by ID and name (no description, no ATT&CK link).
    pub fn named(id: &str, name: &str) -> Tactic {
        Tactic {
            id: id.to_string(),
            name: name.to_string(),
            description: None,
            attack_ref: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Technique {
    /// `AML.T0000` or `AML.T0000.000` form.
    pub id: String,
    /// The technique's own name; for a sub-technique only its own part
    /// ("Indirect"), see [`Release::display_name`] for "Parent: Child".
    pub name: String,
    pub description: Option<String>,
    /// Parent technique ID for a sub-technique.
    pub parent: Option<String>,
    /// Tactics this technique serves, in the order the source gives them. A
    /// sub-technique whose source lists none inherits its parent's.
    pub tactics: Vec<String>,
    /// `feasible`, `demonstrated`, `realized`, where the source says.
    pub maturity: Option<String>,
    pub attack_ref: Option<AttackRef>,
    /// Platforms the technique applies to, as upstream names them
    /// (`Predictive AI`, `Generative AI`, `Agentic AI`, `Enterprise`); empty
    /// where the source does not say (releases before format 6.0.0).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mitigation {
    /// `AML.M0000` form.
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Techniques this mitigation addresses, with how (where the source says).
    pub techniques: Vec<MitigationUse>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MitigationUse {
    pub technique: String,
    pub usage: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseStudy {
    /// `AML.CS0000` form.
    pub id: String,
    pub name: String,
    pub summary: Option<String>,
    /// ISO date as written (`2020-01-01`).
    pub incident_date: Option<String>,
    /// `YEAR`, `MONTH` or `DATE` as written upstream.
    pub incident_date_granularity: Option<String>,
    pub target: Option<String>,
    pub actor: Option<String>,
    pub reporter: Option<String>,
    /// `incident` or `exercise`.
    pub case_study_type: Option<String>,
    pub references: Vec<Reference>,
    /// The attack, step by step, in story order.
    pub procedure: Vec<ProcedureStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub title: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureStep {
    pub tactic: String,
    pub technique: String,
    pub description: Option<String>,
}

/// The platforms upstream names in format 6.0.0, in the order filters offer them.
pub const KNOWN_PLATFORMS: &[&str] =
    &["Predictive AI", "Generative AI", "Agentic AI", "Enterprise"];

/// The URL form of a platform name: `Generative AI` -> `generative-ai`.
pub fn platform_slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for word in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    slug
}

impl Technique {
    /// Whether the technique applies to the platform with this slug.
    pub fn on_platform(&self, slug: &str) -> bool {
        self.platforms.iter().any(|p| platform_slug(p) == slug)
    }
}

impl Release {
    pub fn tactic(&self, id: &str) -> Option<&Tactic> {
        self.tactics.iter().find(|t| t.id == id)
    }

    pub fn technique(&self, id: &str) -> Option<&Technique> {
        self.techniques.iter().find(|t| t.id == id)
    }

    /// "Parent: Child" for a sub-technique, the plain name otherwise.
    pub fn display_name(&self, technique: &Technique) -> String {
        match technique.parent.as_deref().and_then(|p| self.technique(p)) {
            Some(parent) => format!("{}: {}", parent.name, technique.name),
            None => technique.name.clone(),
        }
    }
}
