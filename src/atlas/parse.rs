//! Entry point of the release importers: size check, a STIX 2.1 bundle (JSON)
//! to the STIX reader, otherwise YAML loading into an order-preserving tree
//! with positions, format detection, dispatch to the legacy or format-6
//! reader, then one shared validation pass over the [`Release`].
//!
//! The YAML tree is in [`super::yaml`], the reader toolkit in [`super::reader`]
//! and the validation pass in [`super::validate`].

use super::error::{ImportError, ImportWarning};
use super::model::{Release, SourceFormat};
use super::reader::{Obj, shape};
use super::validate::fill_step_tactics;
pub use super::validate::{inherit_parent_tactics, validate_release};
use super::version::compare_versions;
use super::yaml::{Node, Value, load_yaml};
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
            stix::refuse_incident_bundle(&bundle)?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
