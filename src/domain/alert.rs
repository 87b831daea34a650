//! Alerts from SIEMs and detection pipelines, and how ATLAS IDs are read from
//! them. Pure functions: no HTTP, no SQL.
//!
//! Accepted shapes, detected per alert (an alert may combine them):
//! - ours: `{id, time, technique | techniques[], tactic?, severity?, title?, source?, …, raw?}`;
//! - Elastic ECS: `threat` (or `kibana.alert.rule.threat`) with `framework` = "MITRE ATLAS",
//!   `@timestamp`, `event.id`, `kibana.alert.rule.name`, and rule tags `Mitre Atlas: T0051`;
//! - OCSF: `attacks[]` with `technique.uid`, `sub_technique.uid`, `tactic.uid`; `time`,
//!   `metadata.uid`, `finding_info.title`;
//! - Sigma-style tags: `atlas.aml.t0051`, `atlas.t0051.001`, `atlas.ta0004`.

mod correlation;
mod fields;

pub use correlation::{
    CorrelationRule, DEFAULT_IDLE_SECONDS, correlation_key, fallback_rule, format_window,
    parse_window, validate_rule,
};
pub use fields::{
    SeverityScale, content_hash, lookup, normalize_tactic_id, normalize_technique_id,
    parse_event_time, parse_severity, scalar_text, tidy,
};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::enums::Severity;
use fields::{objects, strings, text_at};

/// Largest number of alerts one request or one CLI batch may carry.
pub const MAX_ALERTS_PER_REQUEST: usize = 10_000;
/// Longest alert ID, source name or correlation key kept, in characters.
pub const MAX_ID: usize = 200;
/// Longest alert title kept, in characters.
pub const MAX_TITLE: usize = 200;
/// Most ATLAS techniques read from one alert.
pub const MAX_HITS: usize = 20;

/// Which shape an alert was read as (the first that gave an ATLAS ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Plain,
    Ecs,
    Ocsf,
    Sigma,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Plain => "plain",
            Shape::Ecs => "ecs",
            Shape::Ocsf => "ocsf",
            Shape::Sigma => "sigma",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Shape::Plain => "atlasview",
            Shape::Ecs => "Elastic ECS",
            Shape::Ocsf => "OCSF",
            Shape::Sigma => "Sigma tags",
        }
    }
}

/// One ATLAS technique named by an alert, with the tactic the alert gives for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// As written in the alert (trimmed), for the unmapped queue.
    pub raw: String,
    /// `AML.T####(.###)`.
    pub technique: String,
    /// The alert's own tactic for it, normalised (checked later against the release).
    pub tactic: Option<String>,
}

/// An alert read from its JSON, ready for correlation.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedAlert {
    pub shape: Shape,
    pub source: String,
    /// The sender's ID, or `sha256:<hash>` of the alert's content when it has none.
    pub alert_id: String,
    pub event_at: DateTime<Utc>,
    pub severity: Option<Severity>,
    pub title: String,
    pub hits: Vec<Hit>,
}

/// Collects technique IDs (and refusals of malformed ones) while reading.
#[derive(Default)]
struct Reader {
    hits: Vec<Hit>,
    problems: Vec<String>,
    shape: Option<Shape>,
}

impl Reader {
    fn technique(&mut self, shape: Shape, field: &str, raw: &str, tactic: Option<String>) {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return;
        }
        match normalize_technique_id(trimmed) {
            Some(technique) => {
                self.shape.get_or_insert(shape);
                if !self
                    .hits
                    .iter()
                    .any(|h| h.technique == technique && h.tactic == tactic)
                {
                    self.hits.push(Hit {
                        raw: tidy(trimmed, 40),
                        technique,
                        tactic,
                    });
                }
            }
            None => self.problems.push(format!(
                "{field}: `{}` is not an ATLAS technique ID like AML.T0051 or AML.T0051.001",
                tidy(trimmed, 40)
            )),
        }
    }

    fn tactic(&mut self, field: &str, raw: Option<String>) -> Option<String> {
        let raw = raw?;
        match normalize_tactic_id(&raw) {
            Some(t) => Some(t),
            None => {
                self.problems.push(format!(
                    "{field}: `{}` is not an ATLAS tactic ID like AML.TA0004",
                    tidy(&raw, 40)
                ));
                None
            }
        }
    }
}

