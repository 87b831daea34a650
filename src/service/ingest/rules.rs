//! Correlation rules: one saved from the CLI or the admin page, or a file of them.

use crate::domain::ValidationError;
use crate::domain::alert::tidy;
use crate::store::{AuditEvent, RuleRow, Store};

/// Adds or replaces a correlation rule (CLI, admin page, config file).
pub async fn save_rule(
    store: &Store,
    name: &str,
    fields: &[String],
    idle_window: &str,
) -> Result<bool, RuleError> {
    let window = if idle_window.trim().is_empty() {
        Some(crate::domain::alert::DEFAULT_IDLE_SECONDS)
    } else {
        crate::domain::alert::parse_window(idle_window)
    };
    let Some(seconds) = window else {
        let mut problems = match crate::domain::alert::validate_rule(name, fields, 3600) {
            Ok(_) => Vec::new(),
            Err(p) => p,
        };
        problems.push(ValidationError::new(
            "idle_window",
            format!(
                "`{}` is not a window like 30m, 24h or 7d",
                tidy(idle_window, 40)
            ),
        ));
        return Err(RuleError::Invalid(problems));
    };
    let rule =
        crate::domain::alert::validate_rule(name, fields, seconds).map_err(RuleError::Invalid)?;
    Ok(store.save_rule(&rule).await?)
}

/// A rule that could not be saved: every problem, or the store's failure.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ValidationError>),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The rules file: `rules: [{name, key: [fields…], idle_window: 24h}]`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rules: Vec<RuleEntry>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    name: String,
    key: Vec<String>,
    #[serde(default)]
    idle_window: Option<String>,
}

/// Loads correlation rules from a YAML (or JSON) file; every rule is checked
/// before any is saved. Returns how many were saved.
pub async fn load_rules_file(store: &Store, text: &str) -> Result<usize, RuleError> {
    let file: RulesFile = serde_saphyr::from_str(text).map_err(|e| {
        RuleError::Invalid(vec![ValidationError::new(
            "file",
            format!("not a rules file: {e}"),
        )])
    })?;
    let mut problems = Vec::new();
    let mut rules = Vec::new();
    for (i, entry) in file.rules.iter().enumerate() {
        let window = entry.idle_window.as_deref().unwrap_or("24h");
        let seconds = crate::domain::alert::parse_window(window).unwrap_or(-1);
        match crate::domain::alert::validate_rule(&entry.name, &entry.key, seconds) {
            Ok(rule) => rules.push(rule),
            Err(p) => problems.extend(
                p.into_iter()
                    .map(|v| ValidationError::new(format!("rules[{i}].{}", v.field), v.message)),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(RuleError::Invalid(problems));
    }
    for rule in &rules {
        store.save_rule(rule).await?;
    }
    Ok(rules.len())
}

/// Deletes a correlation rule by name and records who did it; `false` when
/// no rule has that name (nothing is recorded then).
pub async fn delete_rule(
    store: &Store,
    name: &str,
    actor: &str,
    ip: &str,
) -> Result<bool, crate::store::StoreError> {
    if !store.delete_rule(name).await? {
        return Ok(false);
    }
    store
        .audit(AuditEvent {
            actor: actor.to_string(),
            action: "rule.delete",
            target: name.to_string(),
            detail: String::new(),
            ip: ip.to_string(),
        })
        .await?;
    Ok(true)
}

/// The correlation rules, in the order they are tried.
pub async fn list_rules(store: &Store) -> Result<Vec<RuleRow>, crate::store::StoreError> {
    store.list_rules().await
}
