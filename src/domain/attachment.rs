//! Attachments (issue #16): files on an incident or one of its steps, kept
//! once per SHA-256. A file's name and declared type come from the uploader:
//! the name is made safe to show (no folders, no control or invisible
//! characters), the type is only shown, never used to serve the file.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::ValidationError;

/// Default largest file, in bytes (the server's `--attachment-max-mib`).
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// Longest file name kept, in characters.
pub const NAME_MAX: usize = 200;
/// The name of a file whose given name leaves nothing once made safe.
pub const UNNAMED: &str = "attachment";
/// The type of a file whose declared one is missing or malformed.
pub const UNKNOWN_TYPE: &str = "application/octet-stream";
/// Longest declared media type kept.
const TYPE_MAX: usize = 100;

/// One attached file (its content is not here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: String,
    pub incident_id: String,
    pub step_id: Option<String>,
    pub file_name: String,
    /// As declared by the uploader; files are always served as bytes.
    pub media_type: String,
    pub size: i64,
    /// Lowercase hex.
    pub sha256: String,
    pub uploaded_at: String,
    pub uploaded_by: String,
    pub removed_at: Option<String>,
    pub removed_by: Option<String>,
}

impl Attachment {
    pub fn is_removed(&self) -> bool {
        self.removed_at.is_some()
    }
}

/// A file as uploaded, checked for shape by [`validate_upload`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub incident_id: String,
    pub step_id: Option<String>,
    pub file_name: String,
    pub media_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// SHA-256 of `bytes` in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The last part of a path (`../../x` → `x`, `C:\a\b.txt` → `b.txt`), without
/// control characters, with invisible formatting characters shown as their
/// code points, without leading dots (no hidden or `..` names) or trailing
/// dots and spaces, at most [`NAME_MAX`] characters; [`UNNAMED`] if nothing is left.
pub fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let visible: String = last.chars().filter(|c| !c.is_control()).collect();
    let shown = super::neutralise_invisible(&visible);
    let trimmed = shown
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' '])
        .trim();
    let name: String = trimmed.chars().take(NAME_MAX).collect();
    if name.is_empty() {
        UNNAMED.to_string()
    } else {
        name
    }
}

/// A declared media type if it reads as `type/subtype` (parameters dropped,
/// lower case), else [`UNKNOWN_TYPE`].
pub fn clean_media_type(raw: Option<&str>) -> String {
    let essence = raw
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    match essence.split_once('/') {
        Some((t, s)) if token(t) && token(s) && essence.len() <= TYPE_MAX => essence,
        _ => UNKNOWN_TYPE.to_string(),
    }
}

/// A file as received: an empty one (or no file chosen) is refused on `file`.
pub fn validate_upload(
    incident_id: &str,
    step_id: Option<&str>,
    file_name: &str,
    media_type: Option<&str>,
    content: Vec<u8>,
) -> Result<NewAttachment, ValidationError> {
    if content.is_empty() {
        return Err(ValidationError::new(
            "file",
            "is empty: choose a file to attach",
        ));
    }
    Ok(NewAttachment {
        incident_id: incident_id.to_string(),
        step_id: step_id
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        file_name: clean_file_name(file_name),
        media_type: clean_media_type(media_type),
        sha256: sha256_hex(&content),
        content,
    })
}

/// A size for people: `512 bytes`, `1.5 KiB`, `10.0 MiB`.
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return if bytes == 1 {
            "1 byte".to_string()
        } else {
            format!("{bytes} bytes")
        };
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_their_folders_and_hidden_tricks() {
        assert_eq!(clean_file_name("../../x"), "x");
        assert_eq!(clean_file_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(clean_file_name("/etc/passwd"), "passwd");
        assert_eq!(clean_file_name(".."), UNNAMED);
        assert_eq!(clean_file_name("../"), UNNAMED);
        assert_eq!(clean_file_name(".htaccess"), "htaccess");
        assert_eq!(clean_file_name("a\r\nb\0.txt"), "ab.txt");
        assert_eq!(
            clean_file_name("invoice\u{202E}gpj.exe"),
            "invoice[U+202E]gpj.exe"
        );
        assert_eq!(clean_file_name("report.pdf. . "), "report.pdf");
        assert_eq!(clean_file_name("\"q\";.txt"), "\"q\";.txt");
        assert_eq!(clean_file_name(&"é".repeat(300)).chars().count(), NAME_MAX);
    }

    #[test]
    fn media_types_are_kept_only_when_well_formed() {
        assert_eq!(
            clean_media_type(Some("Text/HTML; charset=utf-8")),
            "text/html"
        );
        assert_eq!(clean_media_type(Some("image/svg+xml")), "image/svg+xml");
        assert_eq!(clean_media_type(Some("text/html\r\nX: y")), UNKNOWN_TYPE);
        assert_eq!(clean_media_type(Some("nonsense")), UNKNOWN_TYPE);
        assert_eq!(clean_media_type(None), UNKNOWN_TYPE);
    }

    #[test]
    fn uploads_are_hashed_and_empty_ones_refused() {
        let a = validate_upload("i", Some(" "), "a.txt", None, b"abc".to_vec()).unwrap();
        assert_eq!(
            a.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(a.step_id, None);
        let e = validate_upload("i", None, "a.txt", None, Vec::new()).unwrap_err();
        assert_eq!(e.field, "file");
    }

    #[test]
    fn sizes_read_for_people() {
        assert_eq!(human_size(0), "0 bytes");
        assert_eq!(human_size(1), "1 byte");
        assert_eq!(human_size(1023), "1023 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(10 * 1024 * 1024), "10.0 MiB");
    }
}