fn is_atlas_framework(threat: &Value) -> bool {
    text_at(threat, "framework").is_some_and(|f| {
        let f = f.to_ascii_lowercase();
        f.contains("atlas")
    })
}

/// Reads the ECS `threat` objects (at `threat` and `kibana.alert.rule.threat`).
fn read_ecs_threat(alert: &Value, r: &mut Reader) {
    for path in ["threat", "kibana.alert.rule.threat"] {
        let mut threats = objects(lookup(alert, path));
        // Fully flattened documents (`"threat.framework": …` at the top) have
        // no `threat` object: gather its fields into one.
        let gathered;
        if threats.is_empty() && lookup(alert, &format!("{path}.framework")).is_some() {
            let field = |f: &str| lookup(alert, &format!("{path}.{f}")).cloned();
            gathered = serde_json::json!({
                "framework": field("framework"),
                "tactic": {"id": field("tactic.id")},
                "technique": {
                    "id": field("technique.id"),
                    "subtechnique": {"id": field("technique.subtechnique.id")},
                },
            });
            threats.push(&gathered);
        }
        for threat in threats {
            if !is_atlas_framework(threat) {
                continue;
            }
            let tactic = r.tactic(&format!("{path}.tactic.id"), text_at(threat, "tactic.id"));
            let techniques = objects(lookup(threat, "technique"));
            if techniques.is_empty() {
                // Flattened event form: `threat.technique.id: ["T0051"]`.
                for id in strings(lookup(threat, "technique.id")) {
                    r.technique(
                        Shape::Ecs,
                        &format!("{path}.technique.id"),
                        &id,
                        tactic.clone(),
                    );
                }
                for id in strings(lookup(threat, "technique.subtechnique.id")) {
                    r.technique(
                        Shape::Ecs,
                        &format!("{path}.technique.subtechnique.id"),
                        &id,
                        tactic.clone(),
                    );
                }
            }
            for technique in techniques {
                for id in strings(lookup(technique, "id")) {
                    r.technique(
                        Shape::Ecs,
                        &format!("{path}.technique.id"),
                        &id,
                        tactic.clone(),
                    );
                }
                for sub in objects(lookup(technique, "subtechnique")) {
                    for id in strings(lookup(sub, "id")) {
                        r.technique(
                            Shape::Ecs,
                            &format!("{path}.technique.subtechnique.id"),
                            &id,
                            tactic.clone(),
                        );
                    }
                }
                for id in strings(lookup(technique, "subtechnique.id")) {
                    r.technique(
                        Shape::Ecs,
                        &format!("{path}.technique.subtechnique.id"),
                        &id,
                        tactic.clone(),
                    );
                }
            }
        }
    }
}

/// Reads tags: Elastic rule tags `Mitre Atlas: T0051` and Sigma tags `atlas.t0051`.
fn read_tags(alert: &Value, r: &mut Reader) {
    let mut sigma_tactic: Option<String> = None;
    let mut sigma_techniques: Vec<(String, String)> = Vec::new();
    for path in ["tags", "kibana.alert.rule.tags", "rule.tags"] {
        for tag in strings(lookup(alert, path)) {
            let t = tag.trim();
            let lower = t.to_ascii_lowercase();
            if let Some(rest) = lower.strip_prefix("mitre atlas:") {
                let rest = rest.trim();
                if rest.contains(".ta") || rest.starts_with("ta") {
                    continue;
                }
                r.technique(Shape::Ecs, path, rest, None);
            } else if let Some(rest) = lower.strip_prefix("atlas.") {
                let id = rest.trim();
                if normalize_tactic_id(id).is_some() {
                    sigma_tactic = normalize_tactic_id(id);
                } else if id.starts_with("aml.t")
                    || (id.starts_with('t') && id[1..].starts_with(|c: char| c.is_ascii_digit()))
                {
                    sigma_techniques.push((path.to_string(), id.to_string()));
                }
                // Other `atlas.` tags (tactic names such as `atlas.initial-access`) carry no ID.
            }
        }
    }
    for (path, id) in sigma_techniques {
        r.technique(Shape::Sigma, &path, &id, sigma_tactic.clone());
    }
}

