//! Every output format: the incident list as CSV ([`csv`]), and the
//! highlighted matrix as ATT&CK Navigator layers (written
//! as format 4.5, read as 4.x) and a standalone SVG for slides. Pure: the
//! inputs are the release, the highlighted view and the scores.

pub mod csv;
pub mod layer_plan;
pub mod matrix_svg;
pub mod navigator;
pub mod pdf;
pub mod stix;
pub mod svg;

pub use crate::atlas::tactic_names::{tactic_lookup, tactic_short_name};

/// The heat colours of the light theme, bucket 1 to 5 (`static/app.css`
/// `--heat-N`): ColorBrewer OrRd (9-class steps 2, 4, 5, 7 and 9),
/// sequential and colour-blind safe.
pub const HEAT_COLORS: [&str; 5] = ["#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f", "#7f0000"];

/// Text colour drawn on each bucket (dark on light fills, white on the dark
/// ones): at least 4.5:1 on every one.
pub const HEAT_INK: [&str; 5] = ["#161b24", "#161b24", "#161b24", "#ffffff", "#ffffff"];

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

    /// WCAG relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let h = hex.trim_start_matches('#');
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&h[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    /// The `--name: #rrggbb;` declarations of a block of CSS.
    fn variables(css: &str) -> std::collections::HashMap<String, String> {
        css.lines()
            .filter_map(|l| {
                let l = l.trim();
                let (name, value) = l.strip_prefix("--")?.split_once(':')?;
                let value = value.trim().trim_end_matches(';').trim();
                value
                    .starts_with('#')
                    .then(|| (name.trim().to_string(), value.to_string()))
            })
            .collect()
    }

    /// Every heat level's text meets 4.5:1 on its fill, in the exports and in
    /// both themes of the stylesheet (level 4 used to be 4.35:1), and the
    /// levels get darker (light theme) or lighter (dark theme) step by step.
    #[test]
    fn every_heat_level_has_readable_text_in_every_theme() {
        for level in 1..=5u8 {
            let c = contrast(heat_color(level), heat_ink(level));
            assert!(c >= 4.5, "export level {level}: {c:.2}:1");
        }
        let css = include_str!("../../static/app.css");
        let (light, dark) = css
            .split_once("@media (prefers-color-scheme: dark)")
            .expect("a dark theme");
        for (theme, css) in [("light", light), ("dark", dark)] {
            let vars = variables(css);
            let mut last = None;
            for level in 1..=5 {
                let fill = &vars[&format!("heat-{level}")];
                let ink = &vars[&format!("heat-ink-{level}")];
                let c = contrast(fill, ink);
                assert!(
                    c >= 4.5,
                    "{theme} level {level}: {fill} on {ink} is {c:.2}:1"
                );
                let l = luminance(fill);
                if let Some(prev) = last {
                    let rising = theme == "dark";
                    assert!(
                        if rising { l > prev } else { l < prev },
                        "{theme} level {level} is not a step on from {}",
                        level - 1
                    );
                }
                last = Some(l);
            }
            if theme == "light" {
                assert_eq!(vars["heat-1"], HEAT_COLORS[0]);
                assert_eq!(vars["heat-4"], HEAT_COLORS[3]);
                assert_eq!(vars["heat-5"], HEAT_COLORS[4]);
            }
        }
    }
}
