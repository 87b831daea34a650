//! How wide a run of text is: a conservative per-character width model
//! (sized on the wide DejaVu Sans) that every SVG label is measured with, so
//! text never overflows its box in the fonts the SVGs name. Pure.

/// The three faces labels are set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Sans,
    SansBold,
    Mono,
}

/// Advance widths of printable ASCII (`' '` to `'~'`) in DejaVu Sans, in
/// thousandths of an em. DejaVu Sans is the widest common sans-serif (and the
/// fallback where none of the named fonts is installed): wider than Inter,
/// Segoe UI, Roboto, Helvetica or Arial, so an estimate from it is an upper
/// bound in the usual fonts.
const ASCII_WIDTHS: [u16; 95] = [
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318,
    337, // ' '..'/'
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838,
    531, // '0'..'?'
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748,
    787, // '@'..'O'
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838,
    500, // 'P'..'_'
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634,
    612, // '`'..'o'
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838, // 'p'..'~'
];

/// Safety margin over the table (hinting, kerning, font differences).
const WIDTH_MARGIN: f64 = 1.05;
/// DejaVu Sans Bold over DejaVu Sans, at most.
const BOLD_FACTOR: f64 = 1.14;

/// Width of a character in ems (see [`ASCII_WIDTHS`]).
fn char_em(c: char) -> f64 {
    let code = c as u32;
    if (0x20..0x7F).contains(&code) {
        f64::from(ASCII_WIDTHS[(code - 0x20) as usize]) / 1000.0
    } else if is_wide(c) {
        1.1
    } else {
        // Accented letters, typographic punctuation, the ellipsis.
        1.0
    }
}

/// East Asian wide characters and emoji.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F000..=0x1FAFF
        | 0x20000..=0x3FFFD)
}

/// Estimated advance width of `text` at `size` pixels: an upper bound for
/// the fonts the SVG names (see [`char_em`]).
pub fn text_width(text: &str, size: f64, face: Face) -> f64 {
    let ems: f64 = match face {
        Face::Mono => text
            .chars()
            .map(|c| if is_wide(c) { 1.2 } else { 0.62 })
            .sum(),
        Face::Sans => text.chars().map(char_em).sum::<f64>() * WIDTH_MARGIN,
        Face::SansBold => text.chars().map(char_em).sum::<f64>() * WIDTH_MARGIN * BOLD_FACTOR,
    };
    ems * size
}
