//! Observables (issue #16): typed values seen in an incident (a hash, an IP,
//! a domain, a prompt fingerprint…) that link it to other incidents. Each is
//! normalised so that the same thing matches however it was written: case,
//! defanged forms (`hxxp://`, `[.]`, `(.)`, `[@]`), IPv6 spelling.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::ValidationError;
use super::excerpt::shorten;

/// Longest observable value, in characters (a long URL fits).
pub const VALUE_MAX: usize = 2048;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ObservableKind {
    Hash,
    Ip,
    Domain,
    Url,
    Email,
    Account,
    Model,
    Dataset,
    PromptFingerprint,
    FileName,
}

impl ObservableKind {
    pub const ALL: &'static [ObservableKind] = &[
        ObservableKind::Hash,
        ObservableKind::Ip,
        ObservableKind::Domain,
        ObservableKind::Url,
        ObservableKind::Email,
        ObservableKind::Account,
        ObservableKind::Model,
        ObservableKind::Dataset,
        ObservableKind::PromptFingerprint,
        ObservableKind::FileName,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ObservableKind::Hash => "hash",
            ObservableKind::Ip => "ip",
            ObservableKind::Domain => "domain",
            ObservableKind::Url => "url",
            ObservableKind::Email => "email",
            ObservableKind::Account => "account",
            ObservableKind::Model => "model",
            ObservableKind::Dataset => "dataset",
            ObservableKind::PromptFingerprint => "prompt-fingerprint",
            ObservableKind::FileName => "file-name",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ObservableKind::Hash => "Hash",
            ObservableKind::Ip => "IP address",
            ObservableKind::Domain => "Domain or host",
            ObservableKind::Url => "URL",
            ObservableKind::Email => "E-mail address",
            ObservableKind::Account => "User or account",
            ObservableKind::Model => "Model",
            ObservableKind::Dataset => "Dataset",
            ObservableKind::PromptFingerprint => "Prompt fingerprint",
            ObservableKind::FileName => "File name",
        }
    }

    pub fn parse(s: &str) -> Option<ObservableKind> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    pub fn expected() -> String {
        Self::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An observable of an incident, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Observable {
    pub id: String,
    pub incident_id: String,
    pub step_id: Option<String>,
    pub kind: ObservableKind,
    pub value: String,
    /// `manual` or `alert`.
    pub origin: String,
    pub created_at: String,
    pub created_by: String,
    /// In how many other incidents the same value is seen.
    pub other_incidents: i64,
}

/// An observable as submitted.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservableInput {
    pub kind: Option<String>,
    pub value: Option<String>,
    pub step_id: Option<String>,
}

/// Undoes the usual defanging: `hxxp`/`hxxps`, `[.]`, `(.)`, `{.}`, `[dot]`,
/// `[:]`, `[@]`, `[at]`.
pub fn refang(text: &str) -> String {
    let mut out = text.to_string();
    for (from, to) in [
        ("[.]", "."),
        ("(.)", "."),
        ("{.}", "."),
        ("[dot]", "."),
        ("(dot)", "."),
        ("[:]", ":"),
        ("[://]", "://"),
        ("[@]", "@"),
        ("[at]", "@"),
        ("(at)", "@"),
    ] {
        out = replace_ignore_case(&out, from, to);
    }
    let lower = out.to_ascii_lowercase();
    for (from, to) in [
        ("hxxps://", "https://"),
        ("hxxp://", "http://"),
        ("fxp://", "ftp://"),
    ] {
        if lower.starts_with(from) {
            out = format!("{to}{}", &out[from.len()..]);
            break;
        }
    }
    out
}

fn replace_ignore_case(text: &str, from: &str, to: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in lower.match_indices(from) {
        out.push_str(&text[last..i]);
        out.push_str(to);
        last = i + from.len();
    }
    out.push_str(&text[last..]);
    out
}

fn bad(value: &str, why: &str) -> ValidationError {
    ValidationError::new("value", format!("`{}` {why}", shorten(value, 60)))
}

fn domain(value: &str) -> Option<String> {
    let d = value.trim_end_matches('.').to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    ok.then_some(d)
}

