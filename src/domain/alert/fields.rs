//! Reading values out of an alert's JSON: ATLAS IDs as SIEMs spell them,
//! dotted paths, text, times, severities and the content hash.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::atlas::ids::{is_tactic_id, is_technique_id};
use crate::domain::enums::Severity;

/// Normalises a technique ID as SIEMs spell it: `T0051`, `aml.t0051`,
/// ` AML.T0051.001 ` all become `AML.T####(.###)`. `None` for anything else.
pub fn normalize_technique_id(raw: &str) -> Option<String> {
    let id = normalize(raw)?;
    is_technique_id(&id).then_some(id)
}

/// Normalises a tactic ID (`TA0004`, `aml.ta0004`) to `AML.TA####`.
pub fn normalize_tactic_id(raw: &str) -> Option<String> {
    let id = normalize(raw)?;
    is_tactic_id(&id).then_some(id)
}

fn normalize(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 20 || !s.is_ascii() {
        return None;
    }
    let upper = s.to_ascii_uppercase();
    Some(if upper.starts_with("AML.") {
        upper
    } else {
        format!("AML.{upper}")
    })
}

/// Looks a dotted path up in a JSON object, as nested objects (`host` → `name`)
/// or as flattened keys (`"host.name"`), or any mix of the two.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let segments: Vec<&str> = path.split('.').collect();
    lookup_segments(value, &segments)
}

fn lookup_segments<'a>(value: &'a Value, segments: &[&str]) -> Option<&'a Value> {
    let obj = value.as_object()?;
    for i in (1..=segments.len()).rev() {
        let key = segments[..i].join(".");
        if let Some(child) = obj.get(&key) {
            if i == segments.len() {
                return Some(child);
            }
            if let Some(found) = lookup_segments(child, &segments[i..]) {
                return Some(found);
            }
        }
    }
    None
}

/// A scalar as text (strings trimmed, numbers and booleans written out); the
/// first element of an array of scalars.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => items.iter().find_map(scalar_text),
        _ => None,
    }
}

pub(super) fn text_at(value: &Value, path: &str) -> Option<String> {
    lookup(value, path).and_then(scalar_text)
}

/// Every string at a path: a string, or the strings of an array.
pub(super) fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::Number(n)) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

/// The objects at a path: one object, or the objects of an array.
pub(super) fn objects(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(v @ Value::Object(_)) => vec![v],
        Some(Value::Array(items)) => items.iter().filter(|v| v.is_object()).collect(),
        _ => Vec::new(),
    }
}

/// Keeps printable text on one line, at most `max` characters.
pub fn tidy(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .chars()
        .take(max)
        .collect()
}

/// A time as alerts write it: RFC 3339 text, or a number of seconds or
/// milliseconds since 1970 (OCSF uses milliseconds).
pub fn parse_event_time(value: &Value) -> Result<DateTime<Utc>, String> {
    let bad = || {
        format!(
            "`{}` is not an RFC 3339 time or a Unix timestamp",
            tidy(&value.to_string(), 60)
        )
    };
    match value {
        Value::String(s) => {
            let s = s.trim();
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return Ok(t.with_timezone(&Utc));
            }
            if let Ok(n) = s.parse::<f64>() {
                return epoch(n).ok_or_else(bad);
            }
            Err(bad())
        }
        Value::Number(n) => n.as_f64().and_then(epoch).ok_or_else(bad),
        _ => Err(bad()),
    }
}

fn epoch(n: f64) -> Option<DateTime<Utc>> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    // Above 1e11 seconds is the year 5138: such a number is milliseconds.
    let millis = if n > 1e11 { n } else { n * 1000.0 };
    if millis > 253_402_300_799_000.0 {
        return None;
    }
    Utc.timestamp_millis_opt(millis as i64).single()
}

/// Severity words and numbers of the shapes we read: ours and ECS/Kibana
/// words (`low` … `critical`, any case), OCSF words (`Informational`,
/// `Fatal`) and `severity_id` (1–6), ECS `event.severity` risk scores (0–100).
pub fn parse_severity(value: &Value, scale: SeverityScale) -> Result<Severity, String> {
    let bad = || {
        format!(
            "`{}` is not a severity: use low, medium, high or critical",
            tidy(&value.to_string(), 40)
        )
    };
    match value {
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "info" | "informational" | "low" => Ok(Severity::Low),
            "medium" | "moderate" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" | "fatal" => Ok(Severity::Critical),
            other => match other.parse::<f64>() {
                Ok(n) => number_severity(n, scale).ok_or_else(bad),
                Err(_) => Err(bad()),
            },
        },
        Value::Number(n) => n
            .as_f64()
            .and_then(|n| number_severity(n, scale))
            .ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// How to read a numeric severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeverityScale {
    /// ECS/Kibana risk score 0–100.
    Risk,
    /// OCSF `severity_id` 0–6.
    OcsfId,
}

fn number_severity(n: f64, scale: SeverityScale) -> Option<Severity> {
    match scale {
        SeverityScale::Risk if (0.0..=100.0).contains(&n) => Some(if n < 22.0 {
            Severity::Low
        } else if n < 48.0 {
            Severity::Medium
        } else if n < 74.0 {
            Severity::High
        } else {
            Severity::Critical
        }),
        SeverityScale::OcsfId => match n as i64 {
            0..=2 => Some(Severity::Low),
            3 => Some(Severity::Medium),
            4 => Some(Severity::High),
            5 | 6 => Some(Severity::Critical),
            _ => None,
        },
        _ => None,
    }
}

/// The content hash that identifies an alert sent without an ID: SHA-256 of
/// its JSON with keys sorted (so key order does not matter).
pub fn content_hash(value: &Value) -> String {
    // serde_json's map keeps keys sorted, so this text is canonical.
    let text = value.to_string();
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}
