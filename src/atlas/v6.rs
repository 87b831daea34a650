//! format-version 6.0.0 (`dist/v6/ATLAS-<release>.yaml`, content 2026.05 on),
//! exactly as upstream writes it (`../shared/atlas/README.md`):
//!
//! ```yaml
//! format-version: 6.0.0
//! collection: {id: ATLAS-collection, name: ..., version: '2026.09'}
//! matrix: {id: ATLAS-matrix, name: ...}            # no list of tactics
//! tactics:      {AML.TA0002: {id, name, description, ...}}
//! techniques:   {AML.T0000: {id, name, maturity, platforms, attack-reference, ...}}
//! mitigations:  {AML.M0000: {id, name, lifecycle-phases, categories, ...}}
//! case-studies: {AML.CS0000: {id, name, description, type, date, date-granularity, ...}}
//! relationships:
//!   ATLAS-matrix: {sequences: [{source, target, relationship-type, position}]}
//!   AML.T0000:    {achieves: [...], specializes: [...]}
//!   AML.M0000:    {mitigates: [{..., description}]}
//!   AML.CS0000:   {employs: [{..., tactic, step-id, leads-to, description}]}
//! ```
//!
//! The matrix's column order is the tactics sorted by their `sequences`
//! position; a technique's tactics come from its `achieves` edges (a
//! sub-technique carries its own), its parent from `specializes`; a
//! mitigation's uses from `mitigates`; a case study's procedure from its
//! `employs` edges, one step per edge, ordered by following `leads-to` from
//! the step no other step names ([`order_steps`]). Unknown fields and unknown
//! relationship types are ignored.

mod procedure;
mod relationships;

use std::collections::{HashMap, HashSet};

use super::error::{ImportError, ImportWarning};
use super::ids::{IdKind, classify_id};
use super::model::{
    CaseStudy, Mitigation, MitigationUse, ProcedureStep, Reference, Release, SourceFormat, Tactic,
    Technique,
};
use super::reader::{Obj, attack_ref, index, join, read_tactic, shape};
use super::yaml::{Node, Value};
use procedure::{RawStep, order_steps};
use relationships::read_edges;

/// The matrix ID upstream uses as the source of `sequences` edges.
const DEFAULT_MATRIX_ID: &str = "ATLAS-matrix";