fn read_ocsf(alert: &Value, r: &mut Reader) {
    let Some(Value::Array(attacks)) = lookup(alert, "attacks") else {
        return;
    };
    for (i, attack) in attacks.iter().enumerate().take(MAX_HITS) {
        let field = |f: &str| format!("attacks[{i}].{f}");
        let mut tactic = r.tactic(&field("tactic.uid"), text_at(attack, "tactic.uid"));
        if tactic.is_none() {
            // OCSF before 1.1: `tactics[]`.
            if let Some(first) = objects(lookup(attack, "tactics")).first() {
                tactic = r.tactic(&field("tactics[0].uid"), text_at(first, "uid"));
            }
        }
        if let Some(id) = text_at(attack, "sub_technique.uid") {
            r.technique(
                Shape::Ocsf,
                &field("sub_technique.uid"),
                &id,
                tactic.clone(),
            );
        }
        if let Some(id) = text_at(attack, "technique.uid") {
            r.technique(Shape::Ocsf, &field("technique.uid"), &id, tactic);
        }
    }
}

fn read_plain(alert: &Value, r: &mut Reader) {
    let tactic = match lookup(alert, "tactic") {
        Some(Value::String(s)) => r.tactic("tactic", Some(s.clone())),
        Some(Value::Null) | None => None,
        Some(_) => {
            r.problems.push("tactic: must be a string".to_string());
            None
        }
    };
    if let Some(v) = alert.get("technique") {
        match v {
            Value::String(s) => r.technique(Shape::Plain, "technique", s, tactic.clone()),
            Value::Null => {}
            _ => r.problems.push("technique: must be a string".to_string()),
        }
    }
    if let Some(v) = alert.get("techniques") {
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => r.technique(
                            Shape::Plain,
                            &format!("techniques[{i}]"),
                            s,
                            tactic.clone(),
                        ),
                        _ => r
                            .problems
                            .push(format!("techniques[{i}]: must be a string")),
                    }
                }
            }
            Value::Null => {}
            _ => r
                .problems
                .push("techniques: must be a list of technique IDs".to_string()),
        }
    }
}

/// When an alert names a technique and one of its sub-techniques (ECS sends
/// both), the sub-technique is the finding; the parent is dropped.
fn most_specific(hits: Vec<Hit>) -> Vec<Hit> {
    let subs: Vec<(String, Option<String>)> = hits
        .iter()
        .filter_map(|h| {
            h.technique
                .rsplit_once('.')
                .filter(|(_, last)| last.len() == 3)
                .map(|(parent, _)| (parent.to_string(), h.tactic.clone()))
        })
        .collect();
    hits.into_iter()
        .filter(|h| {
            !subs.iter().any(|(parent, tactic)| {
                *parent == h.technique && (tactic == &h.tactic || h.tactic.is_none())
            })
        })
        .collect()
}