/// The normal form of `raw` as a `kind`, or why it is not one (field `value`).
pub fn normalise(kind: ObservableKind, raw: &str) -> Result<String, ValidationError> {
    let count = raw.chars().count();
    if count > VALUE_MAX {
        return Err(ValidationError::new(
            "value",
            format!("is {count} characters long; the limit is {VALUE_MAX}"),
        ));
    }
    if raw.chars().any(|c| c.is_control()) || raw.chars().any(super::is_invisible_format) {
        return Err(ValidationError::new(
            "value",
            "contains control or invisible formatting characters",
        ));
    }
    let v = refang(raw.trim());
    if v.is_empty() {
        return Err(ValidationError::new("value", "is required"));
    }
    match kind {
        ObservableKind::Hash => {
            let h = v.to_ascii_lowercase();
            let hex = h.chars().all(|c| c.is_ascii_hexdigit());
            if hex && [32, 40, 56, 64, 96, 128].contains(&h.len()) {
                Ok(h)
            } else {
                Err(bad(
                    raw,
                    "is not an MD5, SHA-1, SHA-2 or SHA-3 hash (hexadecimal, 32 to 128 digits)",
                ))
            }
        }
        ObservableKind::Ip => {
            let text = v.trim_start_matches('[').trim_end_matches(']');
            text.parse::<IpAddr>()
                .map(|ip| ip.to_string())
                .map_err(|_| bad(raw, "is not an IPv4 or IPv6 address"))
        }
        ObservableKind::Domain => {
            domain(&v).ok_or_else(|| bad(raw, "is not a domain or host name"))
        }
        ObservableKind::Url => {
            let url = url::Url::parse(&v).map_err(|_| bad(raw, "is not a URL"))?;
            if !matches!(url.scheme(), "http" | "https" | "ftp") || url.host().is_none() {
                return Err(bad(raw, "is not an http, https or ftp URL with a host"));
            }
            Ok(url.to_string())
        }
        ObservableKind::Email => {
            let (local, host) = v
                .rsplit_once('@')
                .ok_or_else(|| bad(raw, "is not an e-mail address"))?;
            let host = domain(host).filter(|h| h.contains('.'));
            match host {
                Some(h) if !local.is_empty() && !local.contains(char::is_whitespace) => {
                    Ok(format!("{}@{h}", local.to_lowercase()))
                }
                _ => Err(bad(raw, "is not an e-mail address")),
            }
        }
        ObservableKind::Account | ObservableKind::Model | ObservableKind::Dataset => Ok(v
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()),
        ObservableKind::PromptFingerprint => {
            let f = v.to_ascii_lowercase();
            let ok = (8..=256).contains(&f.len())
                && f.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_'));
            if ok {
                Ok(f)
            } else {
                Err(bad(
                    raw,
                    "is not a prompt fingerprint (8 to 256 letters, digits, ':', '-' or '_')",
                ))
            }
        }
        // File names keep their case (case matters on most systems).
        ObservableKind::FileName => Ok(v),
    }
}

impl ObservableInput {
    /// The kind and normal value; every problem named at once.
    pub fn validate(&self) -> Result<(ObservableKind, String), Vec<ValidationError>> {
        let kind = match self.kind.as_deref().map(str::trim) {
            None | Some("") => Err(ValidationError::new(
                "kind",
                format!("is required: one of {}", ObservableKind::expected()),
            )),
            Some(k) => ObservableKind::parse(k).ok_or_else(|| {
                ValidationError::new(
                    "kind",
                    format!(
                        "`{}` is not one of {}",
                        shorten(k, 30),
                        ObservableKind::expected()
                    ),
                )
            }),
        };
        let raw = self.value.as_deref().unwrap_or("");
        match kind {
            Ok(k) => normalise(k, raw).map(|v| (k, v)).map_err(|e| vec![e]),
            Err(e) => {
                let mut errors = vec![e];
                if raw.trim().is_empty() || raw.chars().count() > VALUE_MAX {
                    // Any kind would refuse it: say so too.
                    if let Err(v) = normalise(ObservableKind::FileName, raw) {
                        errors.push(v);
                    }
                }
                Err(errors)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ObservableKind::*;

    #[test]
    fn defanged_and_plain_forms_normalise_alike() {
        for (kind, a, b) in [
            (
                Url,
                "hxxps://evil[.]example(.)com/Path?q=1",
                "https://EVIL.example.com/Path?q=1",
            ),
            (Domain, "Evil[.]Example[.]com.", "evil.example.com"),
            (Ip, "10[.]0[.]0[.]1", "10.0.0.1"),
            (Ip, "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
            (Email, "Mallory[@]Evil[.]com", "mallory@evil.com"),
            (
                Hash,
                "D41D8CD98F00B204E9800998ECF8427E",
                "d41d8cd98f00b204e9800998ecf8427e",
            ),
            (Model, "  Llama-3   8B ", "llama-3 8b"),
        ] {
            assert_eq!(
                normalise(kind, a).unwrap(),
                normalise(kind, b).unwrap(),
                "{a}"
            );
        }
        assert_eq!(normalise(Url, "hxxp://a[.]b/x").unwrap(), "http://a.b/x");
        assert_eq!(normalise(FileName, "Invoice.PDF").unwrap(), "Invoice.PDF");
    }

    #[test]
    fn malformed_values_are_refused_naming_the_field() {
        for (kind, v) in [
            (Ip, "999.1.1.1"),
            (Ip, "10.0.0"),
            (Ip, "not an ip"),
            (Hash, "xyz"),
            (Hash, "abc123"),
            (Domain, "exa mple.com"),
            (Url, "javascript:alert(1)"),
            (Email, "no-at-sign"),
            (PromptFingerprint, "<script>"),
        ] {
            assert_eq!(normalise(kind, v).unwrap_err().field, "value", "{v}");
        }
        let huge = "a".repeat(VALUE_MAX + 1);
        assert!(
            normalise(Account, &huge)
                .unwrap_err()
                .message
                .contains("limit")
        );
        assert!(normalise(FileName, "a\u{202E}gpj.exe").is_err());
        let fields: Vec<String> = ObservableInput {
            kind: Some("colour".into()),
            value: Some(" ".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
        assert_eq!(fields, ["kind", "value"]);
    }
}
