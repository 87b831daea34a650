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

/// Something a visitor may do. [`Role::can`] is the one table of who may do
/// what; the routes' guards and the templates both read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Read incidents, the matrix, reports and the ATLAS knowledge base.
    ReadIncidents,
    /// Create, edit, delete and import incidents and their steps.
    WriteIncidents,
    /// Add users, change their roles, revoke anyone's tokens.
    ManageUsers,
    /// Import, sync, activate and upgrade ATLAS releases and case studies.
    ManageReleases,
    /// Read and export the audit log.
    ReadAudit,
    /// See one's own account, tokens and password.
    ManageOwnAccount,
    /// Post SIEM alerts (`POST /api/v1/alerts`): what a connector's token needs.
    PostAlerts,
    /// Manage alert ingestion: correlation rules, the ingestion page.
    ManageIngestion,
    /// Scrape the server's metrics (`/metrics`): admins only, as they
    /// tell the traffic and the data's size.
    ReadMetrics,
    /// Register, change and remove webhooks, and read their delivery log:
    /// admins only, as a hook sends incidents out of the server.
    ManageWebhooks,
}

impl Capability {
    pub const ALL: &'static [Capability] = &[
        Capability::ReadIncidents,
        Capability::WriteIncidents,
        Capability::ManageUsers,
        Capability::ManageReleases,
        Capability::ReadAudit,
        Capability::ManageOwnAccount,
        Capability::PostAlerts,
        Capability::ManageIngestion,
        Capability::ReadMetrics,
        Capability::ManageWebhooks,
    ];
}

/// The role-capability table: one row per role, listing what it may do.
/// A new role is one more row here (and one more variant of [`Role`]).
const CAPABILITIES: &[(Role, &[Capability])] = {
    use Capability::*;
    &[
        // Connectors: post alerts and nothing else (no reads of incidents).
        (Role::Ingest, &[PostAlerts]),
        (Role::Viewer, &[ReadIncidents, ManageOwnAccount]),
        (
            Role::Analyst,
            &[ReadIncidents, WriteIncidents, ManageOwnAccount, PostAlerts],
        ),
        (
            Role::Admin,
            &[
                ReadIncidents,
                WriteIncidents,
                ManageUsers,
                ManageReleases,
                ReadAudit,
                ManageOwnAccount,
                PostAlerts,
                ManageIngestion,
                ReadMetrics,
                ManageWebhooks,
            ],
        ),
    ]
};

impl Role {
    /// Whether this role may do `cap` (from the one table, [`CAPABILITIES`]).
    pub fn can(self, cap: Capability) -> bool {
        CAPABILITIES
            .iter()
            .any(|(role, caps)| *role == self && caps.contains(&cap))
    }

    /// The lowest role that may do `cap`, for "this needs the … role" messages.
    pub fn least_with(cap: Capability) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.can(cap))
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

/// A new password typed twice on a form: the second must match the first.
/// `None` (a client that sends no confirmation, such as a script) passes.
pub fn confirm_password(password: &str, confirmation: Option<&str>) -> Result<(), ValidationError> {
    match confirmation {
        Some(again) if again != password => Err(ValidationError::new(
            "password_confirm",
            "the two passwords differ: type the same password in both fields",
        )),
        _ => Ok(()),
    }
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
    fn capability_table() {
        use Capability::*;
        assert!(Role::Viewer.can(ReadIncidents) && !Role::Viewer.can(WriteIncidents));
        assert!(Role::Analyst.can(WriteIncidents) && !Role::Analyst.can(ManageUsers));
        assert!(!Role::Analyst.can(ManageReleases) && !Role::Analyst.can(ReadAudit));
        for cap in Capability::ALL {
            assert!(Role::Admin.can(*cap), "{cap:?}");
            assert!(Role::Viewer.can(ManageOwnAccount));
        }
        // The ingest role is a side role for connectors: it posts alerts and
        // reads nothing; a viewer posts nothing.
        assert!(Role::Ingest.can(PostAlerts) && !Role::Ingest.can(ReadIncidents));
        assert!(!Role::Ingest.can(ManageOwnAccount) && !Role::Viewer.can(PostAlerts));
        assert!(Role::Analyst.can(PostAlerts) && !Role::Analyst.can(ManageIngestion));
        // Every other role includes the one below it.
        for pair in [Role::Viewer, Role::Analyst, Role::Admin].windows(2) {
            for cap in Capability::ALL {
                assert!(!pair[0].can(*cap) || pair[1].can(*cap), "{pair:?} {cap:?}");
            }
        }
        assert_eq!(Role::least_with(WriteIncidents), Some(Role::Analyst));
        assert_eq!(Role::least_with(ReadAudit), Some(Role::Admin));
        assert_eq!(Role::least_with(ReadIncidents), Some(Role::Viewer));
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