/// Build a [`Release`] from a format-version 6 document (not yet validated).
/// Problems that do not stop the import go to `warnings`.
pub(crate) fn release_from_tree(
    root: &Node,
    warnings: &mut Vec<ImportWarning>,
) -> Result<Release, ImportError> {
    let top = Obj::new(root, "")?;
    let collection = match top.get("collection") {
        Some(node) => Obj::new(node, "collection")?,
        None => {
            return Err(shape(
                "collection",
                format!(
                    "missing (in the mapping at {}): a format-version 6 file names its content release in `collection.version`",
                    root.at()
                ),
            ));
        }
    };
    let version = collection.req_str("version")?;
    let matrix = match top.get("matrix") {
        Some(node) => Some(Obj::new(node, "matrix")?),
        None => None,
    };
    let matrix_id = match &matrix {
        Some(m) => m
            .opt_str(&["id"])?
            .unwrap_or_else(|| DEFAULT_MATRIX_ID.to_string()),
        None => DEFAULT_MATRIX_ID.to_string(),
    };
    let name = match collection.opt_str(&["name"])? {
        Some(n) => n,
        None => match &matrix {
            Some(m) => m.opt_str(&["name"])?.unwrap_or_else(|| "ATLAS".to_string()),
            None => "ATLAS".to_string(),
        },
    };

    let mut tactics = keyed_objects(&top, "tactics", read_tactic)?;
    let mut techniques = keyed_objects(&top, "techniques", read_technique)?;
    let mut mitigations = keyed_objects(&top, "mitigations", read_mitigation)?;
    let mut case_studies = keyed_objects(&top, "case-studies", read_case_study)?;

    // A key given twice would make every edge naming it ambiguous: say so first.
    let mut seen: HashSet<&str> = HashSet::new();
    let all_ids = (tactics.iter().map(|t| &t.id))
        .chain(techniques.iter().map(|t| &t.id))
        .chain(mitigations.iter().map(|m| &m.id))
        .chain(case_studies.iter().map(|c| &c.id));
    for id in all_ids {
        if !seen.insert(id) {
            return Err(ImportError::DuplicateId { id: id.clone() });
        }
    }

    let tactic_at = first_index(tactics.iter().map(|t| &t.id));
    let technique_at = first_index(techniques.iter().map(|t| &t.id));
    let mitigation_at = first_index(mitigations.iter().map(|m| &m.id));
    let case_study_at = first_index(case_studies.iter().map(|c| &c.id));

    // Tactic index -> (position, path of its `sequences` edge).
    let mut positions: HashMap<usize, (u64, String)> = HashMap::new();
    let mut taken: HashMap<u64, (String, String)> = HashMap::new();
    let mut steps: HashMap<usize, Vec<RawStep>> = HashMap::new();

    for edge in read_edges(&top)? {
        match edge.kind.as_str() {
            "sequences" => {
                if edge.source != matrix_id {
                    return Err(shape(
                        join(&edge.path, "source"),
                        format!(
                            "`sequences` edges start at the matrix {matrix_id}, not at {} ({})",
                            edge.source,
                            edge.obj.node.at()
                        ),
                    ));
                }
                let tactic = edge.target_of(IdKind::Tactic)?;
                let i = *tactic_at
                    .get(&tactic)
                    .ok_or_else(|| ImportError::UnknownTacticRef {
                        context: format!("the matrix column at {}", edge.path),
                        tactic: tactic.clone(),
                    })?;
                let position = edge.position()?;
                if let Some((_, earlier)) = positions.get(&i) {
                    return Err(shape(
                        edge.path.clone(),
                        format!("{tactic} is already placed in the matrix by {earlier}"),
                    ));
                }
                if let Some((other, earlier)) = taken.get(&position) {
                    return Err(shape(
                        join(&edge.path, "position"),
                        format!(
                            "column {position} is already taken by {other} ({earlier}); {tactic} needs its own"
                        ),
                    ));
                }
                taken.insert(position, (tactic, edge.path.clone()));
                positions.insert(i, (position, edge.path.clone()));
            }
            "achieves" => {
                let technique = edge.source_of(TECHNIQUE_KINDS, TECHNIQUE_PATTERN)?;
                let i =
                    *technique_at
                        .get(&technique)
                        .ok_or_else(|| ImportError::UnknownTechnique {
                            context: format!("the `achieves` relationship at {}", edge.path),
                            technique: technique.clone(),
                        })?;
                let tactic = edge.target_of(IdKind::Tactic)?;
                if !tactic_at.contains_key(&tactic) {
                    return Err(ImportError::UnknownTacticRef {
                        context: format!("technique {technique} ({})", edge.path),
                        tactic,
                    });
                }
                if !techniques[i].tactics.contains(&tactic) {
                    techniques[i].tactics.push(tactic);
                }
            }
            "specializes" => {
                let child = edge.source_of(&[IdKind::SubTechnique], "AML.T0000.000")?;
                let i = *technique_at
                    .get(&child)
                    .ok_or_else(|| ImportError::UnknownTechnique {
                        context: format!("the `specializes` relationship at {}", edge.path),
                        technique: child.clone(),
                    })?;
                let parent = edge.target_of(IdKind::Technique)?;
                match &techniques[i].parent {
                    Some(existing) if *existing != parent => {
                        return Err(shape(
                            edge.path.clone(),
                            format!(
                                "{child} is already a sub-technique of {existing}; this edge makes it one of {parent} too"
                            ),
                        ));
                    }
                    _ => techniques[i].parent = Some(parent),
                }
            }
            "mitigates" => {
                let mitigation = edge.source_of(&[IdKind::Mitigation], "AML.M0000")?;
                let i = *mitigation_at.get(&mitigation).ok_or_else(|| {
                    shape(
                        edge.path.clone(),
                        format!("there is no mitigation {mitigation} in `mitigations`"),
                    )
                })?;
                let technique = edge.target_of_any(TECHNIQUE_KINDS, TECHNIQUE_PATTERN)?;
                if !technique_at.contains_key(&technique) {
                    return Err(ImportError::UnknownTechnique {
                        context: format!("mitigation {mitigation} ({})", edge.path),
                        technique,
                    });
                }
                mitigations[i].techniques.push(MitigationUse {
                    technique,
                    usage: edge.obj.opt_str(&["description"])?,
                });
            }
            "employs" => {
                let case_study = edge.source_of(&[IdKind::CaseStudy], "AML.CS0000")?;
                let i = *case_study_at.get(&case_study).ok_or_else(|| {
                    shape(
                        edge.path.clone(),
                        format!("there is no case study {case_study} in `case-studies`"),
                    )
                })?;
                let step_id = edge.obj.req_str("step-id")?;
                let context = || format!("case study {case_study} step {step_id} ({})", edge.path);
                let technique = edge.target_of_any(TECHNIQUE_KINDS, TECHNIQUE_PATTERN)?;
                if !technique_at.contains_key(&technique) {
                    return Err(ImportError::UnknownTechnique {
                        context: context(),
                        technique,
                    });
                }
                let tactic = match edge.obj.opt_str(&["tactic"])? {
                    // Filled with the technique's first tactic after inheritance.
                    None => String::new(),
                    Some(tactic) => {
                        if classify_id(&tactic) != Some(IdKind::Tactic) {
                            return Err(ImportError::MalformedId {
                                field: join(&edge.path, "tactic"),
                                id: tactic,
                                expected: IdKind::Tactic.pattern(),
                            });
                        }
                        if !tactic_at.contains_key(&tactic) {
                            return Err(ImportError::UnknownTacticRef {
                                context: context(),
                                tactic,
                            });
                        }
                        tactic
                    }
                };
                let leads_to = text_list(&edge.obj, "leads-to")?;
                steps.entry(i).or_default().push(RawStep {
                    step_id,
                    leads_to,
                    path: edge.path.clone(),
                    step: ProcedureStep {
                        tactic,
                        technique,
                        description: edge.obj.opt_str(&["description"])?,
                    },
                });
            }
            _ => {}
        }
    }

    // Columns: sequenced tactics by position, then any the matrix does not
    // place, in file order (reported).
    let mut order: Vec<usize> = (0..tactics.len()).collect();
    order.sort_by_key(|i| positions.get(i).map_or((1, 0), |(p, _)| (0, *p)));
    for &i in &order {
        if !positions.contains_key(&i) {
            warnings.push(ImportWarning {
                case_study: None,
                step_id: None,
                path: format!("tactics[{}]", tactics[i].id),
                message: format!(
                    "no `sequences` edge places tactic {} in the matrix; it is shown after the placed columns",
                    tactics[i].id
                ),
            });
        }
    }
    let mut slots: Vec<Option<Tactic>> = tactics.drain(..).map(Some).collect();
    tactics = order.iter().filter_map(|&i| slots[i].take()).collect();

    for (i, raw) in steps {
        let id = case_studies[i].id.clone();
        case_studies[i].procedure = order_steps(&id, raw, warnings);
    }

    Ok(Release {
        version,
        name,
        format: SourceFormat::V6,
        tactics,
        techniques,
        mitigations,
        case_studies,
    })
}

