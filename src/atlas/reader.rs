//! The reader toolkit shared by the legacy and format-6 readers (and the
//! release manifest): error paths, field access on a mapping with errors
//! that name the path and the line, and the readers of the objects both
//! formats share (tactics, techniques, mitigations, case studies).

use std::collections::HashMap;

use super::error::ImportError;
use super::model::{
    AttackRef, CaseStudy, Mitigation, MitigationUse, ProcedureStep, Reference, Tactic, Technique,
};
use super::yaml::{Node, Value};

pub(crate) fn shape(path: impl Into<String>, message: impl Into<String>) -> ImportError {
    let path = path.into();
    ImportError::Shape {
        path: if path.is_empty() {
            "(top level)".to_string()
        } else {
            path
        },
        message: message.into(),
    }
}

/// `parent.key`, or `key` at the top.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// A mapping node together with its path, for field access with good errors.
#[derive(Clone)]
pub(crate) struct Obj<'a> {
    pub node: &'a Node,
    pub path: String,
}

impl<'a> Obj<'a> {
    /// Wrap a mapping; anything else, or a mapping that repeats a key, is a
    /// shape error.
    pub fn new(node: &'a Node, path: &str) -> Result<Self, ImportError> {
        match &node.value {
            Value::Map(entries) => {
                let mut seen: HashMap<&str, &Node> = HashMap::new();
                for (key, _) in entries {
                    if let Some(k) = key.as_str()
                        && let Some(first) = seen.insert(k, key)
                    {
                        return Err(shape(
                            join(path, k),
                            format!("given twice ({} and {})", first.at(), key.at()),
                        ));
                    }
                }
                Ok(Obj {
                    node,
                    path: path.to_string(),
                })
            }
            _ => Err(shape(
                path,
                format!(
                    "expected a mapping, found {} ({})",
                    node.describe(),
                    node.at()
                ),
            )),
        }
    }

    /// The value of `key`, if present and not null.
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.node.get(key)
    }

    /// The first of `keys` that is present with a non-null value, and its path.
    pub fn get_any(&self, keys: &[&str]) -> Option<(&'a Node, String)> {
        keys.iter()
            .find_map(|k| self.get(k).map(|n| (n, join(&self.path, k))))
    }

    fn text_of(node: &Node, path: &str) -> Result<String, ImportError> {
        node.as_str().map(str::to_string).ok_or_else(|| {
            shape(
                path,
                format!("expected text, found {} ({})", node.describe(), node.at()),
            )
        })
    }

    /// A required text field; absent, null or empty is an error.
    pub fn req_str(&self, key: &str) -> Result<String, ImportError> {
        let path = join(&self.path, key);
        match self.get(key) {
            None => Err(shape(
                path,
                format!("missing (in the mapping at {})", self.node.at()),
            )),
            Some(node) => {
                let s = Self::text_of(node, &path)?;
                if s.trim().is_empty() {
                    Err(shape(path, format!("must not be empty ({})", node.at())))
                } else {
                    Ok(s)
                }
            }
        }
    }

    /// An optional text field under any of `keys`; empty text counts as absent.
    pub fn opt_str(&self, keys: &[&str]) -> Result<Option<String>, ImportError> {
        match self.get_any(keys) {
            None => Ok(None),
            Some((node, path)) => {
                let s = Self::text_of(node, &path)?;
                Ok((!s.trim().is_empty()).then_some(s))
            }
        }
    }

    /// An optional list under any of `keys`; a single non-list value is taken
    /// as a one-element list.
    pub fn list(&self, keys: &[&str]) -> Option<(Vec<&'a Node>, String)> {
        self.get_any(keys).map(|(node, path)| match &node.value {
            Value::Seq(items) => (items.iter().collect(), path),
            _ => (vec![node], path),
        })
    }
}

/// Text that names an object: either plain text, or a mapping with an `id`.
pub(crate) fn id_ref(node: &Node, path: &str) -> Result<String, ImportError> {
    match &node.value {
        Value::Scalar(s) => Ok(s.clone()),
        Value::Map(_) => Obj::new(node, path)?.req_str("id"),
        _ => Err(shape(
            path,
            format!(
                "expected an ID or a mapping with an `id`, found {} ({})",
                node.describe(),
                node.at()
            ),
        )),
    }
}

const ATTACK_REF_KEYS: &[&str] = &["ATT&CK-reference", "attack-reference", "attack_reference"];

pub(crate) fn attack_ref(obj: &Obj) -> Result<Option<AttackRef>, ImportError> {
    let Some((node, path)) = obj.get_any(ATTACK_REF_KEYS) else {
        return Ok(None);
    };
    match &node.value {
        Value::Scalar(s) => Ok(Some(AttackRef {
            id: s.clone(),
            url: None,
        })),
        Value::Map(_) => {
            let o = Obj::new(node, &path)?;
            let Some(id) = o.opt_str(&["id"])? else {
                return Ok(None);
            };
            Ok(Some(AttackRef {
                id,
                url: o.opt_str(&["url"])?,
            }))
        }
        _ => Err(shape(
            path,
            format!(
                "expected a mapping with `id` and `url`, found {} ({})",
                node.describe(),
                node.at()
            ),
        )),
    }
}

