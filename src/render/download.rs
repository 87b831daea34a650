//! How a file leaves atlasview: a meaningful file name and a
//! `Content-Disposition` that makes the browser save it (`attachment`), or
//! show it in place when the caller asked for `?inline=1` (an `<img>`, a
//! preview, the browser tests that render the picture).

/// A file-name part from free text: ASCII letters and digits in lower case,
/// every other run of characters one hyphen, at most `max` characters, no
/// hyphen at either end (hyphens count towards `max`).
/// `"Prompt injection: e-mail!"` → `prompt-injection-e-mail`.
pub fn slug(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if out.len() >= max {
                break;
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The file name of an incident's download: `<id>-<title>-<what>`, e.g.
/// `inc-1a2b-prompt-injection-via-e-mail-story.svg`. The ID keeps it unique,
/// the title makes it recognisable in a downloads folder.
pub fn incident_file(id: &str, title: &str, what: &str) -> String {
    let id = slug(id, 60);
    let title = slug(title, 48);
    let id = if id.is_empty() {
        "incident".to_string()
    } else {
        id
    };
    if title.is_empty() || title == id {
        format!("{id}-{what}")
    } else {
        format!("{id}-{title}-{what}")
    }
}

/// The `Content-Disposition` value: `attachment` (or `inline`) with the
/// file name quoted. Names come from [`slug`]-built parts, so they hold no
/// quote, backslash or control character; any that slip in are dropped.
pub fn disposition(file_name: &str, inline: bool) -> String {
    let safe: String = file_name
        .chars()
        .filter(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '/' | ';'))
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{safe}\"")
}

/// RFC 5987's `attr-char`: what `filename*` may hold unencoded.
const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// The `Content-Disposition` of a file someone uploaded (RFC 6266): always
/// `attachment`, the name quoted in plain ASCII (anything else, quotes,
/// backslashes, slashes and control characters as `_`) and, for browsers
/// that read it, as given in `filename*` (UTF-8, percent-encoded).
pub fn attachment_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            let plain = c == ' ' || (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '/'));
            if plain { c } else { '_' }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(file_name, ATTR_CHAR);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The `Repr-Digest` value (RFC 9530) of a SHA-256 given in hex.
pub fn repr_digest(sha256_hex: &str) -> String {
    use base64::Engine as _;
    let bytes = hex::decode(sha256_hex).unwrap_or_default();
    format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_letters_and_digits_only() {
        assert_eq!(
            slug("Prompt injection: e-mail!", 40),
            "prompt-injection-e-mail"
        );
        assert_eq!(slug("  «Ünïcode» – 2024 ", 40), "n-code-2024");
        assert_eq!(slug("\"; rm -rf /", 40), "rm-rf");
        assert_eq!(slug("abcdefghij", 4), "abcd");
        assert_eq!(slug("ab cd ef", 4), "ab-c");
        assert_eq!(slug("!!!", 10), "");
    }

    #[test]
    fn incident_files_name_the_incident() {
        assert_eq!(
            incident_file("inc-1a2b", "Prompt injection via e-mail", "story.svg"),
            "inc-1a2b-prompt-injection-via-e-mail-story.svg"
        );
        assert_eq!(
            incident_file("aml-cs0000", "", "layer.json"),
            "aml-cs0000-layer.json"
        );
        assert_eq!(incident_file("", "<>", "x.yaml"), "incident-x.yaml");
    }

    #[test]
    fn uploaded_files_keep_their_name_and_cannot_break_the_header() {
        assert_eq!(
            attachment_disposition("report 1.pdf"),
            "attachment; filename=\"report 1.pdf\"; filename*=UTF-8''report%201.pdf"
        );
        assert_eq!(
            attachment_disposition("a\"b\\c/d\r\ne;.html"),
            "attachment; filename=\"a_b_c_d__e;.html\"; filename*=UTF-8''a%22b%5Cc%2Fd%0D%0Ae%3B.html"
        );
        assert_eq!(
            attachment_disposition("résumé.txt"),
            "attachment; filename=\"r_sum_.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
        );
    }

    #[test]
    fn digests_are_base64_between_colons() {
        assert_eq!(
            repr_digest("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            "sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:"
        );
    }

    #[test]
    fn dispositions_are_quoted_and_clean() {
        assert_eq!(
            disposition("a-story.svg", false),
            "attachment; filename=\"a-story.svg\""
        );
        assert_eq!(
            disposition("a\"b;c\\d\ne.svg", true),
            "inline; filename=\"abcde.svg\""
        );
    }
}
