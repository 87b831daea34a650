//! Labels: one line of text each, measured, wrapped to fit and made safe for XML.

use super::geometry::Rect;
use crate::render::measure::{Face, text_width};

/// The font stack of every label (presentation attribute on the root `<svg>`):
/// the system face first, as the pages' own (static/app.css), so a page
/// with a story opens no other face; labels are measured on DejaVu Sans, the
/// widest of these (`render::measure`).
pub const FONT_SANS: &str =
    "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif";
/// The font stack of ATLAS IDs.
pub const FONT_MONO: &str =
    "ui-monospace, SFMono-Regular, Menlo, Consolas, DejaVu Sans Mono, monospace";

/// Ascent and descent of a line of text, in ems (DejaVu Sans: 0.928 / 0.236).
const ASCENT: f64 = 0.93;
const DESCENT: f64 = 0.24;

/// One line of text: a `<text>` element.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub x: i32,
    /// Baseline.
    pub y: i32,
    pub size: i32,
    pub face: Face,
    /// Centred on `x` (`text-anchor="middle"`) rather than starting there.
    pub middle: bool,
    pub fill: &'static str,
    pub class: &'static str,
    pub text: String,
}

impl Label {
    pub fn width(&self) -> f64 {
        text_width(&self.text, f64::from(self.size), self.face)
    }

    /// The box the text occupies, by the width model.
    pub fn bbox(&self) -> Rect {
        let w = self.width();
        let size = f64::from(self.size);
        let left = if self.middle {
            f64::from(self.x) - w / 2.0
        } else {
            f64::from(self.x)
        };
        Rect::new(
            left,
            f64::from(self.y) - ASCENT * size,
            w,
            (ASCENT + DESCENT) * size,
        )
    }

    pub fn is_bold(&self) -> bool {
        self.face == Face::SansBold
    }

    pub fn is_mono(&self) -> bool {
        self.face == Face::Mono
    }

    pub fn font_mono(&self) -> &'static str {
        FONT_MONO
    }
}

/// Drops characters XML 1.0 does not allow (U+FFFE, U+FFFF, C0 controls
/// other than tab and newlines): one of them would make the SVG unreadable.
pub fn xml_safe(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
        })
        .collect()
}

/// Greedy word wrap of `text` into lines at most `max` pixels wide,
/// breaking at spaces and after hyphens (see [`crate::render::text`]); a
/// word wider than a line is abbreviated with "…", never split over two
/// lines. Past `max_lines` the last line ends with "…". Empty text gives no
/// lines.
pub fn wrap(text: &str, max: f64, size: f64, face: Face, max_lines: usize) -> Vec<String> {
    let text = xml_safe(text);
    let fits = |s: &str| text_width(s, size, face) <= max;
    let mut lines: Vec<String> = crate::render::text::wrap_at_words(&text, max, size, face)
        .into_iter()
        .map(|l| {
            if fits(&l) {
                l
            } else {
                crate::render::text::abbreviate(&l, max, size, face)
            }
        })
        .collect();
    if lines.len() > max_lines.max(1) {
        lines.truncate(max_lines.max(1));
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && !fits(&format!("{last}…")) {
                last.pop();
            }
            let trimmed = last.trim_end().to_string();
            *last = format!("{trimmed}…");
        }
    }
    lines
}
