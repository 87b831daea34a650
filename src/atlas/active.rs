//! The active release held in memory with lookup maps, so that page handlers
//! never query SQL for knowledge-base facts. Rebuilt after every import.

use std::collections::HashMap;

use super::model::{Mitigation, Release, Tactic, Technique};

/// What the store knows about one stored release (a row of `atlas_releases`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ReleaseInfo {
    pub version: String,
    pub name: String,
    /// `legacy`, `v6`, `stix` or `catalog`.
    pub format: String,
    /// Where it came from: a file path, a URL, or `embedded catalog`.
    pub source: String,
    pub imported_at: String,
    pub is_active: bool,
    /// False for the embedded catalog, which carries facts but no descriptions or case studies.
    pub has_descriptions: bool,
    pub tactic_count: i64,
    pub technique_count: i64,
    pub mitigation_count: i64,
    pub case_study_count: i64,
}

/// The active release plus indexes by ID.
#[derive(Debug)]
pub struct ActiveAtlas {
    pub info: ReleaseInfo,
    pub release: Release,
    tactic_index: HashMap<String, usize>,
    technique_index: HashMap<String, usize>,
    mitigation_index: HashMap<String, usize>,
    /// Parent technique ID -> its sub-technique IDs in source order.
    children: HashMap<String, Vec<String>>,
    /// Technique ID -> mitigation IDs that address it.
    mitigations_by_technique: HashMap<String, Vec<String>>,
}