const TECHNIQUE_KINDS: &[IdKind] = &[IdKind::Technique, IdKind::SubTechnique];
const TECHNIQUE_PATTERN: &str = "AML.T0000 or AML.T0000.000";

fn first_index<'a>(ids: impl Iterator<Item = &'a String>) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for (i, id) in ids.enumerate() {
        map.entry(id.clone()).or_insert(i);
    }
    map
}

/// The objects of a section keyed by ID (`{AML.T0051: {...}}`). An `id`
/// inside an object must equal its key.
fn keyed_objects<T>(
    top: &Obj,
    key: &str,
    mut read: impl FnMut(&Obj, String) -> Result<T, ImportError>,
) -> Result<Vec<T>, ImportError> {
    let Some(node) = top.get(key) else {
        return Ok(Vec::new());
    };
    let Value::Map(entries) = &node.value else {
        return Err(shape(
            key,
            format!(
                "expected a mapping keyed by ID, found {} ({})",
                node.describe(),
                node.at()
            ),
        ));
    };
    entries
        .iter()
        .map(|(k, value)| {
            let Some(id) = k.as_str() else {
                return Err(shape(
                    key,
                    format!("keys must be IDs, found {} ({})", k.describe(), k.at()),
                ));
            };
            let p = format!("{key}[{id}]");
            let obj = Obj::new(value, &p)?;
            if let Some(inner) = obj.opt_str(&["id"])?
                && inner != id
            {
                return Err(shape(
                    join(&p, "id"),
                    format!("`{inner}` differs from its key `{id}` ({})", value.at()),
                ));
            }
            read(&obj, id.to_string())
        })
        .collect()
}

