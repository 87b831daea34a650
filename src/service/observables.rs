//! Observables: adding them to an incident (or one of its steps), the
//! incidents sharing one, and the ones alert ingestion finds in well-known
//! alert fields.

use serde_json::Value;

use super::teamwork::{By, TeamError};
use crate::domain::observable::{Observable, ObservableInput, ObservableKind, normalise};
use crate::store::{NewObservable, Store, StoreError};

/// Adds an observable; answers its ID (`None`: the incident has it already).
pub async fn add(
    store: &Store,
    incident_id: &str,
    input: &ObservableInput,
    by: &By<'_>,
) -> Result<Option<String>, TeamError> {
    let (kind, value) = input.validate().map_err(TeamError::Invalid)?;
    let step = input
        .step_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(problem) = super::incidents::step_problem(store, incident_id, step).await? {
        return Err(problem.into());
    }
    let o = NewObservable {
        incident_id: incident_id.to_string(),
        kind,
        value,
    };
    Ok(store.add_observable(&o, step, by.user).await?)
}

pub async fn remove(
    store: &Store,
    incident_id: &str,
    id: &str,
    by: &By<'_>,
) -> Result<(), TeamError> {
    Ok(store.remove_observable(incident_id, id, by.user).await?)
}

pub async fn of_incident(store: &Store, incident_id: &str) -> Result<Vec<Observable>, StoreError> {
    store.observables(incident_id).await
}

/// The incidents holding an observable (`kind` and `value` as typed: the
/// value is normalised first, so a defanged form finds the plain one).
pub async fn incidents_with(
    store: &Store,
    kind: &str,
    value: &str,
) -> Result<(ObservableKind, String, Vec<(String, Observable)>), TeamError> {
    let input = ObservableInput {
        kind: Some(kind.to_string()),
        value: Some(value.to_string()),
        step_id: None,
    };
    let (kind, value) = input.validate().map_err(TeamError::Invalid)?;
    let found = store.incidents_with_observable(kind, &value).await?;
    Ok((kind, value, found))
}

/// Well-known alert fields (Elastic Common Schema and OpenTelemetry names,
/// nested or dotted) and the kind of observable each holds.
const ALERT_FIELDS: &[(&str, ObservableKind)] = &[
    ("host.name", ObservableKind::Domain),
    ("host.hostname", ObservableKind::Domain),
    ("user.name", ObservableKind::Account),
    ("source.ip", ObservableKind::Ip),
    ("client.ip", ObservableKind::Ip),
    ("destination.ip", ObservableKind::Ip),
    ("url.full", ObservableKind::Url),
    ("file.name", ObservableKind::FileName),
    ("file.hash.sha256", ObservableKind::Hash),
    ("model.name", ObservableKind::Model),
    ("ai.model.name", ObservableKind::Model),
    ("gen_ai.request.model", ObservableKind::Model),
    ("dataset.name", ObservableKind::Dataset),
    ("ai.dataset.name", ObservableKind::Dataset),
];

/// The value at a dotted path: nested objects (`{"host": {"name": …}}`) or a
/// dotted key (`{"host.name": …}`), also under the alert's `raw` member.
fn field<'v>(alert: &'v Value, path: &str) -> Option<&'v str> {
    let direct = |v: &'v Value| -> Option<&'v str> {
        if let Some(s) = v.get(path).and_then(Value::as_str) {
            return Some(s);
        }
        let mut at = v;
        for part in path.split('.') {
            at = at.get(part)?;
        }
        at.as_str()
    };
    direct(alert).or_else(|| alert.get("raw").and_then(direct))
}

/// The observables an alert names, normalised; values that do not hold
/// (a malformed IP, say) are left out.
pub fn from_alert(alert: &Value) -> Vec<(ObservableKind, String)> {
    let mut out: Vec<(ObservableKind, String)> = ALERT_FIELDS
        .iter()
        .filter_map(|(path, kind)| {
            let raw = field(alert, path)?;
            normalise(*kind, raw).ok().map(|v| (*kind, v))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn well_known_alert_fields_become_observables() {
        let alert = json!({
            "host": {"name": "GPU-Node-7.corp.example"},
            "user.name": "svc-trainer",
            "source": {"ip": "203.0.113[.]9"},
            "raw": {"gen_ai.request.model": "Llama-3-8B", "dataset": {"name": "support-tickets-v2"}},
            "destination": {"ip": "999.0.0.1"},
        });
        assert_eq!(
            from_alert(&alert),
            [
                (ObservableKind::Ip, "203.0.113.9".to_string()),
                (
                    ObservableKind::Domain,
                    "gpu-node-7.corp.example".to_string()
                ),
                (ObservableKind::Account, "svc-trainer".to_string()),
                (ObservableKind::Model, "llama-3-8b".to_string()),
                (ObservableKind::Dataset, "support-tickets-v2".to_string()),
            ]
        );
    }
}
