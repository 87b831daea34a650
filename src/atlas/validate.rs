//! The shared finishing pass every importer's output goes through:
//! inheritance of tactics, then one validation of the whole [`Release`].

use std::collections::{HashMap, HashSet};

use super::error::ImportError;
use super::ids::{IdKind, classify_id};
use super::model::{Release, SourceFormat, Technique};
use super::reader::shape;

/// Sub-techniques that list no tactics of their own take their parent's.
pub fn inherit_parent_tactics(release: &mut Release) {
    let parent_tactics: HashMap<String, Vec<String>> = release
        .techniques
        .iter()
        .filter(|t| t.parent.is_none())
        .map(|t| (t.id.clone(), t.tactics.clone()))
        .collect();
    for t in &mut release.techniques {
        if t.tactics.is_empty()
            && let Some(tactics) = t.parent.as_ref().and_then(|p| parent_tactics.get(p))
        {
            t.tactics = tactics.clone();
        }
    }
}

/// A procedure step read without a tactic gets the first tactic its
/// technique serves. Steps whose technique is unknown stay empty and are
/// reported by validation.
pub(crate) fn fill_step_tactics(release: &mut Release) {
    let first: HashMap<&str, &str> = release
        .techniques
        .iter()
        .filter_map(|t| t.tactics.first().map(|ta| (t.id.as_str(), ta.as_str())))
        .collect();
    for cs in &mut release.case_studies {
        for step in &mut cs.procedure {
            if step.tactic.is_empty()
                && let Some(ta) = first.get(step.technique.as_str())
            {
                step.tactic = (*ta).to_string();
            }
        }
    }
}

fn check_id(field: impl FnOnce() -> String, id: &str, want: &[IdKind]) -> Result<(), ImportError> {
    match classify_id(id) {
        Some(kind) if want.contains(&kind) => Ok(()),
        _ => Err(ImportError::MalformedId {
            field: field(),
            id: id.to_string(),
            expected: match want {
                [IdKind::Technique, IdKind::SubTechnique] => "AML.T0000 or AML.T0000.000",
                [k, ..] => k.pattern(),
                [] => "an ATLAS ID",
            },
        }),
    }
}

const TECHNIQUE_KINDS: &[IdKind] = &[IdKind::Technique, IdKind::SubTechnique];

/// The one validation pass every importer's output goes through.
///
/// Checks, in order: the release is not empty; every ID is well-formed; no ID
/// is used twice; every technique's tactics exist; sub-technique IDs extend
/// their parent's ID and the parent exists; every technique serves a tactic;
/// mitigations refer to existing techniques; case-study steps refer to
/// existing techniques and tactics.
pub fn validate_release(release: &Release) -> Result<(), ImportError> {
    if release.tactics.is_empty() || release.techniques.is_empty() {
        return Err(ImportError::Empty);
    }
    if release.version.trim().is_empty() {
        return Err(shape("version", "must not be empty"));
    }

    // Where the objects sit in the source, for messages.
    let matrix = match release.format {
        SourceFormat::Legacy => "matrices[0].",
        _ => "",
    };
    // Format 6 keys its objects by ID: name the place by key, not by index.
    let at = |section: &str, i: usize, id: &str| match release.format {
        SourceFormat::V6 => format!("{section}[{id}].id"),
        _ => format!("{matrix}{section}[{i}].id"),
    };
    for (i, t) in release.tactics.iter().enumerate() {
        check_id(|| at("tactics", i, &t.id), &t.id, &[IdKind::Tactic])?;
    }
    for (i, t) in release.techniques.iter().enumerate() {
        check_id(|| at("techniques", i, &t.id), &t.id, TECHNIQUE_KINDS)?;
    }
    for (i, m) in release.mitigations.iter().enumerate() {
        check_id(|| at("mitigations", i, &m.id), &m.id, &[IdKind::Mitigation])?;
    }
    for (i, c) in release.case_studies.iter().enumerate() {
        check_id(
            || match release.format {
                SourceFormat::V6 => format!("case-studies[{}].id", c.id),
                _ => format!("case-studies[{i}].id"),
            },
            &c.id,
            &[IdKind::CaseStudy],
        )?;
    }
    let all_ids = (release.tactics.iter().map(|t| &t.id))
        .chain(release.techniques.iter().map(|t| &t.id))
        .chain(release.mitigations.iter().map(|m| &m.id))
        .chain(release.case_studies.iter().map(|c| &c.id));
    let mut seen: HashSet<&str> = HashSet::new();
    for id in all_ids {
        if !seen.insert(id) {
            return Err(ImportError::DuplicateId { id: id.clone() });
        }
    }

    let tactics: HashSet<&str> = release.tactics.iter().map(|t| t.id.as_str()).collect();
    let techniques: HashMap<&str, &Technique> = release
        .techniques
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect();

    for t in &release.techniques {
        for ta in &t.tactics {
            check_id(
                || format!("technique {} tactics", t.id),
                ta,
                &[IdKind::Tactic],
            )?;
            if !tactics.contains(ta.as_str()) {
                return Err(ImportError::UnknownTactic {
                    technique: t.id.clone(),
                    tactic: ta.clone(),
                });
            }
        }
        let is_sub = classify_id(&t.id) == Some(IdKind::SubTechnique);
        match &t.parent {
            None if is_sub => {
                return Err(ImportError::MissingParent {
                    technique: t.id.clone(),
                });
            }
            None => {}
            Some(parent) => {
                check_id(
                    || format!("technique {} parent", t.id),
                    parent,
                    &[IdKind::Technique],
                )?;
                let extends =
                    t.id.strip_prefix(parent.as_str())
                        .is_some_and(|rest| rest.starts_with('.'));
                if !is_sub || !extends {
                    return Err(ImportError::ParentMismatch {
                        technique: t.id.clone(),
                        parent: parent.clone(),
                    });
                }
                if !techniques.contains_key(parent.as_str()) {
                    return Err(ImportError::UnknownParent {
                        technique: t.id.clone(),
                        parent: parent.clone(),
                    });
                }
            }
        }
        if t.tactics.is_empty() {
            return Err(ImportError::NoTactic {
                technique: t.id.clone(),
            });
        }
    }

    for m in &release.mitigations {
        for u in &m.techniques {
            let context = || format!("mitigation {}", m.id);
            check_id(
                || format!("{} techniques", context()),
                &u.technique,
                TECHNIQUE_KINDS,
            )?;
            if !techniques.contains_key(u.technique.as_str()) {
                return Err(ImportError::UnknownTechnique {
                    context: context(),
                    technique: u.technique.clone(),
                });
            }
        }
    }

    for c in &release.case_studies {
        for (i, step) in c.procedure.iter().enumerate() {
            let context = || format!("case study {} procedure step {}", c.id, i + 1);
            check_id(
                || format!("{} technique", context()),
                &step.technique,
                TECHNIQUE_KINDS,
            )?;
            if !techniques.contains_key(step.technique.as_str()) {
                return Err(ImportError::UnknownTechnique {
                    context: context(),
                    technique: step.technique.clone(),
                });
            }
            check_id(
                || format!("{} tactic", context()),
                &step.tactic,
                &[IdKind::Tactic],
            )?;
            if !tactics.contains(step.tactic.as_str()) {
                return Err(ImportError::UnknownTacticRef {
                    context: context(),
                    tactic: step.tactic.clone(),
                });
            }
        }
    }
    Ok(())
}
