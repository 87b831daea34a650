//! Roles and the rules on account names and passwords.

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// What a user or token may do; each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A connector's role: posts alerts, and nothing else (no reads).
    Ingest,
    /// Reads everything.
    Viewer,
    /// Also writes incidents and their steps.
    Analyst,
    /// Also manages users, tokens and ATLAS imports, and reads the audit log.
    Admin,
}

impl Role {
    pub const ALL: &'static [Role] = &[Role::Ingest, Role::Viewer, Role::Analyst, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Ingest => "Ingest (alerts only)",
            Role::Viewer => "Viewer",
            Role::Analyst => "Analyst",
            Role::Admin => "Admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const MIN_PASSWORD: usize = 12;
pub const MAX_PASSWORD: usize = 256;

/// 2–40 characters: lowercase letters, digits, `.`, `_`, `-`.
pub fn validate_username(name: &str) -> Result<String, ValidationError> {
    let name = name.trim();
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !(2..=40).contains(&name.len()) || !ok_chars {
        return Err(ValidationError::new(
            "username",
            "use 2 to 40 characters: lowercase letters, digits, '.', '_' or '-'",
        ));
    }
    Ok(name.to_string())
}

/// The least zxcvbn score a new password must reach: more than 10^8 guesses
/// (it knows the common-password lists, dictionary words, keyboard walks,
/// repeats, sequences and dates, and their l33t and digit-suffixed forms).
const MIN_STRENGTH: zxcvbn::Score = zxcvbn::Score::Three;

/// A new password: 12 to 256 characters, not all one character, not
/// containing the username, and not easy to guess (common passwords and
/// their variants such as `password1234`).
pub fn validate_password(password: &str, username: &str) -> Result<(), ValidationError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(ValidationError::new(
            "password",
            format!("must be at least {MIN_PASSWORD} characters"),
        ));
    }
    if n > MAX_PASSWORD {
        return Err(ValidationError::new(
            "password",
            format!("must be at most {MAX_PASSWORD} characters"),
        ));
    }
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(ValidationError::new(
            "password",
            "must not be one character repeated",
        ));
    }
    let name = username.trim().to_lowercase();
    if !name.is_empty() && password.to_lowercase().contains(&name) {
        return Err(ValidationError::new(
            "password",
            "must not contain the username",
        ));
    }
    let estimate = zxcvbn::zxcvbn(password, &[&name]);
    if estimate.score() < MIN_STRENGTH {
        let why = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(" ({})", w.to_string().trim_end_matches('.').to_lowercase()))
            .unwrap_or_default();
        return Err(ValidationError::new(
            "password",
            format!("is too easy to guess{why}: use a longer phrase of unrelated words"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Viewer < Role::Analyst && Role::Analyst < Role::Admin);
        assert!(Role::Ingest < Role::Viewer);
        assert_eq!(Role::parse("ingest"), Some(Role::Ingest));
        assert_eq!(Role::parse("analyst"), Some(Role::Analyst));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn usernames_and_passwords() {
        assert_eq!(validate_username(" alice.b ").unwrap(), "alice.b");
        for bad in ["A", "x", "has space", "<script>", "émile"] {
            assert!(validate_username(bad).is_err(), "{bad}");
        }
        assert!(validate_password("short", "alice").is_err());
        assert!(validate_password("correct horse battery", "alice").is_ok());
        assert!(validate_password("test-password-0123", "admin").is_ok());
        assert!(validate_password("a long first password", "admin").is_ok());
    }

    #[test]
    fn weak_passwords_are_refused() {
        for weak in [
            "aaaaaaaaaaaa",
            "            ",
            "password1234",
            "Password1234!",
            "123456789012",
            "qwertyuiopasdf",
            "iloveyou12345",
        ] {
            let e = validate_password(weak, "alice").unwrap_err();
            assert_eq!(e.field, "password", "{weak}");
        }
        let e = validate_password("xx-Alice-horse-battery", "alice").unwrap_err();
        assert!(e.message.contains("username"), "{}", e.message);
    }
}