/// A list of text items under `key` (absent or null: empty).
fn text_list(obj: &Obj, key: &str) -> Result<Vec<String>, ImportError> {
    let path = join(&obj.path, key);
    let Some(node) = obj.get(key) else {
        return Ok(Vec::new());
    };
    let Value::Seq(items) = &node.value else {
        return Err(shape(
            path,
            format!("expected a list, found {} ({})", node.describe(), node.at()),
        ));
    };
    items
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.is_null())
        .map(|(i, n)| {
            n.as_str().map(|s| s.trim().to_string()).ok_or_else(|| {
                shape(
                    index(&path, i),
                    format!("expected text, found {} ({})", n.describe(), n.at()),
                )
            })
        })
        .collect()
}

fn lower(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_ascii_lowercase())
}

/// A technique object. `tactics` and `subtechnique-of` are not fields of
/// format 6 (edges carry them) and are ignored like any unknown field.
fn read_technique(obj: &Obj, id: String) -> Result<Technique, ImportError> {
    Ok(Technique {
        id,
        name: obj.req_str("name")?,
        description: obj.opt_str(&["description"])?,
        parent: None,
        tactics: Vec::new(),
        maturity: lower(obj.opt_str(&["maturity"])?),
        attack_ref: attack_ref(obj)?,
        platforms: text_list(obj, "platforms")?
            .into_iter()
            .filter(|p| !p.is_empty())
            .fold(Vec::new(), |mut all, p| {
                if !all.contains(&p) {
                    all.push(p);
                }
                all
            }),
    })
}

fn read_mitigation(obj: &Obj, id: String) -> Result<Mitigation, ImportError> {
    Ok(Mitigation {
        id,
        name: obj.req_str("name")?,
        description: obj.opt_str(&["description"])?,
        techniques: Vec::new(),
    })
}

/// `Year`, `Month`, `Day` as the legacy files wrote them (`YEAR`, `MONTH`,
/// `DATE`), so both formats store the same thing.
fn granularity(obj: &Obj) -> Result<Option<String>, ImportError> {
    let Some(written) = obj.opt_str(&["date-granularity"])? else {
        return Ok(None);
    };
    Ok(Some(match written.trim().to_ascii_uppercase().as_str() {
        "DAY" | "DATE" => "DATE".to_string(),
        other => other.to_string(),
    }))
}

fn read_case_study(obj: &Obj, id: String) -> Result<CaseStudy, ImportError> {
    let mut references = Vec::new();
    if let Some(node) = obj.get("references") {
        let path = join(&obj.path, "references");
        let Value::Seq(items) = &node.value else {
            return Err(shape(
                path,
                format!("expected a list, found {} ({})", node.describe(), node.at()),
            ));
        };
        for (i, n) in items.iter().enumerate() {
            if n.is_null() {
                continue;
            }
            let o = Obj::new(n, &index(&path, i))?;
            let reference = Reference {
                title: o.opt_str(&["title"])?,
                url: o.opt_str(&["url"])?,
            };
            if reference.title.is_some() || reference.url.is_some() {
                references.push(reference);
            }
        }
    }
    Ok(CaseStudy {
        id,
        name: obj.req_str("name")?,
        summary: obj.opt_str(&["description"])?,
        incident_date: obj.opt_str(&["date"])?,
        incident_date_granularity: granularity(obj)?,
        target: obj.opt_str(&["target"])?,
        actor: obj.opt_str(&["actor"])?,
        reporter: obj.opt_str(&["reporter"])?,
        case_study_type: lower(obj.opt_str(&["type"])?),
        references,
        procedure: Vec::new(),
    })
}
