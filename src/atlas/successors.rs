//! The successor table: which technique took over from one MITRE retired.
//! A small file shipped inside the binary (`catalog/successors.json`), which
//! the admin can override entry by entry (overrides are stored in the
//! database and passed in here). Keyed by ATLAS IDs.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

/// The shipped table, compiled into the binary.
pub const EMBEDDED_JSON: &str = include_str!("../../catalog/successors.json");

/// One entry as the file (or an override) writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Successor {
    /// The retired technique.
    pub technique: String,
    /// Its successor; `None` in an override means "no successor" (it hides
    /// the shipped entry).
    pub successor: Option<String>,
    /// The first release without the old ID, where known.
    #[serde(default)]
    pub release: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
struct File {
    successors: Vec<Successor>,
}

/// Where an effective entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Shipped,
    Override,
}

impl Origin {
    pub fn label(self) -> &'static str {
        match self {
            Origin::Shipped => "shipped with atlasview",
            Origin::Override => "set by an admin",
        }
    }
}

/// An entry of the effective table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub technique: String,
    pub successor: Option<String>,
    pub release: String,
    pub note: String,
    pub origin: Origin,
    /// For an override: the shipped successor it replaces, if any.
    pub shipped: Option<String>,
}

impl Entry {
    pub fn is_override(&self) -> bool {
        self.origin == Origin::Override
    }
}

/// The effective table: the shipped entries with the admin's overrides on top.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuccessorTable {
    entries: BTreeMap<String, Entry>,
}

/// Parses a successor file; the error names the problem.
pub fn parse(json: &str) -> Result<Vec<Successor>, String> {
    let file: File = serde_json::from_str(json).map_err(|e| e.to_string())?;
    for s in &file.successors {
        if !super::ids::is_technique_id(&s.technique) {
            return Err(format!("{} is not a technique ID", s.technique));
        }
        if let Some(to) = &s.successor
            && !super::ids::is_technique_id(to)
        {
            return Err(format!(
                "successor {to} of {} is not a technique ID",
                s.technique
            ));
        }
    }
    Ok(file.successors)
}

/// The shipped entries (a unit test keeps the file well-formed).
pub fn shipped() -> Vec<Successor> {
    parse(EMBEDDED_JSON).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the embedded successor table is broken");
        Vec::new()
    })
}

impl SuccessorTable {
    /// The shipped table with `overrides` applied.
    pub fn new(shipped: &[Successor], overrides: &[Successor]) -> Self {
        let mut entries: BTreeMap<String, Entry> = shipped
            .iter()
            .map(|s| {
                (
                    s.technique.clone(),
                    Entry {
                        technique: s.technique.clone(),
                        successor: s.successor.clone(),
                        release: s.release.clone(),
                        note: s.note.clone(),
                        origin: Origin::Shipped,
                        shipped: None,
                    },
                )
            })
            .collect();
        for o in overrides {
            let shipped = entries.get(&o.technique).and_then(|e| e.successor.clone());
            entries.insert(
                o.technique.clone(),
                Entry {
                    technique: o.technique.clone(),
                    successor: o.successor.clone(),
                    release: o.release.clone(),
                    note: o.note.clone(),
                    origin: Origin::Override,
                    shipped,
                },
            );
        }
        SuccessorTable { entries }
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    pub fn get(&self, technique: &str) -> Option<&Entry> {
        self.entries.get(technique)
    }

    /// The direct successor of a technique, if the table names one.
    pub fn successor_of(&self, technique: &str) -> Option<&str> {
        self.entries
            .get(technique)
            .and_then(|e| e.successor.as_deref())
    }

    /// Follows successors from `technique` until one that `present` accepts
    /// (a technique of the target release). `None` when the chain ends, loops
    /// or leaves the table without reaching one.
    pub fn resolve(&self, technique: &str, present: impl Fn(&str) -> bool) -> Option<String> {
        let mut seen = HashSet::new();
        let mut at = technique;
        while seen.insert(at.to_string()) {
            let next = self.successor_of(at)?;
            if present(next) {
                return Some(next.to_string());
            }
            at = next;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(from: &str, to: Option<&str>) -> Successor {
        Successor {
            technique: from.into(),
            successor: to.map(str::to_string),
            release: String::new(),
            note: String::new(),
        }
    }

    #[test]
    fn the_shipped_file_is_well_formed_and_has_the_known_moves() {
        let shipped = parse(EMBEDDED_JSON).expect("catalog/successors.json parses");
        let table = SuccessorTable::new(&shipped, &[]);
        assert_eq!(table.successor_of("AML.T0019"), Some("AML.T0115.000"));
        assert_eq!(table.successor_of("AML.T0058"), Some("AML.T0115.001"));
        assert_eq!(table.successor_of("AML.T0104"), Some("AML.T0115.002"));
        assert_eq!(table.successor_of("AML.T0045"), Some("AML.T0048.004"));
        assert_eq!(
            table.get("AML.T0019").map(|e| e.release.as_str()),
            Some("2026.07")
        );
        assert!(table.entries().all(|e| e.origin == Origin::Shipped));
    }

    #[test]
    fn overrides_replace_hide_or_add_entries() {
        let shipped = [
            s("AML.T0019", Some("AML.T0115.000")),
            s("AML.T0058", Some("AML.T0115.001")),
        ];
        let table = SuccessorTable::new(
            &shipped,
            &[
                s("AML.T0019", Some("AML.T0020")),
                s("AML.T0058", None),
                s("AML.T0001", Some("AML.T0002")),
            ],
        );
        assert_eq!(table.successor_of("AML.T0019"), Some("AML.T0020"));
        assert_eq!(
            table.get("AML.T0019").and_then(|e| e.shipped.as_deref()),
            Some("AML.T0115.000")
        );
        assert_eq!(table.successor_of("AML.T0058"), None);
        assert_eq!(
            table.get("AML.T0058").map(|e| e.origin),
            Some(Origin::Override)
        );
        assert_eq!(table.successor_of("AML.T0001"), Some("AML.T0002"));
    }

    #[test]
    fn resolve_follows_chains_and_stops_on_loops() {
        let table = SuccessorTable::new(
            &[
                s("AML.T0001", Some("AML.T0002")),
                s("AML.T0002", Some("AML.T0003")),
                s("AML.T0010", Some("AML.T0011")),
                s("AML.T0011", Some("AML.T0010")),
            ],
            &[],
        );
        assert_eq!(
            table.resolve("AML.T0001", |id| id == "AML.T0003"),
            Some("AML.T0003".into())
        );
        assert_eq!(
            table.resolve("AML.T0001", |id| id == "AML.T0002"),
            Some("AML.T0002".into())
        );
        assert_eq!(table.resolve("AML.T0001", |_| false), None);
        assert_eq!(table.resolve("AML.T0010", |_| false), None, "a loop ends");
        assert_eq!(table.resolve("AML.T0099", |_| true), None);
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert!(
            parse(r#"{"successors":[{"technique":"T0019","successor":"AML.T0115.000"}]}"#).is_err()
        );
        assert!(parse(r#"{"successors":[{"technique":"AML.T0019","successor":"x"}]}"#).is_err());
        assert!(parse("{").is_err());
    }
}
