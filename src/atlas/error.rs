//! Why a release file could not be imported. Every message names the place
//! (line and column, or a path such as `matrices[0].techniques[3].name`) or
//! the offending ID, so that an operator can fix the file.

/// An import failure. Messages are meant to be shown to people as they are.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input is larger than [`crate::atlas::parse::MAX_RELEASE_BYTES`].
    #[error("the release file is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },

    /// Not UTF-8 or not YAML at all; the position is the parser's own.
    #[error("not valid YAML at line {line}, column {column}: {message}")]
    Yaml {
        line: usize,
        column: usize,
        message: String,
    },

    /// Text that starts like JSON (a STIX bundle) but is not valid JSON.
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },

    /// YAML aliases expand beyond the allowed budget (an alias bomb).
    #[error(
        "YAML aliases expand too much (possible alias bomb) at line {line}, column {column}: {message}"
    )]
    AliasLimit {
        line: usize,
        column: usize,
        message: String,
    },

    /// Valid YAML that exceeds another parsing budget (nesting depth,
    /// number of nodes, ...).
    #[error("the YAML document is too complex at line {line}, column {column}: {message}")]
    TooComplex {
        line: usize,
        column: usize,
        message: String,
    },

    /// Valid YAML of the wrong shape: a missing required field, a list where a
    /// mapping belongs, and so on. `path` is like `matrices[0].techniques[3].name`.
    #[error("{path}: {message}")]
    Shape { path: String, message: String },

    /// An ID that does not follow the ATLAS ID syntax.
    #[error("{field}: `{id}` is not a well-formed ID (expected the form {expected})")]
    MalformedId {
        field: String,
        id: String,
        expected: &'static str,
    },

    /// The same ID is used twice (across tactics, techniques, mitigations and
    /// case studies).
    #[error("the ID {id} is used more than once")]
    DuplicateId { id: String },

    /// A technique serves a tactic that the release does not define.
    #[error("technique {technique} refers to the unknown tactic {tactic}")]
    UnknownTactic { technique: String, tactic: String },

    /// Something other than a technique (a case-study step, the matrix's
    /// column list) refers to a tactic that the release does not define.
    #[error("{context} refers to the unknown tactic {tactic}")]
    UnknownTacticRef { context: String, tactic: String },

    /// A sub-technique names a parent technique that the release does not define.
    #[error("sub-technique {technique} names the unknown parent technique {parent}")]
    UnknownParent { technique: String, parent: String },

    /// A technique with a sub-technique ID (`AML.T0000.000`) has no parent.
    #[error("{technique} has a sub-technique ID but no parent technique")]
    MissingParent { technique: String },

    /// A sub-technique's ID does not extend its parent's ID, or a technique
    /// with a parent does not have a sub-technique ID.
    #[error(
        "{technique} is given the parent technique {parent}, but sub-technique IDs must have the form {parent}.000"
    )]
    ParentMismatch { technique: String, parent: String },

    /// A technique serves no tactic, neither its own nor its parent's.
    #[error("technique {technique} serves no tactic (none of its own, none inherited)")]
    NoTactic { technique: String },

    /// A mitigation, case study or relationship refers to a technique that the
    /// release does not define. `context` is like `mitigation AML.M0001`.
    #[error("{context} refers to the unknown technique {technique}")]
    UnknownTechnique { context: String, technique: String },

    /// The release has no tactics or no techniques.
    #[error("the release defines no tactics or no techniques")]
    Empty,

    /// Valid YAML, but neither the legacy format nor format-version 6.
    #[error("not an ATLAS release in a known format: {detail}")]
    UnknownFormat { detail: String },

    /// A STIX bundle does not say which content release it holds, and none was given.
    #[error(
        "the STIX bundle does not say which ATLAS release it holds: give it with --release (the CLI) or ?release= (the API), for example 5.6.0, or name the file stix-atlas-<release>.json"
    )]
    MissingRelease,
}

/// Something in a release that does not stop the import but that an
/// operator should know about: a case study whose `leads-to` chain branches,
/// loops or names a step that does not exist (every step is kept), or a
/// tactic that no `sequences` edge places.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportWarning {
    /// The case study concerned, if any.
    pub case_study: Option<String>,
    /// The step concerned (`S03`), if any.
    pub step_id: Option<String>,
    /// Where in the file (`relationships[AML.CS0001].employs[2]`).
    pub path: String,
    /// What is wrong and what the importer did about it.
    pub message: String,
}

impl std::fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.case_study, &self.step_id) {
            (Some(cs), Some(step)) => write!(f, "case study {cs} step {step}")?,
            (Some(cs), None) => write!(f, "case study {cs}")?,
            (None, Some(step)) => write!(f, "step {step}")?,
            (None, None) => {}
        }
        if self.case_study.is_some() || self.step_id.is_some() {
            write!(f, " ({}): {}", self.path, self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}