/// Fields common to tactic objects of both formats. `id` comes from the
/// caller (an `id` field in legacy, the map key in v6).
pub(crate) fn read_tactic(obj: &Obj, id: String) -> Result<Tactic, ImportError> {
    Ok(Tactic {
        id,
        name: obj.req_str("name")?,
        description: obj.opt_str(&["description"])?,
        attack_ref: attack_ref(obj)?,
    })
}

/// Fields common to technique objects. Inline `tactics` and
/// `subtechnique-of` are read where present (legacy always, v6 maybe).
pub(crate) fn read_technique(obj: &Obj, id: String) -> Result<Technique, ImportError> {
    let parent = match obj.get_any(&["subtechnique-of", "subtechnique_of", "parent"]) {
        None => None,
        Some((node, path)) => Some(id_ref(node, &path)?),
    };
    let mut tactics = Vec::new();
    if let Some((items, path)) = obj.list(&["tactics"]) {
        for (i, n) in items.iter().enumerate() {
            if n.is_null() {
                continue;
            }
            push_unique(&mut tactics, id_ref(n, &index(&path, i))?);
        }
    }
    Ok(Technique {
        id,
        name: obj.req_str("name")?,
        description: obj.opt_str(&["description"])?,
        parent,
        tactics,
        maturity: obj.opt_str(&["maturity"])?,
        attack_ref: attack_ref(obj)?,
        platforms: Vec::new(),
    })
}

/// Mitigation fields, with an inline `techniques` list whose items are
/// `{id, use}` mappings or plain IDs.
pub(crate) fn read_mitigation(obj: &Obj, id: String) -> Result<Mitigation, ImportError> {
    let mut techniques: Vec<MitigationUse> = Vec::new();
    if let Some((items, path)) = obj.list(&["techniques"]) {
        for (i, n) in items.iter().enumerate() {
            let p = index(&path, i);
            let (technique, usage) = match &n.value {
                Value::Null => continue,
                Value::Scalar(s) => (s.clone(), None),
                _ => {
                    let o = Obj::new(n, &p)?;
                    (
                        o.req_str("id")?,
                        o.opt_str(&["use", "usage", "description"])?,
                    )
                }
            };
            // Kept as written: the same technique may appear twice with two usages.
            techniques.push(MitigationUse { technique, usage });
        }
    }
    Ok(Mitigation {
        id,
        name: obj.req_str("name")?,
        description: obj.opt_str(&["description"])?,
        techniques,
    })
}

pub(crate) fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Case-study fields. The ordered `procedure` is read if present; a step
/// without a tactic gets an empty one, filled later from its technique.
pub(crate) fn read_case_study(obj: &Obj, id: String) -> Result<CaseStudy, ImportError> {
    let mut procedure = Vec::new();
    if let Some((items, path)) = obj.list(&["procedure"]) {
        for (i, n) in items.iter().enumerate() {
            let p = index(&path, i);
            let step = Obj::new(n, &p)?;
            let technique = match step.get_any(&["technique"]) {
                Some((t, tp)) => id_ref(t, &tp)?,
                None => step.req_str("technique")?,
            };
            let tactic = match step.get_any(&["tactic"]) {
                Some((t, tp)) => id_ref(t, &tp)?,
                None => String::new(),
            };
            procedure.push(ProcedureStep {
                tactic,
                technique,
                description: step.opt_str(&["description"])?,
            });
        }
    }
    let mut references = Vec::new();
    if let Some((items, path)) = obj.list(&["references"]) {
        for (i, n) in items.iter().enumerate() {
            let p = index(&path, i);
            let reference = match &n.value {
                Value::Null => continue,
                Value::Scalar(s) => Reference {
                    title: None,
                    url: Some(s.clone()),
                },
                _ => {
                    let o = Obj::new(n, &p)?;
                    Reference {
                        title: o.opt_str(&["title"])?,
                        url: o.opt_str(&["url"])?,
                    }
                }
            };
            if reference.title.is_some() || reference.url.is_some() {
                references.push(reference);
            }
        }
    }
    Ok(CaseStudy {
        id,
        name: obj.req_str("name")?,
        summary: obj.opt_str(&["summary", "description"])?,
        incident_date: obj.opt_str(&["incident-date", "incident_date"])?,
        incident_date_granularity: obj
            .opt_str(&["incident-date-granularity", "incident_date_granularity"])?,
        target: obj.opt_str(&["target"])?,
        actor: obj.opt_str(&["actor"])?,
        reporter: obj.opt_str(&["reporter"])?,
        case_study_type: obj.opt_str(&["case-study-type", "case_study_type"])?,
        references,
        procedure,
    })
}
