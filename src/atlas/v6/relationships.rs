//! The `relationships` section of a format-6 file: every edge, checked
//! against the keys it sits under, with typed access to its ends.

use crate::atlas::error::ImportError;
use crate::atlas::ids::IdKind;
use crate::atlas::ids::classify_id;
use crate::atlas::reader::{Obj, index, join, shape};
use crate::atlas::yaml::Value;

/// One edge under `relationships`.
pub(super) struct Edge<'a> {
    /// The relationship type (the section key).
    pub(super) kind: String,
    pub(super) source: String,
    pub(super) target: String,
    pub(super) path: String,
    pub(super) obj: Obj<'a>,
}

impl Edge<'_> {
    pub(super) fn check(
        &self,
        end: &str,
        id: &str,
        kinds: &[IdKind],
        pattern: &'static str,
    ) -> Result<(), ImportError> {
        match classify_id(id) {
            Some(k) if kinds.contains(&k) => Ok(()),
            _ => Err(ImportError::MalformedId {
                field: join(&self.path, end),
                id: id.to_string(),
                expected: pattern,
            }),
        }
    }

    pub(super) fn source_of(
        &self,
        kinds: &[IdKind],
        pattern: &'static str,
    ) -> Result<String, ImportError> {
        self.check("source", &self.source, kinds, pattern)?;
        Ok(self.source.clone())
    }

    pub(super) fn target_of(&self, kind: IdKind) -> Result<String, ImportError> {
        self.target_of_any(&[kind], kind.pattern())
    }

    pub(super) fn target_of_any(
        &self,
        kinds: &[IdKind],
        pattern: &'static str,
    ) -> Result<String, ImportError> {
        self.check("target", &self.target, kinds, pattern)?;
        Ok(self.target.clone())
    }

    /// The 1-based column of a `sequences` edge.
    pub(super) fn position(&self) -> Result<u64, ImportError> {
        let text = self.obj.req_str("position")?;
        match text.trim().parse::<u64>() {
            Ok(p) if p >= 1 => Ok(p),
            _ => Err(shape(
                join(&self.path, "position"),
                format!(
                    "expected a column number from 1, found `{text}` ({})",
                    self.obj.node.at()
                ),
            )),
        }
    }
}

/// Every edge under `relationships`: a map from a source ID to a map from
/// relationship type to a list of edges. Each edge repeats its `source` and
/// `relationship-type`, which must agree with the keys it sits under.
pub(super) fn read_edges<'a>(top: &Obj<'a>) -> Result<Vec<Edge<'a>>, ImportError> {
    let Some(node) = top.get("relationships") else {
        return Ok(Vec::new());
    };
    let Value::Map(by_source) = &node.value else {
        return Err(shape(
            "relationships",
            format!(
                "expected a mapping from source IDs to relationship types, found {} ({})",
                node.describe(),
                node.at()
            ),
        ));
    };
    let mut edges = Vec::new();
    for (source_key, by_type) in by_source {
        let Some(source_id) = source_key.as_str() else {
            return Err(shape(
                "relationships",
                format!(
                    "keys must be source IDs, found {} ({})",
                    source_key.describe(),
                    source_key.at()
                ),
            ));
        };
        let source_path = format!("relationships[{source_id}]");
        if by_type.is_null() {
            continue;
        }
        let Value::Map(types) = &by_type.value else {
            return Err(shape(
                source_path,
                format!(
                    "expected a mapping from relationship types to lists of edges, found {} ({})",
                    by_type.describe(),
                    by_type.at()
                ),
            ));
        };
        for (type_key, list) in types {
            let Some(kind) = type_key.as_str() else {
                return Err(shape(
                    source_path,
                    format!(
                        "keys must be relationship types, found {} ({})",
                        type_key.describe(),
                        type_key.at()
                    ),
                ));
            };
            let list_path = join(&source_path, kind);
            let items = match &list.value {
                Value::Null => continue,
                Value::Seq(items) => items,
                _ => {
                    return Err(shape(
                        list_path,
                        format!(
                            "expected a list of edges, found {} ({})",
                            list.describe(),
                            list.at()
                        ),
                    ));
                }
            };
            for (i, item) in items.iter().enumerate() {
                if item.is_null() {
                    continue;
                }
                let path = index(&list_path, i);
                let obj = Obj::new(item, &path)?;
                let source = obj.req_str("source")?;
                if source != source_id {
                    return Err(shape(
                        join(&path, "source"),
                        format!(
                            "`{source}` differs from `{source_id}`, the ID this edge is listed under ({})",
                            item.at()
                        ),
                    ));
                }
                if let Some(written) = obj.opt_str(&["relationship-type"])?
                    && written != kind
                {
                    return Err(shape(
                        join(&path, "relationship-type"),
                        format!(
                            "`{written}` differs from `{kind}`, the type this edge is listed under ({})",
                            item.at()
                        ),
                    ));
                }
                let target = obj.req_str("target")?;
                edges.push(Edge {
                    kind: kind.to_string(),
                    source,
                    target,
                    path,
                    obj,
                });
            }
        }
    }
    Ok(edges)
}
