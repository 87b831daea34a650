//! format-version 6.0.0 (`dist/v6/ATLAS-<YYYY.MM>.yaml`, content 2026.05 on).
//!
//! `tactics`, `techniques`, `mitigations` and `case-studies` are maps keyed by
//! ID (a list of objects with `id` is accepted too). A sub-technique's `name`
//! is only its own part. Links between objects are edges
//! `{source, target, relationship-type}` under a top-level `relationships`
//! section, which may be a map keyed by relationship type (each a list of
//! edges), a map keyed by edge ID, or a plain list. The edges read are:
//!
//! - `achieves`: technique -> tactic it serves;
//! - `specializes` (or `subtechnique-of`): sub-technique -> parent technique;
//! - `employs` (or `uses`): case study -> technique, in story order;
//! - `mitigates`: mitigation -> technique (its `use`/`description` is the usage).
//!
//! Other edge types are ignored. Edge direction is taken from the ID kinds of
//! the two ends, so a reversed edge still reads correctly. Inline fields
//! (`tactics`, `subtechnique-of`, a mitigation's `techniques`) are read as
//! well and merged with the edges.
//!
//! Matrix column order comes from the matrix object's `tactics` list
//! (`matrices` as a list or a map, or a single `matrix`); tactics the matrix
//! does not list follow in written order. Without a matrix object the written
//! order is kept.

use std::collections::HashMap;

use super::error::ImportError;
use super::ids::{IdKind, classify_id};
use super::model::{ProcedureStep, Release, SourceFormat, Tactic};
use super::parse::{
    Node, Obj, Value, add_mitigation_use, id_ref, index, join, push_unique, read_case_study,
    read_mitigation, read_tactic, read_technique, shape,
};

/// Build a [`Release`] from a format-version 6 document (not yet validated).
pub(crate) fn release_from_tree(root: &Node) -> Result<Release, ImportError> {
    let top = Obj::new(root, "")?;
    let version = top.req_str("version")?;
    let name = top
        .opt_str(&["name"])?
        .unwrap_or_else(|| "ATLAS".to_string());

    let mut tactics = keyed_objects(&top, &["tactics"], read_tactic)?;
    let mut techniques = keyed_objects(&top, &["techniques"], read_technique)?;
    let mut mitigations = keyed_objects(&top, &["mitigations"], read_mitigation)?;
    let mut case_studies = keyed_objects(&top, &["case-studies", "case_studies"], read_case_study)?;

    let technique_at: HashMap<String, usize> = first_index(techniques.iter().map(|t| &t.id));
    let mitigation_at: HashMap<String, usize> = first_index(mitigations.iter().map(|m| &m.id));
    let case_study_at: HashMap<String, usize> = first_index(case_studies.iter().map(|c| &c.id));
    let mut employs: HashMap<usize, Vec<ProcedureStep>> = HashMap::new();

    for edge in read_edges(&top)? {
        let context = || format!("the `{}` relationship at {}", edge.kind, edge.obj.path);
        match edge.kind.as_str() {
            "achieves" => {
                let (technique, tactic) = edge.orient(TECHNIQUE, TACTIC)?;
                let i =
                    *technique_at
                        .get(&technique)
                        .ok_or_else(|| ImportError::UnknownTechnique {
                            context: context(),
                            technique: technique.clone(),
                        })?;
                push_unique(&mut techniques[i].tactics, tactic);
            }
            "specializes" | "subtechnique-of" | "sub-technique-of" => {
                let (child, parent) = edge.orient(SUB_TECHNIQUE, PARENT_TECHNIQUE)?;
                let i = *technique_at
                    .get(&child)
                    .ok_or_else(|| ImportError::UnknownTechnique {
                        context: context(),
                        technique: child.clone(),
                    })?;
                match &techniques[i].parent {
                    Some(existing) if *existing != parent => {
                        return Err(shape(
                            edge.obj.path.clone(),
                            format!(
                                "{child} is already a sub-technique of {existing}, this edge makes it one of {parent} too"
                            ),
                        ));
                    }
                    _ => techniques[i].parent = Some(parent),
                }
            }
            "employs" | "uses" => {
                let (case_study, technique) = edge.orient(CASE_STUDY, TECHNIQUE)?;
                let i = *case_study_at.get(&case_study).ok_or_else(|| {
                    shape(
                        edge.obj.path.clone(),
                        format!("there is no case study {case_study} in this release"),
                    )
                })?;
                if !technique_at.contains_key(&technique) {
                    return Err(ImportError::UnknownTechnique {
                        context: format!("case study {case_study} ({})", edge.obj.path),
                        technique,
                    });
                }
                employs.entry(i).or_default().push(ProcedureStep {
                    // Filled with the technique's first tactic after inheritance.
                    tactic: String::new(),
                    technique,
                    description: edge.text(&["description"])?,
                });
            }
            "mitigates" => {
                let (mitigation, technique) = edge.orient(MITIGATION, TECHNIQUE)?;
                let i = *mitigation_at.get(&mitigation).ok_or_else(|| {
                    shape(
                        edge.obj.path.clone(),
                        format!("there is no mitigation {mitigation} in this release"),
                    )
                })?;
                let usage = edge.text(&["use", "usage", "description"])?;
                add_mitigation_use(&mut mitigations[i].techniques, technique, usage);
            }
            _ => {}
        }
    }

    for (i, steps) in employs {
        if case_studies[i].procedure.is_empty() {
            case_studies[i].procedure = steps;
        }
    }

    if let Some((order, path)) = matrix_tactics(&top)? {
        let mut ordered = Vec::with_capacity(tactics.len());
        for (i, id) in order.into_iter().enumerate() {
            let field = index(&path, i);
            if classify_id(&id) != Some(IdKind::Tactic) {
                return Err(ImportError::MalformedId {
                    field,
                    id,
                    expected: IdKind::Tactic.pattern(),
                });
            }
            match tactics.iter().position(|t| t.id == id) {
                Some(p) => ordered.push(tactics.remove(p)),
                None if ordered.iter().any(|t: &Tactic| t.id == id) => {}
                None => {
                    return Err(ImportError::UnknownTacticRef {
                        context: format!("the matrix column list {field}"),
                        tactic: id,
                    });
                }
            }
        }
        ordered.append(&mut tactics);
        tactics = ordered;
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

fn first_index<'a>(ids: impl Iterator<Item = &'a String>) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for (i, id) in ids.enumerate() {
        map.entry(id.clone()).or_insert(i);
    }
    map
}

