//! Tactic short names as ATT&CK / ATLAS Navigator layers write them, and
//! the lookup from every spelling (old `ml-` and new `ai-` names, IDs) to
//! the release's tactic IDs.

use super::ActiveAtlas;

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
