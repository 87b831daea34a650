//! The ATLAS matrix as a STIX 2.1 bundle in the ATT&CK data model
//! (`stix-atlas.json` of mitre-atlas/atlas-navigator-data):
//!
//! - `x-mitre-matrix`: its `tactic_refs` give the column order;
//! - `x-mitre-tactic`: a tactic, `x_mitre_shortname` the name techniques use;
//! - `attack-pattern`: a technique or sub-technique, its tactics in
//!   `kill_chain_phases` (by short name);
//! - `course-of-action`: a mitigation;
//! - `relationship`: `subtechnique-of` (sub-technique -> parent) and
//!   `mitigates` (mitigation -> technique, `description` the usage).
//!
//! ATLAS IDs are the `external_id` of the `mitre-atlas` external reference;
//! STIX IDs are only used to resolve references inside the bundle. Revoked
//! and deprecated objects are left out. The bundle names no content release,
//! so the caller gives it ([`release_from_name`] reads it from a file name).
//! Case studies are not part of the bundle.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::error::ImportError;
use super::model::{
    AttackRef, Mitigation, MitigationUse, Release, SourceFormat, Tactic, Technique,
};
use super::reader::shape;

/// The bundle, if `src` is a JSON document of STIX type `bundle`. A text
/// that starts like JSON but is not valid JSON is an error with its position.
pub(crate) fn bundle(src: &str) -> Option<Result<Json, ImportError>> {
    if !src.trim_start().starts_with('{') {
        return None;
    }
    match serde_json::from_str::<Json>(src) {
        Ok(v) if v.get("type").and_then(Json::as_str) == Some("bundle") => Some(Ok(v)),
        // Other JSON is YAML too: the YAML readers report what it lacks.
        Ok(_) => None,
        Err(e) => Some(Err(ImportError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })),
    }
}

/// `5.6.0` from `.../stix-atlas-5.6.0.json` (a path or a URL).
pub fn release_from_name(source: &str) -> Option<String> {
    let name = source
        .split(['?', '#'])
        .next()?
        .rsplit(['/', '\\', ' '])
        .next()?;
    let version = name.strip_prefix("stix-atlas-")?.strip_suffix(".json")?;
    let ok = !version.is_empty()
        && version.chars().all(|c| c.is_ascii_digit() || c == '.')
        && version.starts_with(|c: char| c.is_ascii_digit());
    ok.then(|| version.to_string())
}

fn text<'a>(obj: &'a Json, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Json::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn req_text(obj: &Json, key: &str, path: &str) -> Result<String, ImportError> {
    text(obj, key)
        .map(str::to_string)
        .ok_or_else(|| shape(format!("{path}.{key}"), "missing or not text"))
}

/// The `external_id` of the first external reference from `source_name`.
fn external_id(obj: &Json, source_name: &str) -> Option<(String, Option<String>)> {
    obj.get("external_references")?
        .as_array()?
        .iter()
        .find(|r| text(r, "source_name") == Some(source_name))
        .and_then(|r| {
            Some((
                text(r, "external_id")?.to_string(),
                text(r, "url").map(str::to_string),
            ))
        })
}

fn atlas_id(obj: &Json, path: &str) -> Result<String, ImportError> {
    external_id(obj, "mitre-atlas")
        .map(|(id, _)| id)
        .ok_or_else(|| {
            shape(
                format!("{path}.external_references"),
                "no `mitre-atlas` reference with an `external_id` (the ATLAS ID)",
            )
        })
}

fn is_withdrawn(obj: &Json) -> bool {
    obj.get("revoked").and_then(Json::as_bool) == Some(true)
        || obj.get("x_mitre_deprecated").and_then(Json::as_bool) == Some(true)
}

/// Refuses a bundle of incidents (reports or Attack Flows and no ATLAS
/// collection or matrix, as our own STIX export and threat-intel platforms
/// write them), saying where it goes instead.
pub(crate) fn refuse_incident_bundle(bundle: &Json) -> Result<(), ImportError> {
    let Some(objects) = bundle.get("objects").and_then(Json::as_array) else {
        return Ok(());
    };
    let has = |kind: &str| objects.iter().any(|o| text(o, "type") == Some(kind));
    if !has("x-mitre-collection") && !has("x-mitre-matrix") && (has("report") || has("attack-flow"))
    {
        return Err(ImportError::UnknownFormat {
            detail: "this STIX bundle holds incidents (reports or Attack Flows), not an ATLAS release: \
                     import it with `atlasview import stix FILE` or POST /api/v1/incidents/import/stix"
                .to_string(),
        });
    }
    Ok(())
}