/// Objects of a section keyed by ID (`{AML.T0051: {...}}`), or a list of
/// objects with `id`. An `id` inside a keyed object must match its key.
fn keyed_objects<T>(
    top: &Obj,
    keys: &[&str],
    mut read: impl FnMut(&Obj, String) -> Result<T, ImportError>,
) -> Result<Vec<T>, ImportError> {
    let Some((node, path)) = top.get_any(keys) else {
        return Ok(Vec::new());
    };
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .map(|(key, value)| {
                let Some(id) = key.as_str() else {
                    return Err(shape(
                        path.clone(),
                        format!("keys must be IDs, found {} ({})", key.describe(), key.at()),
                    ));
                };
                let p = format!("{path}[{id}]");
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
            .collect(),
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .map(|(i, value)| {
                let p = index(&path, i);
                let obj = Obj::new(value, &p)?;
                read(&obj, obj.req_str("id")?)
            })
            .collect(),
        _ => Err(shape(
            path,
            format!(
                "expected a mapping keyed by ID, found {} ({})",
                node.describe(),
                node.at()
            ),
        )),
    }
}

/// What an edge end must be, for [`Edge::orient`].
#[derive(Clone, Copy)]
struct EndKind {
    kinds: &'static [IdKind],
    what: &'static str,
    pattern: &'static str,
}

const TECHNIQUE: EndKind = EndKind {
    kinds: &[IdKind::Technique, IdKind::SubTechnique],
    what: "a technique",
    pattern: "AML.T0000 or AML.T0000.000",
};
const PARENT_TECHNIQUE: EndKind = EndKind {
    kinds: &[IdKind::Technique],
    what: "a parent technique",
    pattern: "AML.T0000",
};
const SUB_TECHNIQUE: EndKind = EndKind {
    kinds: &[IdKind::SubTechnique],
    what: "a sub-technique",
    pattern: "AML.T0000.000",
};
const TACTIC: EndKind = EndKind {
    kinds: &[IdKind::Tactic],
    what: "a tactic",
    pattern: "AML.TA0000",
};
const CASE_STUDY: EndKind = EndKind {
    kinds: &[IdKind::CaseStudy],
    what: "a case study",
    pattern: "AML.CS0000",
};
const MITIGATION: EndKind = EndKind {
    kinds: &[IdKind::Mitigation],
    what: "a mitigation",
    pattern: "AML.M0000",
};

struct Edge<'a> {
    /// Relationship type, lower-case with `-` for `_`.
    kind: String,
    source: String,
    target: String,
    obj: Obj<'a>,
}

impl Edge<'_> {
    /// `(a, b)` with `a` of kind `first` and `b` of kind `second`, whichever
    /// way round the edge is written.
    fn orient(&self, first: EndKind, second: EndKind) -> Result<(String, String), ImportError> {
        let ks = classify_id(&self.source);
        let kt = classify_id(&self.target);
        let is = |k: Option<IdKind>, e: EndKind| k.is_some_and(|k| e.kinds.contains(&k));
        if is(ks, first) && is(kt, second) {
            return Ok((self.source.clone(), self.target.clone()));
        }
        if is(kt, first) && is(ks, second) {
            return Ok((self.target.clone(), self.source.clone()));
        }
        if ks.is_none() {
            return Err(ImportError::MalformedId {
                field: join(&self.obj.path, "source"),
                id: self.source.clone(),
                expected: first.pattern,
            });
        }
        if kt.is_none() {
            return Err(ImportError::MalformedId {
                field: join(&self.obj.path, "target"),
                id: self.target.clone(),
                expected: second.pattern,
            });
        }
        Err(shape(
            self.obj.path.clone(),
            format!(
                "an `{}` relationship joins {} and {}, but this one joins {} and {} ({})",
                self.kind,
                first.what,
                second.what,
                self.source,
                self.target,
                self.obj.node.at()
            ),
        ))
    }

    fn text(&self, keys: &[&str]) -> Result<Option<String>, ImportError> {
        self.obj.opt_str(keys)
    }
}

