//! Entry point of the release importers: size check, a STIX 2.1 bundle (JSON)
//! to the STIX reader, otherwise YAML loading into an order-preserving tree
//! with positions, format detection, dispatch to the legacy or format-6
//! reader, then one shared validation pass over the [`Release`].
//!
//! The YAML is read into [`Node`]s rather than typed structs so that both
//! formats can be read tolerantly (unknown fields are ignored, several shapes
//! are accepted) while every error still names a path and a line. Scalars keep
//! the text that was written: `version: 2026.10` stays `"2026.10"` and
//! `incident-date: 2020-01-01` stays `"2020-01-01"`.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{MessageFormatter, Spanned, UserMessageFormatter};

use super::error::{ImportError, ImportWarning};
use super::ids::{IdKind, classify_id};
use super::model::{
    AttackRef, CaseStudy, Mitigation, MitigationUse, ProcedureStep, Reference, Release,
    SourceFormat, Tactic, Technique,
};
use super::version::compare_versions;
use super::{legacy, stix, v6};

/// The largest release file accepted (32 MiB; real releases are well under 1 MiB).
pub const MAX_RELEASE_BYTES: usize = 32 * 1024 * 1024;

/// What the caller knows about a release file beyond its bytes.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// The content release the file must hold (`atlas sync --release`), and
    /// the release of a STIX bundle, which does not say it itself.
    pub release: Option<String>,
    /// Where the file came from (a path or URL); a STIX bundle named
    /// `stix-atlas-<release>.json` gives its release this way.
    pub source: Option<String>,
}

/// A parsed and validated release with what the importer reported about it.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub release: Release,
    /// Problems that did not stop the import (every step is kept).
    pub warnings: Vec<ImportWarning>,
}

/// Parse and validate a release file in any supported format.
pub fn parse_release(bytes: &[u8]) -> Result<Release, ImportError> {
    parse_release_with(bytes, &ParseOptions::default()).map(log_warnings)
}

/// [`parse_release`] with options, keeping the warnings.
pub fn parse_release_with(bytes: &[u8], options: &ParseOptions) -> Result<Parsed, ImportError> {
    check_size(bytes.len())?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let src = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(&bytes[..e.valid_up_to()]);
        ImportError::Yaml {
            line,
            column,
            message: "the file is not valid UTF-8".to_string(),
        }
    })?;
    parse_release_str_with(src, options)
}

/// [`parse_release`] for text already in memory.
pub fn parse_release_str(src: &str) -> Result<Release, ImportError> {
    parse_release_str_with(src, &ParseOptions::default()).map(log_warnings)
}

fn log_warnings(parsed: Parsed) -> Release {
    for w in &parsed.warnings {
        tracing::warn!(release = %parsed.release.version, "{w}");
    }
    parsed.release
}

/// [`parse_release_with`] for text already in memory.
pub fn parse_release_str_with(src: &str, options: &ParseOptions) -> Result<Parsed, ImportError> {
    check_size(src.len())?;
    let src = src.strip_prefix('\u{FEFF}').unwrap_or(src);
    let mut warnings = Vec::new();
    let mut release = match stix::bundle(src) {
        Some(bundle) => {
            let bundle = bundle?;
            let version = match &options.release {
                Some(v) => v.trim().to_string(),
                None => options
                    .source
                    .as_deref()
                    .and_then(stix::release_from_name)
                    .ok_or(ImportError::MissingRelease)?,
            };
            stix::release_from_bundle(&bundle, version)?
        }
        None => {
            let root = load_yaml(src)?;
            let release = match detect_format(&root)? {
                SourceFormat::Legacy => legacy::release_from_tree(&root)?,
                SourceFormat::V6 => v6::release_from_tree(&root, &mut warnings)?,
                other => {
                    return Err(ImportError::UnknownFormat {
                        detail: format!("{} releases are not read from YAML", other.as_str()),
                    });
                }
            };
            if let Some(wanted) = &options.release
                && compare_versions(wanted, &release.version).is_ne()
            {
                let path = match release.format {
                    SourceFormat::V6 => "collection.version",
                    _ => "version",
                };
                return Err(shape(
                    path,
                    format!(
                        "the file holds release {}, not the release {wanted} that was asked for",
                        release.version
                    ),
                ));
            }
            release
        }
    };
    inherit_parent_tactics(&mut release);
    fill_step_tactics(&mut release);
    validate_release(&release)?;
    Ok(Parsed { release, warnings })
}

