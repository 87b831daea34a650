//! One sentence per serious incident for a board: how far the attacker got
//! in plain words ("taking data out"), what our defences did with the steps,
//! and whether it is still open. No ATLAS names, IDs or step numbers (the
//! incident page keeps the analyst's detail). Pure.

use crate::domain::Status;
use crate::render::plain;
use crate::render::report::Reach;

/// "The attacker got as far as taking data out. Of the 3 attack steps
/// recorded, our defences spotted 1 and missed 2. Still open."
pub fn board_sentence(reach: &Reach, status: Status) -> String {
    let mut s = if reach.steps == 0 {
        "Not analysed yet: no attack steps are recorded.".to_string()
    } else {
        let stage = reach
            .furthest
            .as_ref()
            .and_then(|(tactic, _)| plain::stage(tactic))
            .unwrap_or("a stage we could not place");
        format!("The attacker got as far as {stage}. {}", defences(reach))
    };
    s.push(' ');
    s.push_str(match status {
        Status::Open => "Still open.",
        Status::Contained => "Contained, not yet resolved.",
        Status::Resolved => "Resolved.",
        Status::Closed => "Closed.",
    });
    s
}

fn defences(reach: &Reach) -> String {
    let mut parts = Vec::new();
    for (n, verb) in [
        (reach.prevented, "stopped"),
        (reach.detected, "spotted"),
        (reach.missed, "missed"),
    ] {
        if n > 0 {
            parts.push(format!("{verb} {n}"));
        }
    }
    let steps = if reach.steps == 1 {
        "Of the 1 attack step recorded".to_string()
    } else {
        format!("Of the {} attack steps recorded", reach.steps)
    };
    match parts.len() {
        0 => format!("{steps}, none has a known outcome."),
        1 => format!("{steps}, our defences {}.", parts[0]),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{steps}, our defences {} and {last}.", parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reach(steps: usize, furthest: Option<&str>, p: usize, d: usize, m: usize) -> Reach {
        Reach {
            steps,
            furthest: furthest.map(|t| (t.to_string(), 0)),
            reached_impact: false,
            prevented: p,
            detected: d,
            missed: m,
        }
    }

    #[test]
    fn sentences_speak_plainly() {
        assert_eq!(
            board_sentence(&reach(3, Some("AML.TA0010"), 0, 1, 2), Status::Open),
            "The attacker got as far as taking data out. Of the 3 attack steps recorded, our defences spotted 1 and missed 2. Still open."
        );
        assert_eq!(
            board_sentence(&reach(1, Some("AML.TA0005"), 1, 0, 0), Status::Closed),
            "The attacker got as far as running malicious code or instructions. Of the 1 attack step recorded, our defences stopped 1. Closed."
        );
        assert_eq!(
            board_sentence(&reach(0, None, 0, 0, 0), Status::Contained),
            "Not analysed yet: no attack steps are recorded. Contained, not yet resolved."
        );
        let s = board_sentence(&reach(4, Some("AML.TA0011"), 1, 1, 1), Status::Resolved);
        assert!(s.contains("stopped 1, spotted 1 and missed 1."), "{s}");
        for jargon in ["AML.", "Exfiltration", "step 1", "Reached"] {
            assert!(!s.contains(jargon), "{jargon} in {s}");
        }
    }
}