const TYPE_KEYS: &[&str] = &["relationship-type", "relationship_type", "type"];

fn normalize_kind(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace('_', "-")
}

/// Read one edge; `kind_hint` is the section key when the edges are grouped
/// by relationship type.
fn read_edge<'a>(
    node: &'a Node,
    path: String,
    kind_hint: Option<&str>,
) -> Result<Option<Edge<'a>>, ImportError> {
    if node.is_null() {
        return Ok(None);
    }
    let obj = Obj::new(node, &path)?;
    // The edge's own type wins; the section key is the fallback.
    let kind = match (obj.opt_str(TYPE_KEYS)?, kind_hint) {
        (Some(written), _) => normalize_kind(&written),
        (None, Some(section)) => normalize_kind(section),
        (None, None) => {
            return Err(shape(
                join(&path, "relationship-type"),
                format!("missing (in the mapping at {})", node.at()),
            ));
        }
    };
    let end = |key: &str| -> Result<String, ImportError> {
        let p = join(&path, key);
        match obj.get(key) {
            Some(n) => id_ref(n, &p),
            None => Err(shape(
                p,
                format!("missing (in the mapping at {})", node.at()),
            )),
        }
    };
    let source = end("source")?;
    let target = end("target")?;
    Ok(Some(Edge {
        kind,
        source,
        target,
        obj,
    }))
}

/// All edges under `relationships`, in written order.
fn read_edges<'a>(top: &Obj<'a>) -> Result<Vec<Edge<'a>>, ImportError> {
    let Some(node) = top.get("relationships") else {
        return Ok(Vec::new());
    };
    let mut edges = Vec::new();
    match &node.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                edges.extend(read_edge(item, index("relationships", i), None)?);
            }
        }
        Value::Map(entries) => {
            for (key, value) in entries {
                let Some(section) = key.as_str() else {
                    return Err(shape(
                        "relationships",
                        format!(
                            "keys must be relationship types, found {} ({})",
                            key.describe(),
                            key.at()
                        ),
                    ));
                };
                let path = format!("relationships.{section}");
                match &value.value {
                    Value::Null => {}
                    Value::Seq(items) => {
                        for (i, item) in items.iter().enumerate() {
                            edges.extend(read_edge(item, index(&path, i), Some(section))?);
                        }
                    }
                    // One edge, or edges keyed by their own IDs.
                    Value::Map(_) if value.get("source").is_some() => {
                        edges.extend(read_edge(value, path, Some(section))?);
                    }
                    Value::Map(inner) => {
                        for (edge_key, edge) in inner {
                            let p = format!("{path}[{}]", edge_key.as_str().unwrap_or("?"));
                            edges.extend(read_edge(edge, p, Some(section))?);
                        }
                    }
                    Value::Scalar(_) => {
                        return Err(shape(
                            path,
                            format!("expected a list of edges, found text ({})", value.at()),
                        ));
                    }
                }
            }
        }
        _ => {
            return Err(shape(
                "relationships",
                format!(
                    "expected a mapping or a list of edges, found {} ({})",
                    node.describe(),
                    node.at()
                ),
            ));
        }
    }
    Ok(edges)
}

/// The first matrix object's tactic list, if the file has one.
fn matrix_tactics(top: &Obj) -> Result<Option<(Vec<String>, String)>, ImportError> {
    let (matrix, path): (&Node, String) = match top.get_any(&["matrices", "matrix"]) {
        None => return Ok(None),
        Some((node, path)) => match &node.value {
            Value::Seq(items) => match items.first() {
                Some(first) => (first, index(&path, 0)),
                None => return Ok(None),
            },
            // A single matrix object, or matrices keyed by matrix ID.
            Value::Map(_) if node.get("tactics").is_some() => (node, path),
            Value::Map(entries) => match entries.first() {
                Some((key, value)) => (value, format!("{path}[{}]", key.as_str().unwrap_or("?"))),
                None => return Ok(None),
            },
            _ => {
                return Err(shape(
                    path,
                    format!(
                        "expected a matrix object or a list of them, found {} ({})",
                        node.describe(),
                        node.at()
                    ),
                ));
            }
        },
    };
    let obj = Obj::new(matrix, &path)?;
    let Some((items, list_path)) = obj.list(&["tactics"]) else {
        return Ok(None);
    };
    let ids = items
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.is_null())
        .map(|(i, n)| id_ref(n, &index(&list_path, i)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some((ids, list_path)))
}