fn check_size(size: usize) -> Result<(), ImportError> {
    if size > MAX_RELEASE_BYTES {
        return Err(ImportError::TooLarge {
            size,
            limit: MAX_RELEASE_BYTES,
        });
    }
    Ok(())
}

/// 1-based line and column (in characters) just after `prefix`.
fn line_column(prefix: &[u8]) -> (usize, usize) {
    let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
    let last = prefix
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&prefix[last..]).chars().count() + 1;
    (line, column)
}

// ---------------------------------------------------------------------------
// Format detection
// ---------------------------------------------------------------------------

/// Decide which reader a document needs: `format-version` 6.x means format
/// 6; a top-level `matrices` list means the legacy single file.
pub(crate) fn detect_format(root: &Node) -> Result<SourceFormat, ImportError> {
    let top = Obj::new(root, "")?;
    if let Some(fv) = top.get("format-version") {
        let text = fv.as_str().ok_or_else(|| {
            shape(
                "format-version",
                format!("expected a version number, found {}", fv.describe()),
            )
        })?;
        let major = text.trim().split('.').next().unwrap_or("");
        return if major == "6" {
            Ok(SourceFormat::V6)
        } else {
            Err(ImportError::UnknownFormat {
                detail: format!(
                    "format-version {text} (line {}) is not supported; this importer reads the legacy single-file format, format-version 6 and STIX 2.1 bundles",
                    fv.line
                ),
            })
        };
    }
    if let Some(Node {
        value: Value::Seq(_),
        ..
    }) = top.get("matrices")
    {
        return Ok(SourceFormat::Legacy);
    }
    Err(ImportError::UnknownFormat {
        detail: "expected either a top-level `matrices` list (the legacy single file, releases up to 5.6) or `format-version: 6.0.0` with `collection`, `tactics`, `techniques` and `relationships`".to_string(),
    })
}

// ---------------------------------------------------------------------------
// Shared finishing: inheritance and validation
// ---------------------------------------------------------------------------

/// Sub-techniques that list no tactics of their own take their parent's.
pub fn inherit_parent_tactics(release: &mut Release) {
    let parent_tactics: HashMap<String, Vec<String>> = release
        .techniques
        .iter()
        .filter(|t| t.parent.is_none())
        .map(|t| (t.id.clone(), t.tactics.clone()))
        .collect();
    for t in &mut release.techniques {
        if t.tactics.is_empty()
            && let Some(tactics) = t.parent.as_ref().and_then(|p| parent_tactics.get(p))
        {
            t.tactics = tactics.clone();
        }
    }
}

/// A procedure step read without a tactic gets the first tactic its
/// technique serves. Steps whose technique is unknown stay empty and are
/// reported by validation.
fn fill_step_tactics(release: &mut Release) {
    let first: HashMap<&str, &str> = release
        .techniques
        .iter()
        .filter_map(|t| t.tactics.first().map(|ta| (t.id.as_str(), ta.as_str())))
        .collect();
    for cs in &mut release.case_studies {
        for step in &mut cs.procedure {
            if step.tactic.is_empty()
                && let Some(ta) = first.get(step.technique.as_str())
            {
                step.tactic = (*ta).to_string();
            }
        }
    }
}

