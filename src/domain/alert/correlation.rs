//! Correlation rules: which alerts join one open incident, and for how long.

use serde_json::Value;

use super::fields::{text_at, tidy};

/// The correlation key of an alert under a rule: the values of the rule's
/// fields joined by ` / `, or `None` when one of them is missing.
pub fn correlation_key(alert: &Value, fields: &[String]) -> Option<String> {
    let mut parts = Vec::with_capacity(fields.len());
    for f in fields {
        parts.push(tidy(&text_at(alert, f)?, 100));
    }
    let key = parts.join(" / ");
    (!key.is_empty()).then_some(key)
}

/// A correlation rule: alerts with the same values of `fields` join one open
/// incident while its last alert is at most `idle` old.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationRule {
    pub name: String,
    pub fields: Vec<String>,
    pub idle_seconds: i64,
}

/// The default idle window: 24 hours.
pub const DEFAULT_IDLE_SECONDS: i64 = 24 * 3600;

/// The rule used when no configured rule matches: one incident per source.
pub fn fallback_rule() -> CorrelationRule {
    CorrelationRule {
        name: "by source".to_string(),
        fields: vec!["source".to_string()],
        idle_seconds: DEFAULT_IDLE_SECONDS,
    }
}

/// Checks a rule as entered (CLI, admin form, config file): a name, 1–5
/// dotted field names, a window of one minute to 90 days.
pub fn validate_rule(
    name: &str,
    fields: &[String],
    idle_seconds: i64,
) -> Result<CorrelationRule, Vec<crate::domain::ValidationError>> {
    use crate::domain::ValidationError as V;
    let mut problems = Vec::new();
    let name = tidy(name, 200);
    if name.is_empty() {
        problems.push(V::new("name", "is required"));
    } else if name == fallback_rule().name {
        problems.push(V::new("name", "`by source` is the built-in rule's name"));
    }
    let fields: Vec<String> = fields
        .iter()
        .flat_map(|f| f.split(','))
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect();
    if fields.is_empty() {
        problems.push(V::new(
            "fields",
            "name at least one key field, such as host.name",
        ));
    }
    if fields.len() > 5 {
        problems.push(V::new("fields", "at most 5 key fields"));
    }
    for f in &fields {
        let ok = f.len() <= 100
            && f.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !ok {
            problems.push(V::new(
                "fields",
                format!("`{}` is not a field name like host.name", tidy(f, 100)),
            ));
        }
    }
    if !(60..=90 * 24 * 3600).contains(&idle_seconds) {
        problems.push(V::new(
            "idle_window",
            "must be between 1 minute and 90 days",
        ));
    }
    if problems.is_empty() {
        Ok(CorrelationRule {
            name,
            fields,
            idle_seconds,
        })
    } else {
        Err(problems)
    }
}

/// Reads a window written `90s`, `30m`, `24h`, `7d` or a number of seconds.
pub fn parse_window(text: &str) -> Option<i64> {
    let t = text.trim().to_ascii_lowercase();
    let (number, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t.as_str(), "s"),
    };
    let n: i64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "s" | "sec" | "secs" | "seconds" => 1,
        "m" | "min" | "mins" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// A window as a person writes it: `24h`, `90m`, `2d`.
pub fn format_window(seconds: i64) -> String {
    if seconds % 86_400 == 0 {
        format!("{}d", seconds / 86_400)
    } else if seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else if seconds % 60 == 0 {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}
