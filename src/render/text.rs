//! Labels that wrap at words: lines break at spaces and after hyphens (and
//! slashes), never inside a word. A label whose longest word is wider than
//! its box is set smaller, down to a floor; only past the floor is that word
//! abbreviated with "…" — still never split over two lines. Widths come from
//! [`text_width`], an upper bound for the fonts the SVGs name. Pure.

use super::measure::{Face, text_width};

/// The pieces of `text` a line may break between, each with the glue that
/// joins it to the piece before: `" "` between words, `""` after a hyphen
/// or slash inside a word ("Command-" + "and-" + "Control").
fn pieces(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let mut glue = " ";
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            // A break after a hyphen or slash that has a letter on each side.
            if matches!(c, '-' | '/') && piece.chars().count() > 1 {
                out.push((glue, std::mem::take(&mut piece)));
                glue = "";
            }
        }
        if !piece.is_empty() {
            out.push((glue, piece));
        }
    }
    out
}

/// Greedy wrap into lines at most `max` pixels wide, breaking only between
/// pieces (see [`pieces`]). A piece wider than a line gets a line of its own
/// (and is wider than `max`).
pub fn wrap_at_words(text: &str, max: f64, size: f64, face: Face) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for (glue, piece) in pieces(text) {
        if line.is_empty() {
            line = piece;
            continue;
        }
        let candidate = format!("{line}{glue}{piece}");
        if text_width(&candidate, size, face) <= max {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, piece));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The longest start of `word` that fits `max` with "…" after it (at least
/// one character).
pub fn abbreviate(word: &str, max: f64, size: f64, face: Face) -> String {
    if text_width(word, size, face) <= max {
        return word.to_string();
    }
    let chars: Vec<char> = word.chars().collect();
    let mut n = chars.len().saturating_sub(1);
    while n > 1 {
        let candidate: String = chars[..n].iter().collect::<String>() + "…";
        if text_width(&candidate, size, face) <= max {
            return candidate;
        }
        n -= 1;
    }
    chars.first().map(|c| format!("{c}…")).unwrap_or_default()
}

/// A label set to fit its box.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// The font size used (pixels).
    pub size: i32,
    /// The lines of every paragraph, in order.
    pub lines: Vec<String>,
    /// A word had to be abbreviated (it did not fit even at the floor).
    pub abbreviated: bool,
}

/// Sets `paragraphs` (each starting a new line: a name, then its ID) in a
/// box `max` pixels wide: at `size` when every word fits, else at the
/// largest size down to `min` where they do; past that at `min`, with each
/// word that is still too wide abbreviated.
pub fn fit(paragraphs: &[&str], max: f64, size: i32, min: i32, face: Face) -> Fitted {
    let set = |s: i32| -> Vec<String> {
        paragraphs
            .iter()
            .flat_map(|p| wrap_at_words(p, max, f64::from(s), face))
            .collect()
    };
    let min = min.min(size);
    for s in (min..=size).rev() {
        let lines = set(s);
        if lines
            .iter()
            .all(|l| text_width(l, f64::from(s), face) <= max)
        {
            return Fitted {
                size: s,
                lines,
                abbreviated: false,
            };
        }
    }
    let lines = set(min)
        .into_iter()
        .map(|l| {
            if text_width(&l, f64::from(min), face) <= max {
                l
            } else {
                abbreviate(&l, max, f64::from(min), face)
            }
        })
        .collect();
    Fitted {
        size: min,
        lines,
        abbreviated: true,
    }
}

/// The longest run of characters a line cannot break inside, in
/// characters: what a narrow box must make room for.
pub fn longest_piece(text: &str) -> usize {
    pieces(text)
        .iter()
        .map(|(_, p)| p.chars().count())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fits(lines: &[String], max: f64, size: i32, face: Face) -> bool {
        lines
            .iter()
            .all(|l| text_width(l, f64::from(size), face) <= max)
    }

    #[test]
    fn lines_break_at_spaces_and_after_hyphens_never_inside_a_word() {
        let w = |t: &str, max: f64| wrap_at_words(t, max, 12.0, Face::Sans);
        assert_eq!(w("Evade AI Model", 70.0), ["Evade AI", "Model"]);
        assert_eq!(
            w("Command-and-Control Channel", 75.0),
            ["Command-", "and-Control", "Channel"]
        );
        assert_eq!(
            w("Virtualization/Sandbox Evasion", 100.0),
            ["Virtualization/", "Sandbox", "Evasion"]
        );
        // Too wide: on its own line, whole.
        assert_eq!(w("Reconnaissance", 40.0), ["Reconnaissance"]);
        assert!(w("   ", 10.0).is_empty());
        assert_eq!(longest_piece("Command-and-Control"), 8);
        assert_eq!(longest_piece("Reconnaissance"), 14);
    }

    #[test]
    fn a_long_word_shrinks_then_is_abbreviated_but_never_split() {
        let width = text_width("Reconnaissance", 12.0, Face::SansBold);
        // Room for the word at 12 px: kept at 12.
        let f = fit(&["Reconnaissance"], width, 12, 9, Face::SansBold);
        assert_eq!(
            (f.size, f.lines.as_slice(), f.abbreviated),
            (12, &["Reconnaissance".to_string()][..], false)
        );
        // A little less room: smaller type, still whole.
        let f = fit(&["Reconnaissance"], width * 0.85, 12, 9, Face::SansBold);
        assert!(f.size < 12 && f.size >= 9 && !f.abbreviated, "{f:?}");
        assert_eq!(f.lines, ["Reconnaissance"]);
        // Far too little: the floor, then "Reconn…", on one line.
        let f = fit(&["Reconnaissance"], width * 0.5, 12, 9, Face::SansBold);
        assert_eq!(f.size, 9);
        assert!(f.abbreviated);
        assert_eq!(f.lines.len(), 1);
        assert!(
            f.lines[0].ends_with('…')
                && "Reconnaissance".starts_with(f.lines[0].trim_end_matches('…'))
        );
        assert!(fits(&f.lines, width * 0.5, 9, Face::SansBold));
        // Paragraphs each start a line: name, then ID.
        let f = fit(&["Evade AI Model", "AML.T0015"], 200.0, 12, 9, Face::Sans);
        assert_eq!(f.lines, ["Evade AI Model", "AML.T0015"]);
    }
}
