//! The YAML tree every YAML importer reads: an order-preserving tree of
//! [`Node`]s with the (1-based) position of each value, loaded under a
//! budget (events, depth, aliases) so a hostile file cannot exhaust memory.
//!
//! The YAML is read into [`Node`]s rather than typed structs so that both
//! formats can be read tolerantly (unknown fields are ignored, several shapes
//! are accepted) while every error still names a path and a line. Scalars keep
//! the text that was written: `version: 2026.10` stays `"2026.10"` and
//! `incident-date: 2020-01-01` stays `"2020-01-01"`.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{MessageFormatter, Spanned, UserMessageFormatter};

use super::error::ImportError;

/// One YAML node with the (1-based) position where its value is written.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub line: usize,
    pub column: usize,
    pub value: Value,
    /// Byte range of a scalar that YAML typed as a number or boolean, so that
    /// its written text can be recovered (`2026.10`, not `2026.1`).
    raw: Option<(usize, usize)>,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Null,
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

enum Kind {
    Null,
    Text(String),
    Typed(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KindVisitor;
        impl<'de> Visitor<'de> for KindVisitor {
            type Value = Kind;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Kind, E> {
                Ok(Kind::Null)
            }
            fn visit_none<E>(self) -> Result<Kind, E> {
                Ok(Kind::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
                Kind::deserialize(d)
            }
            fn visit_str<E>(self, v: &str) -> Result<Kind, E> {
                Ok(Kind::Text(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Kind, E> {
                Ok(Kind::Text(v))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Kind, E> {
                Ok(Kind::Text(String::from_utf8_lossy(v).into_owned()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Kind, E> {
                Ok(Kind::Typed(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Kind, E> {
                Ok(Kind::Typed(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Kind, E> {
                Ok(Kind::Typed(v.to_string()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Kind, E> {
                Ok(Kind::Typed(v.to_string()))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Kind, E> {
                Ok(Kind::Typed(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Kind, E> {
                Ok(Kind::Typed(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Kind::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Kind::Map(entries))
            }
        }
        d.deserialize_any(KindVisitor)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Kind>::deserialize(d)?;
        let loc = spanned.defined;
        let mut raw = None;
        let value = match spanned.value {
            Kind::Null => Value::Null,
            Kind::Text(s) => Value::Scalar(s),
            Kind::Typed(s) => {
                let span = loc.span();
                if let (Some(off), Some(len)) = (span.byte_offset(), span.byte_len()) {
                    raw = Some((off as usize, len as usize));
                }
                Value::Scalar(s)
            }
            Kind::Seq(items) => Value::Seq(items),
            Kind::Map(entries) => Value::Map(entries),
        };
        Ok(Node {
            line: loc.line() as usize,
            column: loc.column() as usize,
            value,
            raw,
        })
    }
}

impl Node {
    /// Put back the written text of number- and boolean-like scalars.
    fn restore_raw(&mut self, src: &str) {
        match &mut self.value {
            Value::Scalar(text) => {
                if let Some((off, len)) = self.raw.take()
                    && let Some(written) = off.checked_add(len).and_then(|end| src.get(off..end))
                    && !written.trim().is_empty()
                    && !written.starts_with(['"', '\'', '!', '&', '*'])
                {
                    *text = written.trim().to_string();
                }
            }
            Value::Seq(items) => items.iter_mut().for_each(|n| n.restore_raw(src)),
            Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                k.restore_raw(src);
                v.restore_raw(src);
            }),
            Value::Null => {}
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The value of `key` when this node is a mapping (null values count as absent).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v)
                .filter(|v| !v.is_null()),
            _ => None,
        }
    }

    pub fn describe(&self) -> &'static str {
        match self.value {
            Value::Null => "nothing (null)",
            Value::Scalar(_) => "text",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// "line L, column C".
    pub fn at(&self) -> String {
        format!("line {}, column {}", self.line, self.column)
    }
}

fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: 4_000_000,
            max_nodes: 2_000_000,
            max_depth: 64,
            max_aliases: 10_000,
            max_anchors: 10_000,
            max_recorded_anchor_events: 200_000,
            max_recorded_anchor_bytes: 8 * 1024 * 1024,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000,
            max_replay_stack_depth: 16,
        },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        emit_comments: false,
    }
}

/// Read YAML text into a [`Node`] tree.
pub(crate) fn load_yaml(src: &str) -> Result<Node, ImportError> {
    let mut root: Node =
        serde_saphyr::from_str_with_options(src, yaml_options()).map_err(yaml_error)?;
    root.restore_raw(src);
    Ok(root)
}

fn is_alias_problem(err: &serde_saphyr::Error) -> bool {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    match err {
        E::AliasReplayCounterOverflow { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => true,
        E::Budget { breach, .. } => matches!(
            breach,
            B::Aliases { .. }
                | B::Anchors { .. }
                | B::AliasAnchorRatio { .. }
                | B::RecordedAnchorEvents { .. }
                | B::RecordedAnchorBytes { .. }
        ),
        // Any budget breached while an alias was being replayed.
        E::AliasError { error, .. } => {
            matches!(**error, E::Budget { .. }) || is_alias_problem(error)
        }
        E::WithSnippet { error, .. } => is_alias_problem(error),
        _ => false,
    }
}

fn is_budget_problem(err: &serde_saphyr::Error) -> bool {
    use serde_saphyr::Error as E;
    match err {
        E::Budget { .. } => true,
        E::AliasError { error, .. } | E::WithSnippet { error, .. } => is_budget_problem(error),
        _ => false,
    }
}

fn yaml_error(err: serde_saphyr::Error) -> ImportError {
    let (line, column) = err
        .location()
        .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
    let message = UserMessageFormatter
        .format_message(err.without_snippet())
        .into_owned();
    if is_alias_problem(&err) {
        ImportError::AliasLimit {
            line,
            column,
            message,
        }
    } else if is_budget_problem(&err) {
        ImportError::TooComplex {
            line,
            column,
            message,
        }
    } else {
        ImportError::Yaml {
            line,
            column,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_keep_their_written_text() {
        let root = load_yaml(
            "version: 2026.10\nn: 007\nd: 2020-01-01\nb: yes\nq: '2026.10'\nf: 1e3\nlist: [5.10, true]\n",
        )
        .unwrap();
        assert_eq!(root.get("version").unwrap().as_str(), Some("2026.10"));
        assert_eq!(root.get("n").unwrap().as_str(), Some("007"));
        assert_eq!(root.get("d").unwrap().as_str(), Some("2020-01-01"));
        assert_eq!(root.get("b").unwrap().as_str(), Some("yes"));
        assert_eq!(root.get("q").unwrap().as_str(), Some("2026.10"));
        assert_eq!(root.get("f").unwrap().as_str(), Some("1e3"));
        let Value::Seq(items) = &root.get("list").unwrap().value else {
            panic!("list expected")
        };
        assert_eq!(items[0].as_str(), Some("5.10"));
        assert_eq!(items[1].as_str(), Some("true"));
    }

    #[test]
    fn keys_like_y_and_n_stay_text() {
        let root = load_yaml("n: 1\ny: 2\n").unwrap();
        assert_eq!(root.get("n").unwrap().as_str(), Some("1"));
        assert_eq!(root.get("y").unwrap().as_str(), Some("2"));
    }

    #[test]
    fn nodes_know_their_position() {
        let root = load_yaml("a:\n  b: [x, y]\n").unwrap();
        let b = root.get("a").unwrap().get("b").unwrap();
        assert_eq!((b.line, b.column), (2, 6));
    }

    #[test]
    fn syntax_errors_carry_the_parser_position() {
        let err = load_yaml("a: [1, 2\nb: : :\n").unwrap_err();
        match err {
            ImportError::Yaml { line, column, .. } => assert_eq!((line, column), (2, 2)),
            other => panic!("unexpected {other:?}"),
        }
    }
}