/// Reads one alert. `default_source` names the sender when the alert does not
/// (the request's `source` parameter); `now` stands in for a missing time.
/// `Err` lists every reason the alert is refused.
pub fn parse_alert(
    alert: &Value,
    default_source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ParsedAlert, Vec<String>> {
    if !alert.is_object() {
        return Err(vec!["an alert must be a JSON object".to_string()]);
    }
    let mut r = Reader::default();
    read_plain(alert, &mut r);
    read_ecs_threat(alert, &mut r);
    read_ocsf(alert, &mut r);
    read_tags(alert, &mut r);
    let shape = r.shape.unwrap_or(Shape::Plain);
    let mut problems = std::mem::take(&mut r.problems);
    if r.hits.is_empty() && problems.is_empty() {
        problems.push(
            "no ATLAS technique found: send `technique`, `techniques`, an ECS `threat` with framework MITRE ATLAS, OCSF `attacks`, or tags such as `Mitre Atlas: T0051` / `atlas.t0051`"
                .to_string(),
        );
    }
    if r.hits.len() > MAX_HITS {
        problems.push(format!("names more than {MAX_HITS} techniques"));
    }

    let time_value = ["time", "@timestamp", "timestamp", "event.created"]
        .iter()
        .find_map(|p| lookup(alert, p).filter(|v| !v.is_null()).map(|v| (*p, v)));
    let event_at = match time_value {
        Some((path, v)) => match parse_event_time(v) {
            Ok(t) => Some(t),
            Err(m) => {
                problems.push(format!("{path}: {m}"));
                None
            }
        },
        None => Some(now),
    };

    let severity = match severity_value(alert) {
        None => None,
        Some((path, v, scale)) => match parse_severity(v, scale) {
            Ok(s) => Some(s),
            Err(m) => {
                problems.push(format!("{path}: {m}"));
                None
            }
        },
    };

    let id = ["id", "event.id", "kibana.alert.uuid", "metadata.uid", "_id"]
        .iter()
        .find_map(|p| text_at(alert, p).map(|v| (*p, v)));
    let alert_id = match id {
        Some((path, v)) => {
            if v.chars().count() > MAX_ID || v.chars().any(char::is_control) {
                problems.push(format!(
                    "{path}: an alert ID has at most {MAX_ID} printable characters"
                ));
            }
            v
        }
        None => content_hash(alert),
    };

    let source = text_at(alert, "source")
        .filter(|_| alert.get("source").is_some_and(Value::is_string))
        .or_else(|| default_source.map(str::to_string))
        .or_else(|| text_at(alert, "metadata.product.name"))
        .or_else(|| text_at(alert, "observer.name"))
        .unwrap_or_else(|| shape.as_str().to_string());
    let source = tidy(&source, MAX_ID);
    if source.is_empty() {
        problems.push("source: must not be blank".to_string());
    }

    let title = [
        "title",
        "kibana.alert.rule.name",
        "rule.name",
        "finding_info.title",
        "message",
    ]
    .iter()
    .find_map(|p| text_at(alert, p))
    .map(|t| tidy(&t, MAX_TITLE))
    .unwrap_or_default();

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ParsedAlert {
        shape,
        source,
        alert_id,
        event_at: event_at.unwrap_or(now),
        severity,
        title,
        hits: most_specific(r.hits),
    })
}

fn severity_value(alert: &Value) -> Option<(&'static str, &Value, SeverityScale)> {
    [
        ("severity", SeverityScale::OcsfId),
        ("kibana.alert.severity", SeverityScale::Risk),
        ("event.severity", SeverityScale::Risk),
        ("kibana.alert.risk_score", SeverityScale::Risk),
        ("severity_id", SeverityScale::OcsfId),
    ]
    .into_iter()
    .find_map(|(p, scale)| {
        lookup(alert, p)
            .filter(|v| !v.is_null())
            .map(|v| (p, v, scale))
    })
}

/// Splits a request body into alerts: one JSON object, a JSON array of
/// objects, or NDJSON (one object per line, blank lines skipped). A line that
/// is not JSON is refused by its index without failing the others.
pub fn split_body(body: &str) -> Result<Vec<Result<Value, String>>, String> {
    let trimmed = body.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err("the body is empty: send a JSON object, a JSON array or NDJSON".to_string());
    }
    if trimmed.starts_with('[') {
        return match serde_json::from_str::<Vec<Value>>(trimmed) {
            Ok(items) => Ok(items.into_iter().map(Ok).collect()),
            Err(e) => Err(format!("invalid JSON array: {e}")),
        };
    }
    // One object (possibly pretty-printed over several lines) or NDJSON.
    if let Ok(v) = serde_json::from_str::<Value>(trimmed) {
        return Ok(vec![Ok(v)]);
    }
    Ok(trimmed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str::<Value>(l).map_err(|e| format!("invalid JSON: {e}")))
        .collect())
}

