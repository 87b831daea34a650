//! Ordering of ATLAS content versions across both eras: semantic-looking
//! `4.8.0` / `5.6.0` and calendar `2026.09`.

use std::cmp::Ordering;

/// Compare two content versions. Both are split on `.`; numeric components
/// compare as integers (so `5.10.0` > `5.6.0` and `2026.09` > `5.6.0`), a
/// numeric component sorts before a non-numeric one, and non-numeric
/// components compare as strings. A version that is a prefix of the other
/// sorts first (`5.6` < `5.6.0`). Surrounding whitespace is ignored.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let mut xs = a.trim().split('.');
    let mut ys = b.trim().split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = compare_component(x, y);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

fn numeric(s: &str) -> Option<&str> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        Some(s.trim_start_matches('0'))
    } else {
        None
    }
}

fn compare_component(x: &str, y: &str) -> Ordering {
    match (numeric(x), numeric(y)) {
        // Integer comparison without overflow: fewer significant digits is
        // smaller, equal lengths compare digit by digit.
        (Some(a), Some(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => x.cmp(y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn semantic_era() {
        assert_eq!(compare_versions("5.6.0", "4.8.0"), Greater);
        assert_eq!(compare_versions("4.8.0", "5.6.0"), Less);
        assert_eq!(compare_versions("5.10.0", "5.6.0"), Greater);
        assert_eq!(compare_versions("5.6.1", "5.6.0"), Greater);
        assert_eq!(compare_versions("5.6.0", "5.6.0"), Equal);
    }

    #[test]
    fn calendar_era_is_newer() {
        assert_eq!(compare_versions("2026.09", "5.6.0"), Greater);
        assert_eq!(compare_versions("5.6.0", "2026.05"), Less);
        assert_eq!(compare_versions("2026.10", "2026.09"), Greater);
        assert_eq!(compare_versions("2027.01", "2026.12"), Greater);
        // Leading zeros do not matter numerically.
        assert_eq!(compare_versions("2026.09", "2026.9"), Equal);
    }

    #[test]
    fn non_numeric_parts() {
        assert_eq!(compare_versions("5.6.0", "5.6.x"), Less);
        assert_eq!(compare_versions("5.6.beta", "5.6.alpha"), Greater);
        assert_eq!(compare_versions("5.6", "5.6.0"), Less);
        assert_eq!(compare_versions("99999999999999999999999", "1"), Greater);
    }

    #[test]
    fn sorting_a_mixed_list() {
        let mut v = vec!["2026.09", "4.8.0", "5.10.0", "2026.05", "5.6.0", "4.9.0"];
        v.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(
            v,
            ["4.8.0", "4.9.0", "5.6.0", "5.10.0", "2026.05", "2026.09"]
        );
    }
}