impl ActiveAtlas {
    pub fn new(info: ReleaseInfo, release: Release) -> Self {
        let tactic_index = release
            .tactics
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        let technique_index = release
            .techniques
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        let mitigation_index = release
            .mitigations
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.clone(), i))
            .collect();
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for t in &release.techniques {
            if let Some(parent) = &t.parent {
                children
                    .entry(parent.clone())
                    .or_default()
                    .push(t.id.clone());
            }
        }
        let mut mitigations_by_technique: HashMap<String, Vec<String>> = HashMap::new();
        for m in &release.mitigations {
            for u in &m.techniques {
                let list = mitigations_by_technique
                    .entry(u.technique.clone())
                    .or_default();
                if !list.contains(&m.id) {
                    list.push(m.id.clone());
                }
            }
        }
        ActiveAtlas {
            info,
            release,
            tactic_index,
            technique_index,
            mitigation_index,
            children,
            mitigations_by_technique,
        }
    }

    pub fn version(&self) -> &str {
        &self.info.version
    }

    pub fn tactics(&self) -> &[Tactic] {
        &self.release.tactics
    }

    pub fn tactic(&self, id: &str) -> Option<&Tactic> {
        self.tactic_index.get(id).map(|&i| &self.release.tactics[i])
    }

    /// Column position of a tactic in the matrix.
    pub fn tactic_position(&self, id: &str) -> Option<usize> {
        self.tactic_index.get(id).copied()
    }

    pub fn technique(&self, id: &str) -> Option<&Technique> {
        self.technique_index
            .get(id)
            .map(|&i| &self.release.techniques[i])
    }

    pub fn mitigation(&self, id: &str) -> Option<&Mitigation> {
        self.mitigation_index
            .get(id)
            .map(|&i| &self.release.mitigations[i])
    }

    /// Sub-techniques of a parent, in source order.
    pub fn subtechniques(&self, parent_id: &str) -> impl Iterator<Item = &Technique> {
        self.children
            .get(parent_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.technique(id))
    }

    /// Top-level techniques serving a tactic, in source order.
    pub fn techniques_for_tactic<'a>(
        &'a self,
        tactic_id: &'a str,
    ) -> impl Iterator<Item = &'a Technique> + 'a {
        self.release
            .techniques
            .iter()
            .filter(move |t| t.parent.is_none() && t.tactics.iter().any(|x| x == tactic_id))
    }

    /// Mitigations that address a technique.
    pub fn mitigations_for(&self, technique_id: &str) -> impl Iterator<Item = &Mitigation> {
        self.mitigations_by_technique
            .get(technique_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.mitigation(id))
    }

    /// "Parent: Child" for a sub-technique, the plain name otherwise.
    pub fn display_name(&self, technique: &Technique) -> String {
        match technique.parent.as_deref().and_then(|p| self.technique(p)) {
            Some(parent) => format!("{}: {}", parent.name, technique.name),
            None => technique.name.clone(),
        }
    }

    /// The release cut down to the techniques of any of these platforms
    /// (slugs such as `generative-ai`): a technique stays when it lists one
    /// of them, a parent also when one of its sub-techniques stays, so the
    /// sub-technique keeps its place under it. Tactics, mitigations and case
    /// studies stay as they are. No slugs: the whole release.
    pub fn for_platforms(&self, slugs: &[String]) -> ActiveAtlas {
        if slugs.is_empty() {
            return ActiveAtlas::new(self.info.clone(), self.release.clone());
        }
        let on = |t: &Technique| slugs.iter().any(|s| t.on_platform(s));
        let mut keep: std::collections::HashSet<&str> = self
            .release
            .techniques
            .iter()
            .filter(|t| on(t))
            .map(|t| t.id.as_str())
            .collect();
        let parents: Vec<&str> = self
            .release
            .techniques
            .iter()
            .filter(|t| keep.contains(t.id.as_str()))
            .filter_map(|t| t.parent.as_deref())
            .collect();
        keep.extend(parents);
        let mut release = self.release.clone();
        release.techniques.retain(|t| keep.contains(t.id.as_str()));
        ActiveAtlas::new(self.info.clone(), release)
    }

    /// Platforms the release's techniques name, in the order of
    /// [`KNOWN_PLATFORMS`](super::model::KNOWN_PLATFORMS) and then as first met.
    pub fn platforms(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for t in &self.release.techniques {
            for p in &t.platforms {
                if !seen.contains(p) {
                    seen.push(p.clone());
                }
            }
        }
        let rank = |p: &String| {
            super::model::KNOWN_PLATFORMS
                .iter()
                .position(|k| k == p)
                .unwrap_or(usize::MAX)
        };
        seen.sort_by_key(rank);
        seen
    }

    /// The technique a person typed: an ID in any spelling (`t0051.001`,
    /// `aml.t0051`), the label the picker shows ("Name (AML.T0051)"), the
    /// current name or the "Parent: Child" name (case and spacing ignored).
    pub fn find_technique(&self, text: &str) -> Option<&Technique> {
        let typed = text.trim();
        if typed.is_empty() {
            return None;
        }
        if let Some(t) = self.technique(&normalize_technique_id(typed)) {
            return Some(t);
        }
        // "Name (AML.T0051)": the ID in the trailing brackets.
        if let Some(inner) = typed
            .strip_suffix(')')
            .and_then(|rest| rest.rsplit_once('(').map(|(_, id)| id))
            && let Some(t) = self.technique(&normalize_technique_id(inner))
        {
            return Some(t);
        }
        let wanted = fold_name(typed);
        self.release
            .techniques
            .iter()
            .find(|t| fold_name(&self.display_name(t)) == wanted)
            .or_else(|| {
                // A sub-technique's own name alone, when no other technique shares it.
                let mut own = self
                    .release
                    .techniques
                    .iter()
                    .filter(|t| fold_name(&t.name) == wanted);
                match (own.next(), own.next()) {
                    (Some(t), None) => Some(t),
                    _ => None,
                }
            })
    }

    /// Whether `technique_id` serves `tactic_id` in this release (sub-techniques
    /// through their own list, which importers fill from the parent when absent).
    pub fn serves(&self, technique_id: &str, tactic_id: &str) -> bool {
        self.technique(technique_id)
            .is_some_and(|t| t.tactics.iter().any(|x| x == tactic_id))
    }
}

/// `t0051.001`, `AML.t0051` → `AML.T0051.001`, `AML.T0051`; anything else unchanged but trimmed.
pub fn normalize_technique_id(text: &str) -> String {
    let upper = text.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("AML.").unwrap_or(&upper);
    if bare.starts_with('T') && !bare.starts_with("TA") {
        format!("AML.{bare}")
    } else {
        text.trim().to_string()
    }
}

/// A name for comparison: lower case, runs of spaces as one.
pub fn fold_name(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