/// The candidate tactics of an ingested step, as stored (space-separated).
pub fn split_tactics(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    fn techniques(a: &ParsedAlert) -> Vec<(&str, Option<&str>)> {
        a.hits
            .iter()
            .map(|h| (h.technique.as_str(), h.tactic.as_deref()))
            .collect()
    }

    #[test]
    fn every_id_spelling_is_normalised() {
        for (raw, want) in [
            ("T0051", "AML.T0051"),
            ("t0051", "AML.T0051"),
            ("aml.t0051", "AML.T0051"),
            ("AML.T0051", "AML.T0051"),
            ("  AML.T0051.001 ", "AML.T0051.001"),
            ("aml.t0051.001", "AML.T0051.001"),
            ("T0051.001", "AML.T0051.001"),
        ] {
            assert_eq!(normalize_technique_id(raw).as_deref(), Some(want), "{raw}");
        }
        assert_eq!(normalize_tactic_id("ta0004").as_deref(), Some("AML.TA0004"));
        assert_eq!(
            normalize_tactic_id(" AML.TA0004").as_deref(),
            Some("AML.TA0004")
        );
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "",
            "T51",
            "AML.T00510",
            "AML.X0001",
            "T1059.1",
            "AML.TA0004",
            "ＡML.T0051",
            "AML.T0051.0001",
            "prompt injection",
            "AML. T0051",
        ] {
            assert_eq!(normalize_technique_id(bad), None, "{bad:?}");
        }
        let refused = parse_alert(&json!({"technique": "T51"}), None, now()).unwrap_err();
        assert!(
            refused[0].contains("technique") && refused[0].contains("T51"),
            "{refused:?}"
        );
        let refused = parse_alert(
            &json!({"technique": "AML.T0051", "tactic": "Execution"}),
            None,
            now(),
        )
        .unwrap_err();
        assert!(refused[0].starts_with("tactic:"), "{refused:?}");
    }

    #[test]
    fn plain_shape() {
        let a = parse_alert(
            &json!({"id": "a-1", "time": "2026-02-03T04:05:06+01:00", "techniques": ["t0051", "AML.T0043"],
                    "tactic": "ta0005", "severity": "High", "title": "Injected\nprompt", "source": "guard"}),
            None,
            now(),
        )
        .unwrap();
        assert_eq!(a.shape, Shape::Plain);
        assert_eq!((a.source.as_str(), a.alert_id.as_str()), ("guard", "a-1"));
        assert_eq!(a.event_at.to_rfc3339(), "2026-02-03T03:05:06+00:00");
        assert_eq!(a.severity, Some(Severity::High));
        assert_eq!(a.title, "Injected prompt");
        assert_eq!(
            techniques(&a),
            vec![
                ("AML.T0051", Some("AML.TA0005")),
                ("AML.T0043", Some("AML.TA0005"))
            ]
        );
    }

    #[test]
    fn ecs_shape_nested_flattened_and_rule_tags() {
        let nested = json!({
            "@timestamp": "2026-03-01T10:00:00Z",
            "event": {"id": "evt-9", "severity": 80},
            "host": {"name": "gpu-01"},
            "kibana.alert.rule.name": "LLM prompt injection",
            "threat": [{
                "framework": "MITRE ATLAS",
                "tactic": {"id": "AML.TA0005", "name": "Execution"},
                "technique": [{"id": "AML.T0051", "subtechnique": [{"id": "AML.T0051.001"}]}]
            }, {
                "framework": "MITRE ATT&CK",
                "technique": [{"id": "T1059"}]
            }]
        });
        let a = parse_alert(&nested, None, now()).unwrap();
        assert_eq!(a.shape, Shape::Ecs);
        assert_eq!(a.alert_id, "evt-9");
        assert_eq!(a.title, "LLM prompt injection");
        assert_eq!(a.severity, Some(Severity::Critical));
        // The sub-technique is the finding; ATT&CK IDs are not ATLAS IDs.
        assert_eq!(techniques(&a), vec![("AML.T0051.001", Some("AML.TA0005"))]);
        assert_eq!(
            correlation_key(&nested, &["host.name".into()]).as_deref(),
            Some("gpu-01")
        );

        let flat = json!({
            "@timestamp": 1767225600000_i64,
            "threat.framework": "MITRE ATLAS",
            "threat.technique.id": ["AML.T0043"],
            "host.name": "gpu-02"
        });
        let a = parse_alert(&flat, None, now()).unwrap();
        assert_eq!(techniques(&a), vec![("AML.T0043", None)]);
        assert_eq!(
            a.event_at,
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
        );
        assert!(a.alert_id.starts_with("sha256:"));

        let tags = json!({"kibana.alert.rule.tags": ["Domain: LLM", "Mitre Atlas: T0051", "Mitre Atlas: AML.T0043"],
                          "kibana.alert.severity": "medium"});
        let a = parse_alert(&tags, None, now()).unwrap();
        assert_eq!(
            techniques(&a),
            vec![("AML.T0051", None), ("AML.T0043", None)]
        );
        assert_eq!(a.severity, Some(Severity::Medium));
    }

    #[test]
    fn ocsf_shape() {
        let a = parse_alert(
            &json!({
                "time": 1767225600000_i64,
                "metadata": {"uid": "f-1", "product": {"name": "AI Guard"}},
                "finding_info": {"title": "Model evasion"},
                "severity_id": 4,
                "attacks": [
                    {"technique": {"uid": "AML.T0015"}, "tactic": {"uid": "AML.TA0007"}},
                    {"technique": {"uid": "T0051"}, "sub_technique": {"uid": "T0051.000"}}
                ]
            }),
            None,
            now(),
        )
        .unwrap();
        assert_eq!(a.shape, Shape::Ocsf);
        assert_eq!(
            (a.source.as_str(), a.alert_id.as_str()),
            ("AI Guard", "f-1")
        );
        assert_eq!(a.title, "Model evasion");
        assert_eq!(a.severity, Some(Severity::High));
        assert_eq!(
            techniques(&a),
            vec![("AML.T0015", Some("AML.TA0007")), ("AML.T0051.000", None)]
        );
    }

    #[test]
    fn sigma_tags() {
        let a = parse_alert(
            &json!({"tags": ["attack.t1059", "atlas.aml.t0051", "atlas.t0043.001", "atlas.ta0001", "atlas.initial-access"]}),
            Some("sigma-rules"),
            now(),
        )
        .unwrap();
        assert_eq!(a.shape, Shape::Sigma);
        assert_eq!(a.source, "sigma-rules");
        assert_eq!(
            techniques(&a),
            vec![
                ("AML.T0051", Some("AML.TA0001")),
                ("AML.T0043.001", Some("AML.TA0001"))
            ]
        );
        assert_eq!(a.event_at, now());
    }

    #[test]
    fn refusals_name_every_problem() {
        let problems = parse_alert(
            &json!({"technique": "AML.T0051", "time": "yesterday", "severity": "urgent"}),
            None,
            now(),
        )
        .unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("time:") && problems[1].starts_with("severity:"));
        assert!(parse_alert(&json!({"title": "no ids"}), None, now()).is_err());
        assert!(parse_alert(&json!("text"), None, now()).is_err());
    }

    #[test]
    fn content_hash_ignores_key_order() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":{"c":2,"d":3}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"b":{"d":3,"c":2},"a":1}"#).unwrap();
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_ne!(content_hash(&a), content_hash(&json!({"a": 2})));
    }

    #[test]
    fn bodies_split_into_alerts() {
        assert_eq!(split_body(r#"{"a":1}"#).unwrap().len(), 1);
        assert_eq!(split_body("{\n \"a\": 1\n}").unwrap().len(), 1);
        assert_eq!(split_body(r#"[{"a":1},{"a":2}]"#).unwrap().len(), 2);
        let nd = split_body("{\"a\":1}\n\nnot json\n{\"a\":3}\n").unwrap();
        assert_eq!(nd.len(), 3);
        assert!(nd[1].is_err());
        assert!(split_body("  ").is_err());
        assert!(split_body("[1, 2").is_err());
    }

    #[test]
    fn rules_and_windows() {
        assert_eq!(parse_window("24h"), Some(86_400));
        assert_eq!(parse_window("90"), Some(90));
        assert_eq!(parse_window("30m"), Some(1800));
        assert_eq!(parse_window("2 days"), Some(172_800));
        assert_eq!(parse_window("soon"), None);
        assert_eq!(format_window(86_400), "1d");
        assert_eq!(format_window(5400), "90m");
        let rule = validate_rule(" per host ", &["host.name, service.name".into()], 3600).unwrap();
        assert_eq!(rule.fields, vec!["host.name", "service.name"]);
        let problems = validate_rule("", &["bad field!".into()], 1).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "fields", "idle_window"]);
    }
}
