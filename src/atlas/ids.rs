//! ATLAS identifier syntax: `AML.TA0000`, `AML.T0000`, `AML.T0000.000`,
//! `AML.M0000` and `AML.CS0000`, exactly (no whitespace, no other widths).

/// What kind of object an ATLAS ID names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    Tactic,
    Technique,
    SubTechnique,
    Mitigation,
    CaseStudy,
}

impl IdKind {
    /// The ID pattern, for messages ("AML.TA0000").
    pub fn pattern(self) -> &'static str {
        match self {
            IdKind::Tactic => "AML.TA0000",
            IdKind::Technique => "AML.T0000",
            IdKind::SubTechnique => "AML.T0000.000",
            IdKind::Mitigation => "AML.M0000",
            IdKind::CaseStudy => "AML.CS0000",
        }
    }
}

fn all_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Classify a well-formed ATLAS ID; `None` for anything else.
pub fn classify_id(s: &str) -> Option<IdKind> {
    let rest = s.strip_prefix("AML.")?;
    if let Some(d) = rest.strip_prefix("TA") {
        return all_digits(d, 4).then_some(IdKind::Tactic);
    }
    if let Some(d) = rest.strip_prefix("CS") {
        return all_digits(d, 4).then_some(IdKind::CaseStudy);
    }
    if let Some(d) = rest.strip_prefix('M') {
        return all_digits(d, 4).then_some(IdKind::Mitigation);
    }
    if let Some(d) = rest.strip_prefix('T') {
        return match d.split_once('.') {
            None => all_digits(d, 4).then_some(IdKind::Technique),
            Some((main, sub)) => {
                (all_digits(main, 4) && all_digits(sub, 3)).then_some(IdKind::SubTechnique)
            }
        };
    }
    None
}

pub fn is_tactic_id(s: &str) -> bool {
    classify_id(s) == Some(IdKind::Tactic)
}

/// A technique or a sub-technique ID.
pub fn is_technique_id(s: &str) -> bool {
    matches!(
        classify_id(s),
        Some(IdKind::Technique | IdKind::SubTechnique)
    )
}

pub fn is_sub_technique_id(s: &str) -> bool {
    classify_id(s) == Some(IdKind::SubTechnique)
}

pub fn is_mitigation_id(s: &str) -> bool {
    classify_id(s) == Some(IdKind::Mitigation)
}

pub fn is_case_study_id(s: &str) -> bool {
    classify_id(s) == Some(IdKind::CaseStudy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_kind() {
        assert_eq!(classify_id("AML.TA0000"), Some(IdKind::Tactic));
        assert_eq!(classify_id("AML.TA0015"), Some(IdKind::Tactic));
        assert_eq!(classify_id("AML.T0051"), Some(IdKind::Technique));
        assert_eq!(classify_id("AML.T0051.001"), Some(IdKind::SubTechnique));
        assert_eq!(classify_id("AML.M0000"), Some(IdKind::Mitigation));
        assert_eq!(classify_id("AML.CS0042"), Some(IdKind::CaseStudy));
    }

    #[test]
    fn rejects_near_misses() {
        for bad in [
            "",
            "AML.",
            "AML.T",
            "AML.T051",
            "AML.T00510",
            "AML.T0051.01",
            "AML.T0051.0001",
            "AML.T0051.",
            "AML.T0051.001.000",
            "AML.TA000",
            "AML.TA00001",
            "AML.M00",
            "AML.CS000",
            "aml.t0051",
            "AML.t0051",
            " AML.T0051",
            "AML.T0051 ",
            "AML.T0051\n",
            "AML.T00a1",
            "AML.T+051",
            "ATT.T0051",
            "AML.X0001",
            "T1596",
            "AML.TA0001.000",
            "AML.M0001.000",
            "AML.T０051",
        ] {
            assert_eq!(classify_id(bad), None, "{bad:?} must not classify");
        }
    }

    #[test]
    fn helpers_agree_with_classify() {
        assert!(is_tactic_id("AML.TA0001"));
        assert!(!is_tactic_id("AML.T0001"));
        assert!(is_technique_id("AML.T0001"));
        assert!(is_technique_id("AML.T0001.000"));
        assert!(!is_technique_id("AML.TA0001"));
        assert!(is_sub_technique_id("AML.T0001.000"));
        assert!(!is_sub_technique_id("AML.T0001"));
        assert!(is_mitigation_id("AML.M0001"));
        assert!(!is_mitigation_id("AML.CS0001"));
        assert!(is_case_study_id("AML.CS0001"));
        assert!(!is_case_study_id("AML.M0001"));
    }
}
