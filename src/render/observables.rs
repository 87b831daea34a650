//! Observables as the pages show them: on the incident page with "seen in N
//! other incidents", and the page of one observable listing its incidents. Pure.

use crate::domain::observable::{Observable, ObservableKind};

/// The URL of the page of one observable.
pub fn href(kind: ObservableKind, value: &str) -> String {
    let value: String =
        percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    format!("/observables?kind={}&value={value}", kind.as_str())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservableView {
    pub id: String,
    pub kind_label: &'static str,
    pub value: String,
    /// "seen in 2 other incidents", empty when in none.
    pub seen: String,
    pub href: String,
    pub from_alert: bool,
    pub step_id: Option<String>,
}

fn seen(n: i64) -> String {
    match n {
        0 => String::new(),
        1 => "seen in 1 other incident".to_string(),
        n => format!("seen in {n} other incidents"),
    }
}

pub fn observable_view(o: &Observable) -> ObservableView {
    ObservableView {
        id: o.id.clone(),
        kind_label: o.kind.label(),
        value: o.value.clone(),
        seen: seen(o.other_incidents),
        href: href(o.kind, &o.value),
        from_alert: o.origin == "alert",
        step_id: o.step_id.clone(),
    }
}

/// One `<option>` of the kind picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindOption {
    pub value: &'static str,
    pub label: &'static str,
}

pub fn kind_options() -> Vec<KindOption> {
    ObservableKind::ALL
        .iter()
        .map(|k| KindOption {
            value: k.as_str(),
            label: k.label(),
        })
        .collect()
}

/// The observables section of an incident page.
#[derive(Debug, Clone, Default)]
pub struct ObservablesView {
    pub items: Vec<ObservableView>,
    pub kinds: Vec<KindOption>,
}

pub fn observables_view(list: &[Observable]) -> ObservablesView {
    ObservablesView {
        items: list.iter().map(observable_view).collect(),
        kinds: kind_options(),
    }
}

/// One incident holding an observable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderView {
    pub incident_id: String,
    pub title: String,
    pub since: String,
    pub from_alert: bool,
}

pub fn holders(found: &[(String, Observable)]) -> Vec<HolderView> {
    found
        .iter()
        .map(|(title, o)| HolderView {
            incident_id: o.incident_id.clone(),
            title: title.clone(),
            since: super::timestamp(&o.created_at),
            from_alert: o.origin == "alert",
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_encode_the_value_and_count_other_incidents() {
        assert_eq!(
            href(ObservableKind::Url, "http://a.b/?x=1&y"),
            "/observables?kind=url&value=http%3A%2F%2Fa%2Eb%2F%3Fx%3D1%26y"
        );
        assert_eq!(seen(0), "");
        assert_eq!(seen(1), "seen in 1 other incident");
        assert_eq!(seen(3), "seen in 3 other incidents");
    }
}
