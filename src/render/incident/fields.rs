//! The pieces every incident page shows: coloured badges, times as precise
//! as they are known, form inputs with their problems beside them.

use crate::atlas::markdown;
use crate::domain::excerpt;
use crate::domain::{FuzzyTime, Kind, Outcome, Precision, Severity, Status, ValidationError};

/// At most `max` characters of a user-supplied text (and "…" when cut), for messages.
pub fn shorten(text: &str, max: usize) -> String {
    excerpt::shorten(text, max + 1)
}

/// Markdown to sanitized HTML; `None` for blank text.
pub fn md(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| markdown::render(text))
}

/// What went wrong with a submitted form: the form field it is about (if it is
/// one shown on the form) and a sentence for people.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub field: Option<String>,
    pub text: String,
}

impl Problem {
    pub fn general(text: impl Into<String>) -> Self {
        Problem {
            field: None,
            text: text.into(),
        }
    }

    /// `field` is a form field name; `label` its human name.
    pub fn on(field: &str, label: &str, message: &str) -> Self {
        Problem {
            field: Some(field.to_string()),
            text: sentence(label, message),
        }
    }

    /// The message for `field`, if the problem is about it.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        (self.field.as_deref() == Some(field)).then_some(self.text.as_str())
    }

    /// The anchor of the field in the form, for the summary's link.
    pub fn anchor(&self) -> Option<String> {
        self.field.as_ref().map(|f| format!("#f-{f}"))
    }
}

/// Everything wrong with a submitted form, in form order, each on its input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Problems {
    pub items: Vec<Problem>,
}

impl Problems {
    pub fn one(p: Problem) -> Self {
        Problems { items: vec![p] }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The first message about `field`, if any.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.items.iter().find_map(|p| p.for_field(field))
    }
}

/// Runs `validate` until it passes, each time replacing the offending field
/// with a harmless value (`neutralize`), so that a form reports every problem
/// at once rather than one per submission. Stops when a field cannot be
/// neutralized (or after a bound, in case one keeps failing).
pub fn all_errors<I: Clone, T>(
    input: &I,
    validate: impl Fn(&I) -> Result<T, ValidationError>,
    neutralize: impl Fn(&mut I, &str) -> bool,
) -> Vec<ValidationError> {
    let mut input = input.clone();
    let mut errors: Vec<ValidationError> = Vec::new();
    for _ in 0..32 {
        let Err(e) = validate(&input) else { break };
        let repeated = errors.iter().any(|x| x.field == e.field);
        let fixed = !repeated && neutralize(&mut input, &e.field);
        if !repeated {
            errors.push(e);
        }
        if !fixed {
            break;
        }
    }
    errors
}

/// "Title is required", "Severity: `urgent` is not one of …".
pub fn sentence(label: &str, message: &str) -> String {
    let starts_lower = message
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase());
    if starts_lower {
        format!("{label} {message}")
    } else {
        format!("{label}: {message}")
    }
}

/// The index in a validation field name such as `tags[3]` or `references[0].url`.
pub fn index_of(field: &str) -> Option<usize> {
    let open = field.find('[')?;
    let close = field[open..].find(']')? + open;
    field[open + 1..close].parse().ok()
}

/// A coloured label that also says what it means in words.
#[derive(Debug, Clone)]
pub struct Badge {
    pub label: &'static str,
    pub class: String,
}

impl Badge {
    pub fn severity(s: Severity) -> Badge {
        Badge {
            label: s.label(),
            class: format!("inc-badge inc-sev-{}", s.as_str()),
        }
    }

    pub fn status(s: Status) -> Badge {
        Badge {
            label: s.label(),
            class: format!("inc-badge inc-status-{}", s.as_str()),
        }
    }

    pub fn outcome(o: Outcome) -> Badge {
        Badge {
            label: o.label(),
            class: format!("inc-badge inc-outcome-{}", o.as_str()),
        }
    }

    pub fn kind(k: Kind) -> Badge {
        Badge {
            label: k.label(),
            class: format!("inc-badge inc-kind-{}", k.as_str()),
        }
    }
}

