//! The legacy single-file format (`dist/ATLAS.yaml`, releases 4.x to 5.6):
//!
//! ```yaml
//! id: ATLAS
//! name: ...
//! version: 5.6.0
//! matrices:
//! - id: ATLAS
//!   tactics: [{id, name, description, ATT&CK-reference}]        # column order
//!   techniques: [{id, name, subtechnique-of, tactics, maturity, ATT&CK-reference}]
//!   mitigations: [{id, name, techniques: [{id, use}]}]
//! case-studies: [{id, name, summary, incident-date, procedure: [{tactic, technique, description}], ...}]
//! ```
//!
//! Unknown fields are ignored; `id` and `name` are required everywhere.

use super::error::ImportError;
use super::model::{Release, SourceFormat};
use super::reader::{
    Obj, index, join, read_case_study, read_mitigation, read_tactic, read_technique, shape,
};
use super::yaml::{Node, Value};

/// Build a [`Release`] from a legacy document (not yet validated).
pub(crate) fn release_from_tree(root: &Node) -> Result<Release, ImportError> {
    let top = Obj::new(root, "")?;
    let version = top.req_str("version")?;
    let name = top.req_str("name")?;

    let matrices = match top.get("matrices") {
        Some(Node {
            value: Value::Seq(items),
            ..
        }) if !items.is_empty() => items,
        Some(node) => {
            return Err(shape(
                "matrices",
                format!(
                    "expected a non-empty list of matrices, found {} ({})",
                    node.describe(),
                    node.at()
                ),
            ));
        }
        None => return Err(shape("matrices", "missing")),
    };
    let matrix = Obj::new(&matrices[0], "matrices[0]")?;

    let tactics = each_object(&matrix, "tactics", |obj| {
        read_tactic(obj, obj.req_str("id")?)
    })?;
    let techniques = each_object(&matrix, "techniques", |obj| {
        read_technique(obj, obj.req_str("id")?)
    })?;
    let mitigations = each_object(&matrix, "mitigations", |obj| {
        read_mitigation(obj, obj.req_str("id")?)
    })?;
    let case_studies = each_object(&top, "case-studies", |obj| {
        read_case_study(obj, obj.req_str("id")?)
    })?;

    Ok(Release {
        version,
        name,
        format: SourceFormat::Legacy,
        tactics,
        techniques,
        mitigations,
        case_studies,
    })
}

/// Read every mapping of the list `parent.key` (absent or null: none).
fn each_object<T>(
    parent: &Obj,
    key: &str,
    mut read: impl FnMut(&Obj) -> Result<T, ImportError>,
) -> Result<Vec<T>, ImportError> {
    let path = join(&parent.path, key);
    let items = match parent.get(key) {
        None => return Ok(Vec::new()),
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => items,
        Some(node) => {
            return Err(shape(
                path,
                format!("expected a list, found {} ({})", node.describe(), node.at()),
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let p = index(&path, i);
            read(&Obj::new(node, &p)?)
        })
        .collect()
}
