//! Shortening user-supplied text for messages, tooltips and printed sheets.

/// `text`, or its first `max - 1` characters and "…" when it is longer than
/// `max` characters: the result never exceeds `max` characters.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn long_text_is_cut_to_the_limit_with_an_ellipsis() {
        assert_eq!(shorten("short", 5), "short");
        assert_eq!(shorten("longer", 5), "long…");
        assert_eq!(shorten("ééééé-é", 6), "ééééé…");
        assert_eq!(shorten("ab", 0), "…");
    }
}