/// A time as precise as it is known, with a machine-readable `datetime`.
#[derive(Debug, Clone)]
pub struct TimeView {
    pub text: String,
    pub datetime: String,
    /// "to the year", … for the reader; empty for an exact time.
    pub precision: &'static str,
    /// Known only to the month or the year: a range filter lists it when the
    /// range overlaps that period, so the list marks it.
    pub coarse: bool,
}

impl TimeView {
    pub fn of(t: &FuzzyTime) -> TimeView {
        TimeView {
            text: t.display(),
            datetime: t.input_value(),
            precision: match t.precision {
                Precision::Year => "to the year",
                Precision::Month => "to the month",
                Precision::Day => "to the day",
                Precision::Time => "",
            },
            coarse: t.is_coarse(),
        }
    }

    pub fn opt(t: &Option<FuzzyTime>) -> Option<TimeView> {
        t.as_ref().map(TimeView::of)
    }
}

/// One `<option>`.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Opt {
        let value = value.into();
        let selected = value == current;
        Opt {
            value,
            label: label.into(),
            selected,
        }
    }
}

/// Options of a closed vocabulary; `current` (the submitted text) is selected.
pub fn vocabulary_options<T: Copy>(
    all: &[T],
    as_str: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
    current: &str,
) -> Vec<Opt> {
    let current = current.trim();
    let mut opts: Vec<Opt> = all
        .iter()
        .map(|&v| Opt::new(as_str(v), label(v), current))
        .collect();
    if !current.is_empty() && !opts.iter().any(|o| o.selected) {
        // Keep an unknown submitted value visible (its error is shown beside it).
        opts.insert(
            0,
            Opt {
                value: current.to_string(),
                label: shorten(current, 40),
                selected: true,
            },
        );
    }
    opts
}

/// A form input: its name, the text to put back in it and its error, if any.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    pub value: String,
    pub error: Option<String>,
}

impl Field {
    pub fn new(name: &'static str, value: &str, problems: &Problems) -> Field {
        Field {
            name,
            value: value.to_string(),
            error: problems.for_field(name).map(str::to_string),
        }
    }
}

/// A `<select>`: its name, options and error.
#[derive(Debug, Clone)]
pub struct SelectField {
    pub name: &'static str,
    pub options: Vec<Opt>,
    pub error: Option<String>,
}

impl SelectField {
    pub fn new(name: &'static str, options: Vec<Opt>, problems: &Problems) -> SelectField {
        SelectField {
            name,
            options,
            error: problems.for_field(name).map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_read_naturally() {
        assert_eq!(sentence("Title", "is required"), "Title is required");
        assert_eq!(
            sentence("Severity", "`urgent` is not one of low"),
            "Severity: `urgent` is not one of low"
        );
    }

    #[test]
    fn indexes_are_read_from_field_names() {
        assert_eq!(index_of("tags[3]"), Some(3));
        assert_eq!(index_of("references[12].url"), Some(12));
        assert_eq!(index_of("title"), None);
    }

    #[test]
    fn unknown_values_stay_selected() {
        let opts = vocabulary_options(Severity::ALL, Severity::as_str, Severity::label, "urgent");
        assert_eq!(opts[0].value, "urgent");
        assert!(opts[0].selected);
        let opts = vocabulary_options(Severity::ALL, Severity::as_str, Severity::label, "high");
        assert_eq!(opts.iter().filter(|o| o.selected).count(), 1);
    }

    #[test]
    fn every_error_is_collected_once() {
        #[derive(Clone)]
        struct Input(Vec<&'static str>);
        let validate = |i: &Input| match i.0.first() {
            Some(f) => Err(ValidationError::new(*f, "is wrong")),
            None => Ok(()),
        };
        let neutralize = |i: &mut Input, f: &str| {
            if f == "stuck" {
                return false;
            }
            i.0.retain(|x| *x != f);
            true
        };
        let fields =
            |errors: Vec<ValidationError>| errors.into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(
            fields(all_errors(
                &Input(vec!["a", "b", "c"]),
                validate,
                neutralize
            )),
            ["a", "b", "c"]
        );
        assert_eq!(
            fields(all_errors(
                &Input(vec!["a", "stuck", "c"]),
                validate,
                neutralize
            )),
            ["a", "stuck"]
        );
        assert!(all_errors(&Input(vec![]), validate, neutralize).is_empty());
    }
}