fn check_id(field: impl FnOnce() -> String, id: &str, want: &[IdKind]) -> Result<(), ImportError> {
    match classify_id(id) {
        Some(kind) if want.contains(&kind) => Ok(()),
        _ => Err(ImportError::MalformedId {
            field: field(),
            id: id.to_string(),
            expected: match want {
                [IdKind::Technique, IdKind::SubTechnique] => "AML.T0000 or AML.T0000.000",
                [k, ..] => k.pattern(),
                [] => "an ATLAS ID",
            },
        }),
    }
}

const TECHNIQUE_KINDS: &[IdKind] = &[IdKind::Technique, IdKind::SubTechnique];

/// The one validation pass every importer's output goes through.
///
/// Checks, in order: the release is not empty; every ID is well-formed; no ID
/// is used twice; every technique's tactics exist; sub-technique IDs extend
/// their parent's ID and the parent exists; every technique serves a tactic;
/// mitigations refer to existing techniques; case-study steps refer to
/// existing techniques and tactics.
pub fn validate_release(release: &Release) -> Result<(), ImportError> {
    if release.tactics.is_empty() || release.techniques.is_empty() {
        return Err(ImportError::Empty);
    }
    if release.version.trim().is_empty() {
        return Err(shape("version", "must not be empty"));
    }

    // Where the objects sit in the source, for messages.
    let matrix = match release.format {
        SourceFormat::Legacy => "matrices[0].",
        _ => "",
    };
    // Format 6 keys its objects by ID: name the place by key, not by index.
    let at = |section: &str, i: usize, id: &str| match release.format {
        SourceFormat::V6 => format!("{section}[{id}].id"),
        _ => format!("{matrix}{section}[{i}].id"),
    };
    for (i, t) in release.tactics.iter().enumerate() {
        check_id(|| at("tactics", i, &t.id), &t.id, &[IdKind::Tactic])?;
    }
    for (i, t) in release.techniques.iter().enumerate() {
        check_id(|| at("techniques", i, &t.id), &t.id, TECHNIQUE_KINDS)?;
    }
    for (i, m) in release.mitigations.iter().enumerate() {
        check_id(|| at("mitigations", i, &m.id), &m.id, &[IdKind::Mitigation])?;
    }
    for (i, c) in release.case_studies.iter().enumerate() {
        check_id(
            || match release.format {
                SourceFormat::V6 => format!("case-studies[{}].id", c.id),
                _ => format!("case-studies[{i}].id"),
            },
            &c.id,
            &[IdKind::CaseStudy],
        )?;
    }
    let all_ids = (release.tactics.iter().map(|t| &t.id))
        .chain(release.techniques.iter().map(|t| &t.id))
        .chain(release.mitigations.iter().map(|m| &m.id))
        .chain(release.case_studies.iter().map(|c| &c.id));
    let mut seen: HashSet<&str> = HashSet::new();
    for id in all_ids {
        if !seen.insert(id) {
            return Err(ImportError::DuplicateId { id: id.clone() });
        }
    }

    let tactics: HashSet<&str> = release.tactics.iter().map(|t| t.id.as_str()).collect();
    let techniques: HashMap<&str, &Technique> = release
        .techniques
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect();

    for t in &release.techniques {
        for ta in &t.tactics {
            check_id(
                || format!("technique {} tactics", t.id),
                ta,
                &[IdKind::Tactic],
            )?;
            if !tactics.contains(ta.as_str()) {
                return Err(ImportError::UnknownTactic {
                    technique: t.id.clone(),
                    tactic: ta.clone(),
                });
            }
        }
        let is_sub = classify_id(&t.id) == Some(IdKind::SubTechnique);
        match &t.parent {
            None if is_sub => {
                return Err(ImportError::MissingParent {
                    technique: t.id.clone(),
                });
            }
            None => {}
            Some(parent) => {
                check_id(
                    || format!("technique {} parent", t.id),
                    parent,
                    &[IdKind::Technique],
                )?;
                let extends =
                    t.id.strip_prefix(parent.as_str())
                        .is_some_and(|rest| rest.starts_with('.'));
                if !is_sub || !extends {
                    return Err(ImportError::ParentMismatch {
                        technique: t.id.clone(),
                        parent: parent.clone(),
                    });
                }
                if !techniques.contains_key(parent.as_str()) {
                    return Err(ImportError::UnknownParent {
                        technique: t.id.clone(),
                        parent: parent.clone(),
                    });
                }
            }
        }
        if t.tactics.is_empty() {
            return Err(ImportError::NoTactic {
                technique: t.id.clone(),
            });
        }
    }

    for m in &release.mitigations {
        for u in &m.techniques {
            let context = || format!("mitigation {}", m.id);
            check_id(
                || format!("{} techniques", context()),
                &u.technique,
                TECHNIQUE_KINDS,
            )?;
            if !techniques.contains_key(u.technique.as_str()) {
                return Err(ImportError::UnknownTechnique {
                    context: context(),
                    technique: u.technique.clone(),
                });
            }
        }
    }

    for c in &release.case_studies {
        for (i, step) in c.procedure.iter().enumerate() {
            let context = || format!("case study {} procedure step {}", c.id, i + 1);
            check_id(
                || format!("{} technique", context()),
                &step.technique,
                TECHNIQUE_KINDS,
            )?;
            if !techniques.contains_key(step.technique.as_str()) {
                return Err(ImportError::UnknownTechnique {
                    context: context(),
                    technique: step.technique.clone(),
                });
            }
            check_id(
                || format!("{} tactic", context()),
                &step.tactic,
                &[IdKind::Tactic],
            )?;
            if !tactics.contains(step.tactic.as_str()) {
                return Err(ImportError::UnknownTacticRef {
                    context: context(),
                    tactic: step.tactic.clone(),
                });
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// YAML tree
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Reading helpers shared by the legacy and v6 readers
// ---------------------------------------------------------------------------

pub(crate) fn shape(path: impl Into<String>, message: impl Into<String>) -> ImportError {
    let path = path.into();
    ImportError::Shape {
        path: if path.is_empty() {
            "(top level)".to_string()
        } else {
            path
        },
        message: message.into(),
    }
}

/// `parent.key`, or `key` at the top.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// A mapping node together with its path, for field access with good errors.
#[derive(Clone)]
pub(crate) struct Obj<'a> {
    pub node: &'a Node,
    pub path: String,
}

impl<'a> Obj<'a> {
    /// Wrap a mapping; anything else, or a mapping that repeats a key, is a
    /// shape error.
    pub fn new(node: &'a Node, path: &str) -> Result<Self, ImportError> {
        match &node.value {
            Value::Map(entries) => {
                let mut seen: HashMap<&str, &Node> = HashMap::new();
                for (key, _) in entries {
                    if let Some(k) = key.as_str()
                        && let Some(first) = seen.insert(k, key)
                    {
                        return Err(shape(
                            join(path, k),
                            format!("given twice ({} and {})", first.at(), key.at()),
                        ));
                    }
                }
                Ok(Obj {
                    node,
                    path: path.to_string(),
                })
            }
            _ => Err(shape(
                path,
                format!(
                    "expected a mapping, found {} ({})",
                    node.describe(),
                    node.at()
                ),
            )),
        }
    }

    /// The value of `key`, if present and not null.
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.node.get(key)
    }

    /// The first of `keys` that is present with a non-null value, and its path.
    pub fn get_any(&self, keys: &[&str]) -> Option<(&'a Node, String)> {
        keys.iter()
            .find_map(|k| self.get(k).map(|n| (n, join(&self.path, k))))
    }

    fn text_of(node: &Node, path: &str) -> Result<String, ImportError> {
        node.as_str().map(str::to_string).ok_or_else(|| {
            shape(
                path,
                format!("expected text, found {} ({})", node.describe(), node.at()),
            )
        })
    }

    /// A required text field; absent, null or empty is an error.
    pub fn req_str(&self, key: &str) -> Result<String, ImportError> {
        let path = join(&self.path, key);
        match self.get(key) {
            None => Err(shape(
                path,
                format!("missing (in the mapping at {})", self.node.at()),
            )),
            Some(node) => {
                let s = Self::text_of(node, &path)?;
                if s.trim().is_empty() {
                    Err(shape(path, format!("must not be empty ({})", node.at())))
                } else {
                    Ok(s)
                }
            }
        }
    }

    /// An optional text field under any of `keys`; empty text counts as absent.
    pub fn opt_str(&self, keys: &[&str]) -> Result<Option<String>, ImportError> {
        match self.get_any(keys) {
            None => Ok(None),
            Some((node, path)) => {
                let s = Self::text_of(node, &path)?;
                Ok((!s.trim().is_empty()).then_some(s))
            }
        }
    }

    /// An optional list under any of `keys`; a single non-list value is taken
    /// as a one-element list.
    pub fn list(&self, keys: &[&str]) -> Option<(Vec<&'a Node>, String)> {
        self.get_any(keys).map(|(node, path)| match &node.value {
            Value::Seq(items) => (items.iter().collect(), path),
            _ => (vec![node], path),
        })
    }
}

/// Text that names an object: either plain text, or a mapping with an `id`.
pub(crate) fn id_ref(node: &Node, path: &str) -> Result<String, ImportError> {
    match &node.value {
        Value::Scalar(s) => Ok(s.clone()),
        Value::Map(_) => Obj::new(node, path)?.req_str("id"),
        _ => Err(shape(
            path,
            format!(
                "expected an ID or a mapping with an `id`, found {} ({})",
                node.describe(),
                node.at()
            ),
        )),
    }
}

const ATTACK_REF_KEYS: &[&str] = &["ATT&CK-reference", "attack-reference", "attack_reference"];

pub(crate) fn attack_ref(obj: &Obj) -> Result<Option<AttackRef>, ImportError> {
    let Some((node, path)) = obj.get_any(ATTACK_REF_KEYS) else {
        return Ok(None);
    };
    match &node.value {
        Value::Scalar(s) => Ok(Some(AttackRef {
            id: s.clone(),
            url: None,
        })),
        Value::Map(_) => {
            let o = Obj::new(node, &path)?;
            let Some(id) = o.opt_str(&["id"])? else {
                return Ok(None);
            };
            Ok(Some(AttackRef {
                id,
                url: o.opt_str(&["url"])?,
            }))
        }
        _ => Err(shape(
            path,
            format!(
                "expected a mapping with `id` and `url`, found {} ({})",
                node.describe(),
                node.at()
            ),
        )),
    }
}

/// Fields common to tactic objects of both formats. `id` comes from the
/// caller (an `id` field in legacy, the map key in v6).
pub(crate) fn read_tactic(obj: &Obj, id: String) -> Result<Tactic, ImportError> {
    Ok(Tactic {
        id,
        name: obj.req_str("name")?,
        description: obj.opt_str(&["description"])?,
        attack_ref: attack_ref(obj)?,
    })
}

/// Fields common to technique objects. Inline `tactics` and
/// `subtechnique-of` are read where present (legacy always, v6 maybe).
pub(crate) fn read_technique(obj: &Obj, id: String) -> Result<Technique, ImportError> {
    let parent = match obj.get_any(&["subtechnique-of", "subtechnique_of", "parent"]) {
        None => None,
        Some((node, path)) => Some(id_ref(node, &path)?),
    };
    let mut tactics = Vec::new();
    if let Some((items, path)) = obj.list(&["tactics"]) {
        for (i, n) in items.iter().enumerate() {
            if n.is_null() {
                continue;
            }
            push_unique(&mut tactics, id_ref(n, &index(&path, i))?);
        }
    }
    Ok(Technique {
        id,
        name: obj.req_str("name")?,
        description: obj.opt_str(&["description"])?,
        parent,
        tactics,
        maturity: obj.opt_str(&["maturity"])?,
        attack_ref: attack_ref(obj)?,
        platforms: Vec::new(),
    })
}

/// Mitigation fields, with an inline `techniques` list whose items are
/// `{id, use}` mappings or plain IDs.
pub(crate) fn read_mitigation(obj: &Obj, id: String) -> Result<Mitigation, ImportError> {
    let mut techniques: Vec<MitigationUse> = Vec::new();
    if let Some((items, path)) = obj.list(&["techniques"]) {
        for (i, n) in items.iter().enumerate() {
            let p = index(&path, i);
            let (technique, usage) = match &n.value {
                Value::Null => continue,
                Value::Scalar(s) => (s.clone(), None),
                _ => {
                    let o = Obj::new(n, &p)?;
                    (
                        o.req_str("id")?,
                        o.opt_str(&["use", "usage", "description"])?,
                    )
                }
            };
            // Kept as written: the same technique may appear twice with two usages.
            techniques.push(MitigationUse { technique, usage });
        }
    }
    Ok(Mitigation {
        id,
        name: obj.req_str("name")?,
        description: obj.opt_str(&["description"])?,
        techniques,
    })
}

pub(crate) fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Case-study fields. The ordered `procedure` is read if present; a step
/// without a tactic gets an empty one, filled later from its technique.
pub(crate) fn read_case_study(obj: &Obj, id: String) -> Result<CaseStudy, ImportError> {
    let mut procedure = Vec::new();
    if let Some((items, path)) = obj.list(&["procedure"]) {
        for (i, n) in items.iter().enumerate() {
            let p = index(&path, i);
            let step = Obj::new(n, &p)?;
            let technique = match step.get_any(&["technique"]) {
                Some((t, tp)) => id_ref(t, &tp)?,
                None => step.req_str("technique")?,
            };
            let tactic = match step.get_any(&["tactic"]) {
                Some((t, tp)) => id_ref(t, &tp)?,
                None => String::new(),
            };
            procedure.push(ProcedureStep {
                tactic,
                technique,
                description: step.opt_str(&["description"])?,
            });
        }
    }
    let mut references = Vec::new();
    if let Some((items, path)) = obj.list(&["references"]) {
        for (i, n) in items.iter().enumerate() {
            let p = index(&path, i);
            let reference = match &n.value {
                Value::Null => continue,
                Value::Scalar(s) => Reference {
                    title: None,
                    url: Some(s.clone()),
                },
                _ => {
                    let o = Obj::new(n, &p)?;
                    Reference {
                        title: o.opt_str(&["title"])?,
                        url: o.opt_str(&["url"])?,
                    }
                }
            };
            if reference.title.is_some() || reference.url.is_some() {
                references.push(reference);
            }
        }
    }
    Ok(CaseStudy {
        id,
        name: obj.req_str("name")?,
        summary: obj.opt_str(&["summary", "description"])?,
        incident_date: obj.opt_str(&["incident-date", "incident_date"])?,
        incident_date_granularity: obj
            .opt_str(&["incident-date-granularity", "incident_date_granularity"])?,
        target: obj.opt_str(&["target"])?,
        actor: obj.opt_str(&["actor"])?,
        reporter: obj.opt_str(&["reporter"])?,
        case_study_type: obj.opt_str(&["case-study-type", "case_study_type"])?,
        references,
        procedure,
    })
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

    #[test]
    fn invalid_utf8_is_located() {
        let err = parse_release(b"id: x\nname: \xff\n").unwrap_err();
        match err {
            ImportError::Yaml { line, column, .. } => assert_eq!((line, column), (2, 7)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column(b""), (1, 1));
        assert_eq!(line_column("ab\nc\u{e9}".as_bytes()), (2, 3));
    }
}
