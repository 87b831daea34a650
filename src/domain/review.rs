//! What a retrospective records per ATLAS mitigation: whether it was in
//! place when the incident happened. Three states, so a mitigation nobody
//! has looked at yet is never reported as missing.

/// The state of one mitigation on an incident's checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckState {
    InPlace,
    NotInPlace,
    /// Nobody has said yet.
    Unreviewed,
}

impl CheckState {
    pub const ALL: [CheckState; 3] = [
        CheckState::InPlace,
        CheckState::NotInPlace,
        CheckState::Unreviewed,
    ];

    /// The stored and submitted form: `in_place`, `not_in_place`, `unreviewed`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckState::InPlace => "in_place",
            CheckState::NotInPlace => "not_in_place",
            CheckState::Unreviewed => "unreviewed",
        }
    }

    pub fn parse(s: &str) -> Option<CheckState> {
        CheckState::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_unknown_words_are_refused() {
        for s in CheckState::ALL {
            assert_eq!(CheckState::parse(s.as_str()), Some(s));
        }
        assert_eq!(CheckState::parse("yes"), None);
        assert_eq!(CheckState::parse(""), None);
    }
}
