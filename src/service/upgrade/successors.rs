//! The successor table as admins edit it: shipped entries with overrides,
//! each change audited.

use serde::Deserialize;

use crate::atlas::ids::is_technique_id;
use crate::atlas::successors::{self, Successor, SuccessorTable};
use crate::domain::ValidationError;
use crate::service::ServiceError;
use crate::store::{AuditEvent, Store};

/// The effective successor table: shipped entries with the admin's overrides.
pub async fn successor_table(store: &Store) -> Result<SuccessorTable, ServiceError> {
    let overrides = store.successor_overrides().await?;
    Ok(SuccessorTable::new(&successors::shipped(), &overrides))
}

/// Who runs an upgrade or changes the successor table, for the audit log.
#[derive(Debug, Clone)]
pub struct Who {
    pub actor: String,
    pub ip: String,
}

/// An admin's successor entry as submitted (form or CLI).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SuccessorInput {
    pub technique: String,
    /// Empty: the technique has no successor (hides a shipped entry).
    pub successor: String,
    pub release: String,
    pub note: String,
}

/// Checks an entry, naming every problem at once.
async fn validate_successor(
    store: &Store,
    input: &SuccessorInput,
) -> Result<Successor, ServiceError> {
    let technique = input.technique.trim();
    let successor = input.successor.trim();
    let mut problems: Vec<(&str, String)> = Vec::new();
    if !is_technique_id(technique) {
        problems.push((
            "technique",
            "must be a technique ID such as AML.T0019".to_string(),
        ));
    }
    if !successor.is_empty() {
        if !is_technique_id(successor) {
            problems.push((
                "successor",
                "must be a technique ID such as AML.T0115.000, or empty for none".to_string(),
            ));
        } else if successor == technique {
            problems.push(("successor", "must differ from the technique".to_string()));
        } else if !store.technique_known(successor).await? {
            problems.push((
                "successor",
                format!("{successor} is not a technique of any stored ATLAS release"),
            ));
        }
    }
    let release = input.release.trim();
    if release.chars().count() > 20 || release.contains(char::is_control) {
        problems.push(("release", "at most 20 characters on one line".to_string()));
    }
    let note = input.note.trim();
    if note.chars().count() > 500 || note.contains(['\n', '\r']) {
        problems.push(("note", "at most 500 characters on one line".to_string()));
    }
    if !problems.is_empty() {
        let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        let message: Vec<String> = problems.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        return Err(ValidationError::new(fields.join(", "), message.join("; ")).into());
    }
    Ok(Successor {
        technique: technique.to_string(),
        successor: (!successor.is_empty()).then(|| successor.to_string()),
        release: release.to_string(),
        note: note.to_string(),
    })
}

/// Sets the admin's entry for a technique (replacing the shipped one).
pub async fn set_successor(
    store: &Store,
    input: &SuccessorInput,
    who: &Who,
) -> Result<Successor, ServiceError> {
    let entry = validate_successor(store, input).await?;
    let audit = AuditEvent {
        actor: who.actor.clone(),
        action: "atlas.successor",
        target: entry.technique.clone(),
        detail: match &entry.successor {
            Some(s) => format!("successor set to {s}"),
            None => "set to no successor".to_string(),
        },
        ip: who.ip.clone(),
    };
    store.set_successor_override(&entry, &audit).await?;
    Ok(entry)
}

/// Removes the admin's entry for a technique; the shipped one applies again.
pub async fn clear_successor(
    store: &Store,
    technique: &str,
    who: &Who,
) -> Result<(), ServiceError> {
    let technique = technique.trim();
    if !is_technique_id(technique) {
        return Err(
            ValidationError::new("technique", "must be a technique ID such as AML.T0019").into(),
        );
    }
    let audit = AuditEvent {
        actor: who.actor.clone(),
        action: "atlas.successor",
        target: technique.to_string(),
        detail: "override removed".to_string(),
        ip: who.ip.clone(),
    };
    store.clear_successor_override(technique, &audit).await?;
    Ok(())
}
