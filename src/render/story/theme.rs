//! The picture's measures, colours and text styles.

use super::text::{Label, wrap};
use crate::render::measure::{Face, text_width};

// ------------------------------------------------------------ dimensions

pub(super) const MARGIN: i32 = 16;
pub(super) const MIN_WIDTH: i32 = 520;
/// Width of a lane that holds steps, and of its nodes.
pub(super) const LANE_W: i32 = 180;
pub(super) const NODE_W: i32 = 164;
/// Narrowest lane without steps (`lanes=all`).
pub(super) const EMPTY_LANE_MIN_W: i32 = 96;
pub(super) const NODE_PAD: i32 = 10;
pub(super) const TIME_W: i32 = 112;
pub(super) const MILESTONE_W: i32 = 150;
/// Vertical room between two rows; arrows turn in its middle.
pub(super) const ROW_GAP: i32 = 36;

pub(super) const NAME_SIZE: i32 = 13;
pub(super) const NAME_LINE: i32 = 16;
pub(super) const NAME_MAX_LINES: usize = 5;
pub(super) const ID_SIZE: i32 = 11;
pub(super) const NOTE_SIZE: i32 = 11;
pub(super) const NOTE_LINE: i32 = 14;
pub(super) const HEAD_SIZE: i32 = 12;
pub(super) const HEAD_LINE: i32 = 15;
pub(super) const HEAD_ID_SIZE: i32 = 10;

// ---------------------------------------------------------------- colours

pub(super) const INK: &str = "#161b24";
pub(super) const INK_SOFT: &str = "#475569";
pub(super) const HEAD_FILL: &str = "#18243a";
pub(super) const HEAD_FILL_UNREACHED: &str = "#64748b";
pub(super) const HEAD_FILL_FURTHEST: &str = "#c2410c";
pub(super) const HEAD_INK: &str = "#ffffff";
pub(super) const HEAD_ID_INK: &str = "#dbe3ee";
pub(super) const BAND_EVEN: &str = "#f5f7fa";
pub(super) const BAND_ODD: &str = "#ebeff5";
pub(super) const BAND_UNREACHED: &str = "#fbfcfd";

/// How a run of text is set.
#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    pub(super) size: i32,
    /// Baseline to baseline.
    pub(super) line: i32,
    pub(super) face: Face,
    pub(super) middle: bool,
    pub(super) fill: &'static str,
    pub(super) class: &'static str,
}

impl Style {
    pub(super) const fn new(
        size: i32,
        line: i32,
        face: Face,
        fill: &'static str,
        class: &'static str,
    ) -> Style {
        Style {
            size,
            line,
            face,
            middle: false,
            fill,
            class,
        }
    }

    pub(super) const fn centred(self) -> Style {
        Style {
            middle: true,
            ..self
        }
    }

    pub(super) const fn with(self, fill: &'static str, class: &'static str) -> Style {
        Style {
            fill,
            class,
            ..self
        }
    }

    pub(super) fn width(&self, text: &str) -> f64 {
        text_width(text, f64::from(self.size), self.face)
    }

    pub(super) fn wrap(&self, text: &str, max: i32, max_lines: usize) -> Vec<String> {
        wrap(
            text,
            f64::from(max),
            f64::from(self.size),
            self.face,
            max_lines,
        )
    }

    pub(super) fn label(&self, x: i32, y: i32, text: impl Into<String>) -> Label {
        Label {
            x,
            y,
            size: self.size,
            face: self.face,
            middle: self.middle,
            fill: self.fill,
            class: self.class,
            text: text.into(),
        }
    }

    /// `text` wrapped to `max` pixels, one line under the other from baseline `y`.
    pub(super) fn block(
        &self,
        text: &str,
        x: i32,
        y: i32,
        max: i32,
        max_lines: usize,
    ) -> Vec<Label> {
        self.wrap(text, max, max_lines)
            .into_iter()
            .enumerate()
            .map(|(i, line)| self.label(x, y + self.line * i as i32, line))
            .collect()
    }
}

pub(super) const TITLE: Style = Style::new(18, 23, Face::SansBold, INK, "story-title");
pub(super) const SENTENCE: Style = Style::new(13, 17, Face::Sans, INK_SOFT, "story-sentence");
pub(super) const LANE_NAME: Style = Style::new(
    HEAD_SIZE,
    HEAD_LINE,
    Face::SansBold,
    HEAD_INK,
    "story-lane-name",
)
.centred();
pub(super) const LANE_ID: Style =
    Style::new(HEAD_ID_SIZE, 13, Face::Mono, HEAD_ID_INK, "story-lane-id").centred();
pub(super) const TECHNIQUE: Style =
    Style::new(NAME_SIZE, NAME_LINE, Face::Sans, INK, "story-technique");
pub(super) const TECHNIQUE_ID: Style =
    Style::new(ID_SIZE, 14, Face::Mono, INK_SOFT, "story-technique-id");
pub(super) const BADGE: Style =
    Style::new(11, 14, Face::SansBold, "#ffffff", "story-badge-number").centred();
pub(super) const OUTCOME: Style =
    Style::new(NOTE_SIZE, NOTE_LINE, Face::SansBold, INK, "story-outcome");
pub(super) const TIME: Style = Style::new(NOTE_SIZE, NOTE_LINE, Face::Sans, INK_SOFT, "story-time");
pub(super) const MILESTONE: Style =
    Style::new(NOTE_SIZE, NOTE_LINE, Face::SansBold, INK, "story-milestone");
pub(super) const GUTTER_HEAD: Style = Style::new(
    NOTE_SIZE,
    NOTE_LINE,
    Face::SansBold,
    INK_SOFT,
    "story-gutter-head",
);
pub(super) const EMPTY_TITLE: Style =
    Style::new(16, 20, Face::SansBold, INK, "story-empty-title").centred();
pub(super) const EMPTY_HINT: Style =
    Style::new(12, 16, Face::Sans, INK_SOFT, "story-empty-hint").centred();
pub(super) const LEGEND_TITLE: Style = Style::new(
    NOTE_SIZE,
    NOTE_LINE,
    Face::SansBold,
    INK_SOFT,
    "story-legend-title",
);
pub(super) const LEGEND_LABEL: Style =
    Style::new(NOTE_SIZE, NOTE_LINE, Face::Sans, INK, "story-legend-label");
