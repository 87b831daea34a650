//! The highlighted matrix in other formats: ATT&CK Navigator layers (written
//! as format 4.5, read as 4.x) and a standalone SVG for slides. Pure: the
//! inputs are the release, the highlighted view and the scores.

pub mod navigator;
pub mod svg;

use crate::atlas::ActiveAtlas;

/// The heat colours of the light theme, bucket 1 to 5 (`static/app.css`
/// `--heat-N`): ColorBrewer OrRd, sequential and colour-blind safe.
pub const HEAT_COLORS: [&str; 5] = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"];

/// Text colour drawn on each bucket (dark on light fills, white on the darkest).
pub const HEAT_INK: [&str; 5] = ["#161b24", "#161b24", "#161b24", "#161b24", "#ffffff"];

/// The colour of a bucket (0 = none: white).
pub fn heat_color(level: u8) -> &'static str {
    match level {
        1..=5 => HEAT_COLORS[usize::from(level) - 1],
        _ => "#ffffff",
    }
}

pub fn heat_ink(level: u8) -> &'static str {
    match level {
        1..=5 => HEAT_INK[usize::from(level) - 1],
        _ => "#161b24",
    }
}

/// A tactic's short name as Navigator layers write it: its name in lower
/// case, words joined by hyphens (`AI Attack Staging` → `ai-attack-staging`).
pub fn tactic_short_name(name: &str) -> String {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// Short names → tactic IDs of the release, with the older `ml-` names
/// (ATLAS before 5.0 said "ML Attack Staging", "ML Model Access") and the
/// newer `ai-` names both accepted, and tactic IDs themselves.
pub fn tactic_lookup(atlas: &ActiveAtlas) -> std::collections::HashMap<String, String> {
    let mut map = std::collections::HashMap::new();
    for t in atlas.tactics() {
        let short = tactic_short_name(&t.name);
        for alias in [
            short.strip_prefix("ai-").map(|r| format!("ml-{r}")),
            short.strip_prefix("ml-").map(|r| format!("ai-{r}")),
        ]
        .into_iter()
        .flatten()
        {
            map.entry(alias).or_insert_with(|| t.id.clone());
        }
        map.insert(t.id.to_lowercase(), t.id.clone());
        map.insert(short, t.id.clone());
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_lower_case_hyphenated() {
        assert_eq!(tactic_short_name("AI Attack Staging"), "ai-attack-staging");
        assert_eq!(
            tactic_short_name("Command and Control"),
            "command-and-control"
        );
        assert_eq!(tactic_short_name("  Defense  Evasion "), "defense-evasion");
    }
}