/// Build a [`Release`] from a bundle (not yet validated).
pub(crate) fn release_from_bundle(bundle: &Json, version: String) -> Result<Release, ImportError> {
    let objects = bundle
        .get("objects")
        .and_then(Json::as_array)
        .ok_or_else(|| shape("objects", "a STIX bundle needs an `objects` list"))?;

    let mut name = "ATLAS".to_string();
    let mut tactics: Vec<Tactic> = Vec::new();
    let mut shortnames: HashMap<String, String> = HashMap::new();
    let mut techniques: Vec<Technique> = Vec::new();
    let mut mitigations: Vec<Mitigation> = Vec::new();
    // STIX ID -> ATLAS ID, for resolving references.
    let mut atlas_of: HashMap<&str, String> = HashMap::new();
    let mut matrix: Option<(usize, &Json)> = None;
    let mut phases: Vec<(usize, Vec<String>)> = Vec::new();

    for (i, obj) in objects.iter().enumerate() {
        let path = format!("objects[{i}]");
        let kind = text(obj, "type").unwrap_or("");
        if is_withdrawn(obj) {
            continue;
        }
        let stix_id = text(obj, "id").unwrap_or("");
        match kind {
            "x-mitre-collection" => {
                if let Some(n) = text(obj, "name") {
                    name = n.to_string();
                }
            }
            "x-mitre-matrix" if matrix.is_none() => matrix = Some((i, obj)),
            "x-mitre-tactic" => {
                let id = atlas_id(obj, &path)?;
                if let Some(short) = text(obj, "x_mitre_shortname") {
                    shortnames.insert(short.to_string(), id.clone());
                }
                atlas_of.insert(stix_id, id.clone());
                tactics.push(Tactic {
                    name: req_text(obj, "name", &path)?,
                    description: text(obj, "description").map(str::to_string),
                    attack_ref: external_id(obj, "mitre-attack")
                        .map(|(id, url)| AttackRef { id, url }),
                    id,
                });
            }
            "attack-pattern" => {
                let id = atlas_id(obj, &path)?;
                atlas_of.insert(stix_id, id.clone());
                let names: Vec<String> = obj
                    .get("kill_chain_phases")
                    .and_then(Json::as_array)
                    .map(|list| {
                        list.iter()
                            .filter(|p| {
                                text(p, "kill_chain_name").is_none_or(|k| k == "mitre-atlas")
                            })
                            .filter_map(|p| text(p, "phase_name").map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                phases.push((techniques.len(), names));
                let platforms = obj
                    .get("x_mitre_platforms")
                    .and_then(Json::as_array)
                    .map(|list| {
                        list.iter()
                            .filter_map(Json::as_str)
                            // "ATLAS" names the domain, not a platform.
                            .filter(|p| !p.trim().is_empty() && *p != "ATLAS")
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                techniques.push(Technique {
                    name: req_text(obj, "name", &path)?,
                    description: text(obj, "description").map(str::to_string),
                    parent: None,
                    tactics: Vec::new(),
                    maturity: text(obj, "x_mitre_maturity").map(|m| m.trim().to_ascii_lowercase()),
                    attack_ref: external_id(obj, "mitre-attack")
                        .map(|(id, url)| AttackRef { id, url }),
                    platforms,
                    id,
                });
            }
            "course-of-action" => {
                let id = atlas_id(obj, &path)?;
                atlas_of.insert(stix_id, id.clone());
                mitigations.push(Mitigation {
                    name: req_text(obj, "name", &path)?,
                    description: text(obj, "description").map(str::to_string),
                    techniques: Vec::new(),
                    id,
                });
            }
            _ => {}
        }
    }

    for (t, names) in phases {
        for short in names {
            let tactic = shortnames
                .get(&short)
                .ok_or_else(|| ImportError::UnknownTacticRef {
                    context: format!("technique {} (its kill_chain_phases)", techniques[t].id),
                    tactic: short.clone(),
                })?;
            if !techniques[t].tactics.contains(tactic) {
                techniques[t].tactics.push(tactic.clone());
            }
        }
    }

    let technique_at: HashMap<String, usize> = techniques
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.clone(), i))
        .collect();
    let mitigation_at: HashMap<String, usize> = mitigations
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.clone(), i))
        .collect();
    for (i, obj) in objects.iter().enumerate() {
        if text(obj, "type") != Some("relationship") || is_withdrawn(obj) {
            continue;
        }
        let path = format!("objects[{i}]");
        let kind = text(obj, "relationship_type").unwrap_or("");
        if kind != "subtechnique-of" && kind != "mitigates" {
            continue;
        }
        let end = |key: &str| -> Result<String, ImportError> {
            let r = req_text(obj, key, &path)?;
            atlas_of.get(r.as_str()).cloned().ok_or_else(|| {
                shape(
                    format!("{path}.{key}"),
                    format!("`{r}` is no tactic, technique or mitigation of this bundle"),
                )
            })
        };
        let (source, target) = (end("source_ref")?, end("target_ref")?);
        match kind {
            "subtechnique-of" => {
                let i = *technique_at.get(&source).ok_or_else(|| {
                    shape(
                        format!("{path}.source_ref"),
                        format!("{source} is not a technique"),
                    )
                })?;
                techniques[i].parent = Some(target);
            }
            _ => {
                let m = *mitigation_at.get(&source).ok_or_else(|| {
                    shape(
                        format!("{path}.source_ref"),
                        format!("{source} is not a mitigation"),
                    )
                })?;
                if !technique_at.contains_key(&target) {
                    return Err(ImportError::UnknownTechnique {
                        context: format!("mitigation {source} ({path})"),
                        technique: target,
                    });
                }
                mitigations[m].techniques.push(MitigationUse {
                    technique: target,
                    usage: text(obj, "description").map(str::to_string),
                });
            }
        }
    }

    // Column order from the matrix's tactic_refs; tactics it does not list follow.
    if let Some((mi, m)) = matrix {
        let refs = m
            .get("tactic_refs")
            .and_then(Json::as_array)
            .ok_or_else(|| {
                shape(
                    format!("objects[{mi}].tactic_refs"),
                    "missing or not a list",
                )
            })?;
        let mut ordered: Vec<Tactic> = Vec::with_capacity(tactics.len());
        for (k, r) in refs.iter().enumerate() {
            let field = format!("objects[{mi}].tactic_refs[{k}]");
            let id = r
                .as_str()
                .and_then(|s| atlas_of.get(s))
                .ok_or_else(|| shape(field.clone(), "names no tactic of this bundle"))?;
            if let Some(p) = tactics.iter().position(|t| &t.id == id) {
                ordered.push(tactics.remove(p));
            }
        }
        ordered.append(&mut tactics);
        tactics = ordered;
    }

    Ok(Release {
        version,
        name,
        format: SourceFormat::Stix,
        tactics,
        techniques,
        mitigations,
        case_studies: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_from_file_names() {
        assert_eq!(
            release_from_name("../shared/atlas/stix-atlas-5.6.0.json").as_deref(),
            Some("5.6.0")
        );
        assert_eq!(
            release_from_name("https://x/dist/stix-atlas-2026.09.json?raw=1").as_deref(),
            Some("2026.09")
        );
        assert_eq!(
            release_from_name("upload stix-atlas-5.6.0.json").as_deref(),
            Some("5.6.0")
        );
        assert_eq!(release_from_name("stix-atlas.json"), None);
        assert_eq!(release_from_name("stix-atlas-latest.json"), None);
    }

    #[test]
    fn a_bundle_of_incidents_is_sent_to_the_incident_import() {
        let incidents = serde_json::json!({"type": "bundle", "objects": [
            {"type": "report", "id": "report--1"},
            {"type": "attack-pattern", "id": "attack-pattern--1"},
        ]});
        let e = refuse_incident_bundle(&incidents).unwrap_err().to_string();
        assert!(
            e.contains("holds incidents") && e.contains("import stix"),
            "{e}"
        );
        let release = serde_json::json!({"type": "bundle", "objects": [
            {"type": "x-mitre-collection", "id": "x-mitre-collection--1"},
            {"type": "report", "id": "report--1"},
        ]});
        assert!(refuse_incident_bundle(&release).is_ok());
    }
}
