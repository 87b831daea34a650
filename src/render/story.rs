//! The attack-path story of one incident as geometry: a pure layout that
//! templates print as SVG. No HTTP, no SQL.
//!
//! The picture has one vertical lane per tactic in matrix order (the tactics
//! the incident reached, or all of them) and one row per step, so the story
//! reads top to bottom while the attack moves left to right across the
//! matrix. Every step is a numbered node in its tactic's lane; an arrow joins
//! each step to the next, turning only in the gap between two rows, where no
//! text is. The step's time (where known) sits in a gutter on the left, its
//! milestone (initial access, AI attack staging, final impact) in a gutter on
//! the right, joined to the node by a dashed leader along the node's own row.
//! Because each step owns its row, nothing overlaps however long the story
//! is: a long story makes a taller picture, never a denser one. Repeated
//! tactics stay in one lane, one row each.
//!
//! Text never overflows its box: every label is measured with a conservative
//! per-character width model ([`text_width`], sized on the wide DejaVu Sans),
//! wrapped to fit, and its box grows with the line count. [`StoryLayout::collisions`]
//! checks the result (labels inside the canvas and their boxes, no two nodes
//! or labels overlapping, no arrow through a label); the tests run it.
//!
//! Use: [`StoryLayout::build`] is the pure layout (with [`StorySummary`], the
//! milestones and the furthest stage in plain words); [`StoryView::build`]
//! adds the ordered list for templates. A template with a field
//! `story: StoryView` shows it with `{% include "story/_story.html" %}`
//! (summary, inline SVG, list); `templates/story/story.svg` alone is the
//! standalone picture, styled by presentation attributes only (the CSP
//! allows no `<style>`), so it also looks right pasted into slides.

mod view;

use std::collections::HashMap;

use crate::atlas::ActiveAtlas;
use crate::domain::{IncidentDetail, Observation, Outcome};

pub use view::{StoryItem, StoryView};

/// Initial Access: the first step here is the "initial access" milestone.
pub const INITIAL_ACCESS: &str = "AML.TA0004";
/// AI Attack Staging: every step here is an "AI attack staging" milestone.
pub const AI_ATTACK_STAGING: &str = "AML.TA0001";
/// Impact: the last step here is the "final impact" milestone.
pub const IMPACT: &str = "AML.TA0011";

/// The font stack of every label (presentation attribute on the root `<svg>`).
pub const FONT_SANS: &str =
    "Inter, Segoe UI, Roboto, Helvetica Neue, Arial, Liberation Sans, sans-serif";
/// The font stack of ATLAS IDs.
pub const FONT_MONO: &str =
    "JetBrains Mono, SFMono-Regular, Menlo, Consolas, Liberation Mono, DejaVu Sans Mono, monospace";

// ------------------------------------------------------------ dimensions

const MARGIN: i32 = 16;
const MIN_WIDTH: i32 = 520;
/// Width of a lane that holds steps, and of its nodes.
const LANE_W: i32 = 180;
const NODE_W: i32 = 164;
/// Narrowest lane without steps (`lanes=all`).
const EMPTY_LANE_MIN_W: i32 = 96;
const NODE_PAD: i32 = 10;
const TIME_W: i32 = 112;
const MILESTONE_W: i32 = 150;
/// Vertical room between two rows; arrows turn in its middle.
const ROW_GAP: i32 = 36;

const NAME_SIZE: i32 = 13;
const NAME_LINE: i32 = 16;
const NAME_MAX_LINES: usize = 5;
const ID_SIZE: i32 = 11;
const NOTE_SIZE: i32 = 11;
const NOTE_LINE: i32 = 14;
const HEAD_SIZE: i32 = 12;
const HEAD_LINE: i32 = 15;
const HEAD_ID_SIZE: i32 = 10;

// ---------------------------------------------------------------- colours

const INK: &str = "#161b24";
const INK_SOFT: &str = "#475569";
const HEAD_FILL: &str = "#18243a";
const HEAD_FILL_UNREACHED: &str = "#64748b";
const HEAD_FILL_FURTHEST: &str = "#c2410c";
const HEAD_INK: &str = "#ffffff";
const HEAD_ID_INK: &str = "#dbe3ee";
const BAND_EVEN: &str = "#f5f7fa";
const BAND_ODD: &str = "#ebeff5";
const BAND_UNREACHED: &str = "#fbfcfd";

/// Which lanes the picture has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LaneMode {
    /// Only the tactics the incident's steps are in.
    #[default]
    Reached,
    /// Every tactic of the active release (plus any unknown tactic a step names).
    All,
}

/// A refused `lanes` query value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LaneModeError {
    pub message: String,
}

impl LaneMode {
    /// `reached` (also absent or empty) or `all`.
    pub fn parse(raw: Option<&str>) -> Result<LaneMode, LaneModeError> {
        match raw.map(str::trim).unwrap_or("") {
            "" | "reached" => Ok(LaneMode::Reached),
            "all" => Ok(LaneMode::All),
            other => Err(LaneModeError {
                message: format!(
                    "lanes must be \"reached\" or \"all\", not {:?}",
                    other.chars().take(40).collect::<String>()
                ),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LaneMode::Reached => "reached",
            LaneMode::All => "all",
        }
    }
}

/// What the layout is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoryOptions {
    pub lanes: LaneMode,
    /// Draw the incident title and the summary sentence at the top (for the
    /// standalone SVG; a page shows them as HTML instead).
    pub titled: bool,
}

// ------------------------------------------------------------- geometry

/// An axis-aligned box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn new(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect { x, y, w, h }
    }

    pub fn right(&self) -> f64 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }

    /// Whether the interiors intersect (touching edges do not count).
    pub fn overlaps(&self, other: &Rect) -> bool {
        const EPS: f64 = 1e-6;
        self.x < other.right() - EPS
            && other.x < self.right() - EPS
            && self.y < other.bottom() - EPS
            && other.y < self.bottom() - EPS
    }

    /// Whether `other` lies entirely inside this box.
    pub fn contains(&self, other: &Rect) -> bool {
        const EPS: f64 = 1e-6;
        other.x >= self.x - EPS
            && other.y >= self.y - EPS
            && other.right() <= self.right() + EPS
            && other.bottom() <= self.bottom() + EPS
    }
}

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

/// A straight line (leaders and guides).
#[derive(Debug, Clone, PartialEq)]
pub struct Guide {
    pub x1: i32,
    pub y1: i32,
    pub x2: i32,
    pub y2: i32,
    pub stroke: &'static str,
    pub class: &'static str,
}

/// How an outcome looks: a shape as well as a colour, and its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeStyle {
    pub outcome: Outcome,
    /// `story-out-prevented`, …
    pub class: &'static str,
    pub stroke: &'static str,
    pub tint: &'static str,
    /// `octagon`, `diamond`, `triangle`, `circle`.
    pub shape: &'static str,
}

impl OutcomeStyle {
    pub fn of(outcome: Outcome) -> OutcomeStyle {
        let (class, stroke, tint, shape) = match outcome {
            Outcome::Prevented => ("story-out-prevented", "#15803d", "#effbf3", "octagon"),
            Outcome::Detected => ("story-out-detected", "#1d4ed8", "#eff5ff", "diamond"),
            Outcome::Missed => ("story-out-missed", "#b91c1c", "#fef2f2", "triangle"),
            Outcome::Unknown => ("story-out-unknown", "#64748b", "#f8fafc", "circle"),
        };
        OutcomeStyle {
            outcome,
            class,
            stroke,
            tint,
            shape,
        }
    }

    pub fn label(&self) -> &'static str {
        self.outcome.label()
    }
}

/// An outcome's shape centred on (`cx`, `cy`), about 14 px across.
#[derive(Debug, Clone, PartialEq)]
pub struct Icon {
    pub style: OutcomeStyle,
    pub cx: i32,
    pub cy: i32,
    /// Radius of the circle (unknown); 0 for a polygon.
    pub r: i32,
    /// Polygon points (empty for the circle).
    pub points: String,
}

impl Icon {
    pub fn new(outcome: Outcome, cx: i32, cy: i32) -> Icon {
        let style = OutcomeStyle::of(outcome);
        let (x, y) = (f64::from(cx), f64::from(cy));
        let pts = |list: &[(f64, f64)]| {
            list.iter()
                .map(|(dx, dy)| format!("{},{}", fmt1(x + dx), fmt1(y + dy)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (r, points) = match outcome {
            Outcome::Prevented => {
                let (a, b) = (2.9, 7.0);
                (
                    0,
                    pts(&[
                        (-a, -b),
                        (a, -b),
                        (b, -a),
                        (b, a),
                        (a, b),
                        (-a, b),
                        (-b, a),
                        (-b, -a),
                    ]),
                )
            }
            Outcome::Detected => (0, pts(&[(0.0, -7.5), (7.5, 0.0), (0.0, 7.5), (-7.5, 0.0)])),
            Outcome::Missed => (0, pts(&[(0.0, -7.0), (7.5, 6.0), (-7.5, 6.0)])),
            Outcome::Unknown => (6, String::new()),
        };
        Icon {
            style,
            cx,
            cy,
            r,
            points,
        }
    }

    pub fn is_circle(&self) -> bool {
        self.r > 0
    }

    fn bbox(&self) -> Rect {
        Rect::new(
            f64::from(self.cx) - 8.0,
            f64::from(self.cy) - 8.0,
            16.0,
            16.0,
        )
    }
}

/// A number with at most one decimal, without a trailing `.0`.
fn fmt1(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

// ------------------------------------------------------------- the story

/// A milestone of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MilestoneKind {
    /// The first step in Initial Access.
    InitialAccess,
    /// A step in AI Attack Staging.
    Staging,
    /// The last step in Impact.
    Impact,
    /// The last step, when no step reached Impact.
    LastStage,
}

impl MilestoneKind {
    pub fn label(self) -> &'static str {
        match self {
            MilestoneKind::InitialAccess => "Initial access",
            MilestoneKind::Staging => "AI attack staging",
            MilestoneKind::Impact => "Final impact",
            MilestoneKind::LastStage => "Last stage",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            MilestoneKind::InitialAccess => "story-ms-initial",
            MilestoneKind::Staging => "story-ms-staging",
            MilestoneKind::Impact => "story-ms-impact",
            MilestoneKind::LastStage => "story-ms-last",
        }
    }

    fn colour(self) -> &'static str {
        match self {
            MilestoneKind::InitialAccess => "#6d28d9",
            MilestoneKind::Staging => "#a16207",
            MilestoneKind::Impact => "#be123c",
            MilestoneKind::LastStage => INK_SOFT,
        }
    }
}

/// A tactic reached at a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRef {
    pub tactic_id: String,
    pub name: String,
    /// 1-based step number.
    pub step: usize,
}

/// The path in plain words and the facts behind them (step numbers are 1-based).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StorySummary {
    pub steps: usize,
    /// The tactic furthest along the matrix that a step reached (its first step there).
    pub furthest: Option<StageRef>,
    pub initial_access: Option<usize>,
    pub staging: Vec<usize>,
    pub impact: Option<usize>,
    /// The tactic of the last step.
    pub last: Option<StageRef>,
    pub prevented: Vec<usize>,
    pub detected: Vec<usize>,
    pub missed: Vec<usize>,
    /// Where the times run backwards: (step, the earlier step it comes
    /// before). A step runs backwards when its whole stated period ends
    /// before an earlier step's begins (periods that overlap are in order).
    pub backwards: Vec<TimeReversal>,
    /// "Reached Exfiltration; AI attack staging in steps 3–5; detected at step 4."
    pub sentence: String,
}

/// A step whose time comes before an earlier step's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeReversal {
    pub step: usize,
    pub time: String,
    pub earlier_step: usize,
    pub earlier_time: String,
}

impl TimeReversal {
    /// "Times run backwards at step 3: 2024-05-01 is before step 2 (2024-06-02)."
    pub fn words(&self) -> String {
        format!(
            "Times run backwards at step {}: {} is before step {} ({}).",
            self.step, self.time, self.earlier_step, self.earlier_time
        )
    }
}

/// The steps (numbered from 1, in story order) whose stated period ends
/// before an earlier step's begins, each with the latest-starting earlier step.
pub fn time_reversals(steps: &[&Observation]) -> Vec<TimeReversal> {
    let mut out = Vec::new();
    let mut latest: Option<(usize, crate::domain::FuzzyTime)> = None;
    for (i, s) in steps.iter().enumerate() {
        let Some(t) = s.observed else { continue };
        if let Some((n, before)) = latest
            && t.end() <= before.at
        {
            out.push(TimeReversal {
                step: i + 1,
                time: t.display(),
                earlier_step: n,
                earlier_time: before.display(),
            });
        }
        if latest.is_none_or(|(_, before)| t.at > before.at) {
            latest = Some((i + 1, t));
        }
    }
    out
}

impl StorySummary {
    pub fn of(atlas: &ActiveAtlas, steps: &[&Observation]) -> StorySummary {
        let name = |id: &str| tactic_name(atlas, id);
        let numbered = || steps.iter().enumerate().map(|(i, s)| (i + 1, *s));
        let furthest = numbered()
            .filter_map(|(n, s)| atlas.tactic_position(&s.tactic_id).map(|p| (p, n, s)))
            // Highest position; among equals the earliest step.
            .fold(
                None::<(usize, usize, &Observation)>,
                |best, cur| match best {
                    Some(b) if b.0 >= cur.0 => Some(b),
                    _ => Some(cur),
                },
            )
            .map(|(_, n, s)| StageRef {
                tactic_id: s.tactic_id.clone(),
                name: name(&s.tactic_id),
                step: n,
            });
        let in_tactic = |tactic: &str| -> Vec<usize> {
            numbered()
                .filter(|(_, s)| s.tactic_id == tactic)
                .map(|(n, _)| n)
                .collect()
        };
        let with_outcome = |o: Outcome| -> Vec<usize> {
            numbered()
                .filter(|(_, s)| s.outcome == o)
                .map(|(n, _)| n)
                .collect()
        };
        let last = steps.last().map(|s| StageRef {
            tactic_id: s.tactic_id.clone(),
            name: name(&s.tactic_id),
            step: steps.len(),
        });
        let mut summary = StorySummary {
            steps: steps.len(),
            furthest,
            initial_access: in_tactic(INITIAL_ACCESS).first().copied(),
            staging: in_tactic(AI_ATTACK_STAGING),
            impact: in_tactic(IMPACT).last().copied(),
            last,
            prevented: with_outcome(Outcome::Prevented),
            detected: with_outcome(Outcome::Detected),
            missed: with_outcome(Outcome::Missed),
            backwards: time_reversals(steps),
            sentence: String::new(),
        };
        summary.sentence = summary.words();
        summary
    }

    fn words(&self) -> String {
        if self.steps == 0 {
            return "No steps recorded yet.".to_string();
        }
        let mut parts: Vec<String> = Vec::new();
        parts.push(match &self.furthest {
            Some(f) => format!("reached {}", f.name),
            None => "furthest stage unknown (no step is in a tactic of the active ATLAS release)"
                .to_string(),
        });
        if let Some(n) = self.initial_access {
            parts.push(format!("initial access at step {n}"));
        }
        if !self.staging.is_empty() {
            parts.push(format!("AI attack staging in {}", step_list(&self.staging)));
        }
        match (self.impact, &self.last) {
            (Some(n), _) => parts.push(format!("final impact at step {n}")),
            (None, Some(last)) => parts.push(format!(
                "no impact recorded (last stage: {} at step {})",
                last.name, last.step
            )),
            (None, None) => {}
        }
        let outcomes = [
            ("prevented", &self.prevented),
            ("detected", &self.detected),
            ("missed", &self.missed),
        ];
        let mut any = false;
        for (word, list) in outcomes {
            if !list.is_empty() {
                any = true;
                parts.push(format!("{word} at {}", step_list(list)));
            }
        }
        if !any {
            parts.push("no control outcome recorded".to_string());
        }
        let mut sentence = parts.join("; ");
        if let Some(first) = sentence.get(..1) {
            let upper = first.to_uppercase();
            sentence.replace_range(..1, &upper);
        }
        sentence.push('.');
        sentence
    }
}

/// "step 3", "steps 3–5", "steps 1–3, 5 and 7–8".
pub fn step_list(numbers: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &n in numbers {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => runs.push((n, n)),
        }
    }
    let texts: Vec<String> = runs
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect();
    let word = if numbers.len() == 1 { "step" } else { "steps" };
    match texts.as_slice() {
        [] => String::new(),
        [one] => format!("{word} {one}"),
        [init @ .., last] => format!("{word} {} and {last}", init.join(", ")),
    }
}

fn tactic_name(atlas: &ActiveAtlas, id: &str) -> String {
    atlas
        .tactic(id)
        .map_or_else(|| id.to_string(), |t| t.name.clone())
}

fn technique_name(atlas: &ActiveAtlas, id: &str) -> String {
    atlas
        .technique(id)
        .map_or_else(|| id.to_string(), |t| atlas.display_name(t))
}

/// One tactic's lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub index: usize,
    pub tactic_id: String,
    pub name: String,
    /// `/tactics/{id}`.
    pub href: String,
    /// In the active release.
    pub known: bool,
    /// Some step is in this tactic.
    pub reached: bool,
    /// The furthest stage reached.
    pub furthest: bool,
    /// Step numbers in this lane.
    pub steps: Vec<usize>,
    pub x: i32,
    pub width: i32,
    /// The header box.
    pub head_y: i32,
    pub head_h: i32,
    /// The band below the header, down to the last row.
    pub band_y: i32,
    pub band_h: i32,
    pub head_fill: &'static str,
    pub band_fill: &'static str,
    pub labels: Vec<Label>,
}

impl Lane {
    pub fn center(&self) -> i32 {
        self.x + self.width / 2
    }

    /// The header rectangle as drawn (inset 2 px from the lane's edges).
    pub fn head_x(&self) -> i32 {
        self.x + 2
    }

    pub fn head_w(&self) -> i32 {
        self.width - 4
    }

    pub fn head_rect(&self) -> Rect {
        Rect::new(
            f64::from(self.head_x()),
            f64::from(self.head_y),
            f64::from(self.head_w()),
            f64::from(self.head_h),
        )
    }
}

/// One step: a numbered node in its tactic's lane, with the notes of its row.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based story order.
    pub number: usize,
    pub step_id: String,
    /// Where a click goes: the step on the incident page.
    pub href: String,
    pub lane: usize,
    pub tactic_id: String,
    pub tactic_name: String,
    pub technique_id: String,
    pub technique_name: String,
    pub outcome: OutcomeStyle,
    /// The step's time as people write it, where known.
    pub time: Option<String>,
    pub milestones: Vec<MilestoneKind>,
    /// Hover text: the step in words, with the start of its description.
    pub tooltip: String,
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
    pub badge_cx: i32,
    pub badge_cy: i32,
    pub badge_r: i32,
    pub badge_label: Label,
    pub icon: Icon,
    pub outcome_label: Label,
    pub name_labels: Vec<Label>,
    pub id_label: Label,
    /// In the left gutter.
    pub time_labels: Vec<Label>,
    /// Dotted line from the time to the node.
    pub time_guide: Option<Guide>,
    /// In the right gutter.
    pub milestone_labels: Vec<Label>,
    /// Dashed line from the node to its milestone.
    pub leader: Option<Guide>,
}

impl Node {
    pub fn rect(&self) -> Rect {
        Rect::new(
            f64::from(self.x),
            f64::from(self.y),
            f64::from(self.width),
            f64::from(self.height),
        )
    }

    pub fn center_x(&self) -> i32 {
        self.x + self.width / 2
    }

    pub fn bottom(&self) -> i32 {
        self.y + self.height
    }

    /// The labels drawn inside the node's box.
    pub fn inner_labels(&self) -> impl Iterator<Item = &Label> {
        std::iter::once(&self.outcome_label)
            .chain(self.name_labels.iter())
            .chain(std::iter::once(&self.id_label))
    }

    pub fn is_milestone(&self) -> bool {
        !self.milestones.is_empty()
    }

    pub fn stroke_width(&self) -> &'static str {
        if self.is_milestone() { "2.5" } else { "1.5" }
    }
}

/// An arrow from one step to the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrow {
    pub from: usize,
    pub to: usize,
    /// The polyline, from the bottom of `from` to the tip at the top of `to`.
    pub points: Vec<(i32, i32)>,
    /// SVG path data of the shaft.
    pub d: String,
    /// Polygon points of the head.
    pub head: String,
}

/// One entry of the outcome legend.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendItem {
    pub icon: Icon,
    pub label: Label,
}

/// The whole picture.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryLayout {
    pub width: i32,
    pub height: i32,
    pub lane_mode: LaneMode,
    /// Title and summary lines (only when [`StoryOptions::titled`]).
    pub heading: Vec<Label>,
    /// "Time" and "Milestone" column heads.
    pub gutter_heads: Vec<Label>,
    pub lanes: Vec<Lane>,
    pub nodes: Vec<Node>,
    pub arrows: Vec<Arrow>,
    pub legend_title: Option<Label>,
    pub legend: Vec<LegendItem>,
    /// The empty state's message (no steps).
    pub empty: Vec<Label>,
    pub summary: StorySummary,
}

/// How a run of text is set.
#[derive(Debug, Clone, Copy)]
struct Style {
    size: i32,
    /// Baseline to baseline.
    line: i32,
    face: Face,
    middle: bool,
    fill: &'static str,
    class: &'static str,
}

impl Style {
    const fn new(
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

    const fn centred(self) -> Style {
        Style {
            middle: true,
            ..self
        }
    }

    const fn with(self, fill: &'static str, class: &'static str) -> Style {
        Style {
            fill,
            class,
            ..self
        }
    }

    fn width(&self, text: &str) -> f64 {
        text_width(text, f64::from(self.size), self.face)
    }

    fn wrap(&self, text: &str, max: i32, max_lines: usize) -> Vec<String> {
        wrap(
            text,
            f64::from(max),
            f64::from(self.size),
            self.face,
            max_lines,
        )
    }

    fn label(&self, x: i32, y: i32, text: impl Into<String>) -> Label {
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
    fn block(&self, text: &str, x: i32, y: i32, max: i32, max_lines: usize) -> Vec<Label> {
        self.wrap(text, max, max_lines)
            .into_iter()
            .enumerate()
            .map(|(i, line)| self.label(x, y + self.line * i as i32, line))
            .collect()
    }
}

const TITLE: Style = Style::new(18, 23, Face::SansBold, INK, "story-title");
const SENTENCE: Style = Style::new(13, 17, Face::Sans, INK_SOFT, "story-sentence");
const LANE_NAME: Style = Style::new(
    HEAD_SIZE,
    HEAD_LINE,
    Face::SansBold,
    HEAD_INK,
    "story-lane-name",
)
.centred();
const LANE_ID: Style =
    Style::new(HEAD_ID_SIZE, 13, Face::Mono, HEAD_ID_INK, "story-lane-id").centred();
const TECHNIQUE: Style = Style::new(NAME_SIZE, NAME_LINE, Face::Sans, INK, "story-technique");
const TECHNIQUE_ID: Style = Style::new(ID_SIZE, 14, Face::Mono, INK_SOFT, "story-technique-id");
const BADGE: Style = Style::new(11, 14, Face::SansBold, "#ffffff", "story-badge-number").centred();
const OUTCOME: Style = Style::new(NOTE_SIZE, NOTE_LINE, Face::SansBold, INK, "story-outcome");
const TIME: Style = Style::new(NOTE_SIZE, NOTE_LINE, Face::Sans, INK_SOFT, "story-time");
const MILESTONE: Style = Style::new(NOTE_SIZE, NOTE_LINE, Face::SansBold, INK, "story-milestone");
const GUTTER_HEAD: Style = Style::new(
    NOTE_SIZE,
    NOTE_LINE,
    Face::SansBold,
    INK_SOFT,
    "story-gutter-head",
);
const EMPTY_TITLE: Style = Style::new(16, 20, Face::SansBold, INK, "story-empty-title").centred();
const EMPTY_HINT: Style = Style::new(12, 16, Face::Sans, INK_SOFT, "story-empty-hint").centred();
const LEGEND_TITLE: Style = Style::new(
    NOTE_SIZE,
    NOTE_LINE,
    Face::SansBold,
    INK_SOFT,
    "story-legend-title",
);
const LEGEND_LABEL: Style = Style::new(NOTE_SIZE, NOTE_LINE, Face::Sans, INK, "story-legend-label");

fn px(v: f64) -> i32 {
    v.ceil() as i32
}

/// The lanes' tactic IDs: known tactics in matrix order (all of them, or
/// those reached), then tactics the release does not know, as first met.
fn lane_ids(atlas: &ActiveAtlas, steps: &[&Observation], mode: LaneMode) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    match mode {
        LaneMode::All => ids.extend(atlas.tactics().iter().map(|t| t.id.clone())),
        LaneMode::Reached => {
            let mut known: Vec<(usize, &str)> = steps
                .iter()
                .filter_map(|s| {
                    atlas
                        .tactic_position(&s.tactic_id)
                        .map(|p| (p, s.tactic_id.as_str()))
                })
                .collect();
            known.sort();
            known.dedup();
            ids.extend(known.into_iter().map(|(_, id)| id.to_string()));
        }
    }
    for s in steps {
        if atlas.tactic_position(&s.tactic_id).is_none() && !ids.contains(&s.tactic_id) {
            ids.push(s.tactic_id.clone());
        }
    }
    ids
}

/// The milestones of each step (index = step number − 1).
fn milestones_of(summary: &StorySummary) -> Vec<Vec<MilestoneKind>> {
    let mut marks: Vec<Vec<MilestoneKind>> = vec![Vec::new(); summary.steps];
    if let Some(n) = summary.initial_access {
        marks[n - 1].push(MilestoneKind::InitialAccess);
    }
    for &n in &summary.staging {
        marks[n - 1].push(MilestoneKind::Staging);
    }
    match (summary.impact, summary.steps) {
        (Some(n), _) => marks[n - 1].push(MilestoneKind::Impact),
        (None, 0) => {}
        (None, last) => marks[last - 1].push(MilestoneKind::LastStage),
    }
    marks
}

/// A lane with steps is as wide as a node; one without (`lanes=all`) only
/// as wide as its header's longest word.
fn lane_width(atlas: &ActiveAtlas, id: &str, reached: bool) -> i32 {
    if reached {
        return LANE_W;
    }
    let name = tactic_name(atlas, id);
    let widest = name
        .split_whitespace()
        .map(|w| LANE_NAME.width(w))
        .chain(std::iter::once(LANE_ID.width(id)))
        .fold(0.0, f64::max);
    (px(widest) + 2 * NODE_PAD).clamp(EMPTY_LANE_MIN_W, LANE_W)
}

/// The arrow from `a` down to `b`: straight when they share a lane, else
/// turning in the middle of the gap above `b`, where no text is.
fn arrow(a: &Node, b: &Node) -> Arrow {
    let (x1, y1, x2) = (a.center_x(), a.bottom(), b.center_x());
    let tip = b.y - 1;
    let shaft_end = tip - 7;
    let mid = b.y - ROW_GAP / 2;
    let (points, d) = if x1 == x2 {
        (vec![(x1, y1), (x2, tip)], format!("M{x1} {y1}V{shaft_end}"))
    } else {
        (
            vec![(x1, y1), (x1, mid), (x2, mid), (x2, tip)],
            format!("M{x1} {y1}V{mid}H{x2}V{shaft_end}"),
        )
    };
    Arrow {
        from: a.number,
        to: b.number,
        points,
        d,
        head: format!("{},{} {},{} {x2},{tip}", x2 - 5, tip - 8, x2 + 5, tip - 8),
    }
}

/// Hover text of a node: the step in words, with the start of its description.
fn tooltip(
    number: usize,
    tactic: &str,
    technique: &str,
    s: &Observation,
    time: Option<&str>,
) -> String {
    let mut text = format!(
        "Step {number}: {tactic} — {technique} ({}). Outcome: {}.",
        s.technique_id,
        s.outcome.label()
    );
    if let Some(t) = time {
        text.push_str(&format!(" Time: {t}."));
    }
    let description = s
        .description
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !description.is_empty() {
        text.push(' ');
        text.extend(description.chars().take(300));
        if description.chars().count() > 300 {
            text.push('…');
        }
    }
    xml_safe(&text)
}

/// Where the columns are.
struct Columns {
    /// Left edge of the time gutter (or of the lanes when there is none).
    x0: i32,
    lanes_x: i32,
    /// Left edge of the milestone gutter.
    milestones_x: i32,
}

impl StoryLayout {
    /// Lays out the story of `detail` against the active release.
    pub fn build(
        atlas: &ActiveAtlas,
        detail: &IncidentDetail,
        options: StoryOptions,
    ) -> StoryLayout {
        let mut steps: Vec<&Observation> = detail.steps.iter().collect();
        steps.sort_by_key(|s| s.position);
        let summary = StorySummary::of(atlas, &steps);
        let marks = milestones_of(&summary);
        let ids = lane_ids(atlas, &steps, options.lanes);
        let lane_of: HashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let reached = |id: &str| steps.iter().any(|s| s.tactic_id == id);

        // Horizontally: [time gutter] lanes [milestone gutter], centred.
        let widths: Vec<i32> = ids
            .iter()
            .map(|id| lane_width(atlas, id, reached(id)))
            .collect();
        let time_w = if steps.iter().any(|s| s.observed.is_some()) {
            TIME_W
        } else {
            0
        };
        let mile_w = if marks.iter().any(|m| !m.is_empty()) {
            MILESTONE_W
        } else {
            0
        };
        let lanes_w: i32 = widths.iter().sum();
        let content_w = time_w + lanes_w + mile_w;
        let width = (content_w + 2 * MARGIN).max(MIN_WIDTH);
        let x0 = (width - content_w) / 2;
        let cols = Columns {
            x0,
            lanes_x: x0 + time_w,
            milestones_x: x0 + time_w + lanes_w,
        };

        // The heading.
        let mut y = MARGIN;
        let mut heading = Vec::new();
        if options.titled {
            let text_max = width - 2 * MARGIN;
            let title = TITLE.block(&detail.incident.title, MARGIN, y + 17, text_max, 3);
            y += TITLE.line * (title.len() as i32).max(1);
            let sentence = SENTENCE.block(&summary.sentence, MARGIN, y + 16, text_max, 6);
            y += SENTENCE.line * sentence.len() as i32 + 14;
            heading.extend(title);
            heading.extend(sentence);
        }

        // Lane headers, all of one height.
        let head_y = y;
        let furthest = summary.furthest.as_ref().map(|f| f.tactic_id.as_str());
        let names: Vec<Vec<String>> = ids
            .iter()
            .zip(&widths)
            .map(|(id, w)| LANE_NAME.wrap(&tactic_name(atlas, id), w - 2 * NODE_PAD, 3))
            .collect();
        let head_lines = names.iter().map(Vec::len).max().unwrap_or(0).max(1) as i32;
        let head_h = if ids.is_empty() {
            0
        } else {
            10 + HEAD_LINE * head_lines + 20
        };
        let mut lanes: Vec<Lane> = Vec::new();
        let mut x = cols.lanes_x;
        for (i, ((id, &w), name_lines)) in ids.iter().zip(&widths).zip(names).enumerate() {
            let is_reached = reached(id);
            let is_furthest = furthest == Some(id.as_str());
            let cx = x + w / 2;
            let mut labels: Vec<Label> = name_lines
                .into_iter()
                .enumerate()
                .map(|(k, line)| {
                    LANE_NAME.label(cx, head_y + 10 + HEAD_SIZE + HEAD_LINE * k as i32, line)
                })
                .collect();
            labels.extend(
                LANE_ID
                    .wrap(id, w - 2 * NODE_PAD, 1)
                    .into_iter()
                    .map(|line| LANE_ID.label(cx, head_y + head_h - 8, line)),
            );
            lanes.push(Lane {
                index: i,
                tactic_id: xml_safe(id),
                name: xml_safe(&tactic_name(atlas, id)),
                href: format!("/tactics/{}", xml_safe(id)),
                known: atlas.tactic(id).is_some(),
                reached: is_reached,
                furthest: is_furthest,
                steps: steps
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.tactic_id == *id)
                    .map(|(n, _)| n + 1)
                    .collect(),
                x,
                width: w,
                head_y,
                head_h,
                band_y: head_y + head_h,
                band_h: 0,
                head_fill: match (is_furthest, is_reached) {
                    (true, _) => HEAD_FILL_FURTHEST,
                    (false, true) => HEAD_FILL,
                    (false, false) => HEAD_FILL_UNREACHED,
                },
                band_fill: match (is_reached, i % 2) {
                    (false, _) => BAND_UNREACHED,
                    (true, 0) => BAND_EVEN,
                    (true, _) => BAND_ODD,
                },
                labels,
            });
            x += w;
        }
        let mut gutter_heads = Vec::new();
        if !steps.is_empty() {
            let base = head_y + head_h - 8;
            if time_w > 0 {
                gutter_heads.push(GUTTER_HEAD.label(cols.x0 + 6, base, "Time"));
            }
            if mile_w > 0 {
                gutter_heads.push(GUTTER_HEAD.label(cols.milestones_x + 14, base, "Milestone"));
            }
        }
        y = head_y + head_h + 20;

        // One row per step.
        let mut nodes: Vec<Node> = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            let lane = &lanes[lane_of[s.tactic_id.as_str()]];
            let (node, row_h) = Self::node(atlas, detail, s, i + 1, lane, &marks[i], &cols, y);
            nodes.push(node);
            y += row_h + ROW_GAP;
        }

        // Or the empty state.
        let mut empty = Vec::new();
        if steps.is_empty() {
            let cx = width / 2;
            let top = if lanes.is_empty() { y } else { y + 16 };
            empty.push(EMPTY_TITLE.label(cx, top + 16, "No steps recorded yet"));
            let hint = EMPTY_HINT.block(
                "Add the ATLAS techniques the attacker used, in the order they happened, to draw the attack path.",
                cx,
                top + 40,
                (width - 2 * MARGIN).min(460),
                4,
            );
            y = top + 40 + EMPTY_HINT.line * hint.len() as i32 + 24;
            empty.extend(hint);
        } else {
            y += 16 - ROW_GAP;
        }
        for lane in &mut lanes {
            lane.band_h = (y - lane.band_y).max(0);
        }
        let arrows = nodes.windows(2).map(|p| arrow(&p[0], &p[1])).collect();

        // The legend of outcome shapes, wrapping when the picture is narrow.
        let legend_y = y + 14;
        let legend_title = LEGEND_TITLE.label(MARGIN, legend_y + 4, "Control outcome:");
        let mut lx = MARGIN + px(legend_title.width()) + 12;
        let mut ly = legend_y;
        let mut legend = Vec::new();
        for outcome in [
            Outcome::Prevented,
            Outcome::Detected,
            Outcome::Missed,
            Outcome::Unknown,
        ] {
            let w = 22 + px(LEGEND_LABEL.width(outcome.label()));
            if lx + w > width - MARGIN {
                lx = MARGIN;
                ly += 22;
            }
            legend.push(LegendItem {
                icon: Icon::new(outcome, lx + 8, ly),
                label: LEGEND_LABEL.label(lx + 22, ly + 4, outcome.label()),
            });
            lx += w + 18;
        }

        StoryLayout {
            width,
            height: ly + 12 + MARGIN,
            lane_mode: options.lanes,
            heading,
            gutter_heads,
            lanes,
            nodes,
            arrows,
            legend_title: Some(legend_title),
            legend,
            empty,
            summary,
        }
    }

    /// Step `number`'s node at the top of its row (`y`), with its time and
    /// milestones in the gutters; and the row's height.
    #[allow(clippy::too_many_arguments)]
    fn node(
        atlas: &ActiveAtlas,
        detail: &IncidentDetail,
        s: &Observation,
        number: usize,
        lane: &Lane,
        marks: &[MilestoneKind],
        cols: &Columns,
        y: i32,
    ) -> (Node, i32) {
        let x = lane.x + (lane.width - NODE_W) / 2;
        let inner = NODE_W - 2 * NODE_PAD;
        let tactic = tactic_name(atlas, &s.tactic_id);
        let technique = technique_name(atlas, &s.technique_id);
        let style = OutcomeStyle::of(s.outcome);

        // The top line: number badge, outcome shape and word.
        let badge_r = 11;
        let badge_cx = x + NODE_PAD + badge_r;
        let badge_cy = y + 8 + badge_r;
        let icon = Icon::new(s.outcome, badge_cx + badge_r + 14, badge_cy);
        let outcome_label = OUTCOME.with(style.stroke, "story-outcome").label(
            icon.cx + 12,
            badge_cy + 4,
            style.label(),
        );
        let badge = if number >= 100 {
            Style { size: 9, ..BADGE }
        } else {
            BADGE
        };
        // Then the technique's name, wrapped, and its ID.
        let name_top = y + 36;
        let name_labels = TECHNIQUE.block(
            &technique,
            x + NODE_PAD,
            name_top + NAME_SIZE,
            inner,
            NAME_MAX_LINES,
        );
        let name_count = (name_labels.len() as i32).max(1);
        let id_text = TECHNIQUE_ID
            .wrap(&s.technique_id, inner, 1)
            .into_iter()
            .next()
            .unwrap_or_default();
        let id_label = TECHNIQUE_ID.label(
            x + NODE_PAD,
            name_top + NAME_LINE * name_count + 12,
            id_text,
        );
        let height = 36 + NAME_LINE * name_count + 22;

        // The time in the left gutter, with a dotted guide to the node.
        let time = s.observed.as_ref().map(|t| t.display());
        let time_labels = time
            .as_deref()
            .map(|t| TIME.block(t, cols.x0 + 6, badge_cy + 4, TIME_W - 18, 3))
            .unwrap_or_default();
        let time_guide = (!time_labels.is_empty()).then(|| Guide {
            x1: cols.x0 + TIME_W - 6,
            y1: badge_cy,
            x2: x - 4,
            y2: badge_cy,
            stroke: "#cbd5e1",
            class: "story-time-guide",
        });

        // Milestones in the right gutter, with a dashed leader from the node.
        let mut milestone_labels = Vec::new();
        let mut my = badge_cy + 4;
        for kind in marks {
            let text = match kind {
                MilestoneKind::LastStage => format!("{}: {tactic}", kind.label()),
                _ => kind.label().to_string(),
            };
            let lines = MILESTONE.with(kind.colour(), kind.class()).block(
                &text,
                cols.milestones_x + 14,
                my,
                MILESTONE_W - 26,
                4,
            );
            my += MILESTONE.line * lines.len() as i32;
            milestone_labels.extend(lines);
        }
        let leader = marks.first().map(|kind| Guide {
            x1: x + NODE_W + 2,
            y1: badge_cy,
            x2: cols.milestones_x + 8,
            y2: badge_cy,
            stroke: kind.colour(),
            class: "story-leader",
        });
        let notes_bottom = time_labels
            .iter()
            .chain(&milestone_labels)
            .map(|l| px(l.bbox().bottom()))
            .max()
            .unwrap_or(y);
        let row_h = height.max(notes_bottom - y + 4);

        let node = Node {
            number,
            step_id: xml_safe(&s.id),
            href: format!(
                "/incidents/{}#step-{}",
                xml_safe(&detail.incident.id),
                xml_safe(&s.id)
            ),
            lane: lane.index,
            tactic_id: xml_safe(&s.tactic_id),
            tactic_name: xml_safe(&tactic),
            technique_id: xml_safe(&s.technique_id),
            technique_name: xml_safe(&technique),
            outcome: style,
            tooltip: tooltip(number, &tactic, &technique, s, time.as_deref()),
            time,
            milestones: marks.to_vec(),
            x,
            y,
            width: NODE_W,
            height,
            badge_cx,
            badge_cy,
            badge_r,
            badge_label: badge.label(badge_cx, badge_cy + 4, number.to_string()),
            icon,
            outcome_label,
            name_labels,
            id_label,
            time_labels,
            time_guide,
            milestone_labels,
            leader,
        };
        (node, row_h)
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn font(&self) -> &'static str {
        FONT_SANS
    }

    pub fn canvas(&self) -> Rect {
        Rect::new(0.0, 0.0, f64::from(self.width), f64::from(self.height))
    }

    /// Every label of the picture with the node it is drawn inside, if any.
    fn owned_labels(&self) -> Vec<(Option<usize>, &Label)> {
        let mut all: Vec<(Option<usize>, &Label)> = Vec::new();
        let free = |l| (None, l);
        all.extend(self.heading.iter().map(free));
        all.extend(self.gutter_heads.iter().map(free));
        for lane in &self.lanes {
            all.extend(lane.labels.iter().map(free));
        }
        for (i, node) in self.nodes.iter().enumerate() {
            all.extend(node.inner_labels().map(|l| (Some(i), l)));
            all.extend(node.time_labels.iter().map(free));
            all.extend(node.milestone_labels.iter().map(free));
        }
        all.extend(self.legend_title.iter().map(free));
        all.extend(self.legend.iter().map(|l| (None, &l.label)));
        all.extend(self.empty.iter().map(free));
        all
    }

    /// Every label of the picture.
    pub fn labels(&self) -> Vec<&Label> {
        self.owned_labels().into_iter().map(|(_, l)| l).collect()
    }

    /// What is wrong with the geometry, in words; empty when every label
    /// lies inside the canvas (and a node's labels inside the node, a lane's
    /// inside its header), no two nodes or labels overlap, no label overlaps
    /// a node other than its own, each node sits in its tactic's lane, and
    /// no arrow runs through a node or a label.
    pub fn collisions(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let canvas = self.canvas();
        for l in self.labels() {
            if !canvas.contains(&l.bbox()) {
                problems.push(format!("label {:?} leaves the canvas", l.text));
            }
        }
        for lane in &self.lanes {
            for l in &lane.labels {
                if !lane.head_rect().contains(&l.bbox()) {
                    problems.push(format!("lane label {:?} leaves its header", l.text));
                }
            }
        }
        for (i, a) in self.nodes.iter().enumerate() {
            let ra = a.rect();
            if !canvas.contains(&ra) {
                problems.push(format!("node {} leaves the canvas", a.number));
            }
            let lane = &self.lanes[a.lane];
            if ra.x < f64::from(lane.x) || ra.right() > f64::from(lane.x + lane.width) {
                problems.push(format!("node {} leaves its lane", a.number));
            }
            for l in a.inner_labels() {
                if !ra.contains(&l.bbox()) {
                    problems.push(format!("label {:?} leaves node {}", l.text, a.number));
                }
            }
            if !ra.contains(&a.icon.bbox()) {
                problems.push(format!("the icon leaves node {}", a.number));
            }
            for b in &self.nodes[i + 1..] {
                if ra.overlaps(&b.rect()) {
                    problems.push(format!("nodes {} and {} overlap", a.number, b.number));
                }
            }
        }
        let owned = self.owned_labels();
        for (i, (owner_a, a)) in owned.iter().enumerate() {
            let ba = a.bbox();
            for (_, b) in &owned[i + 1..] {
                if ba.overlaps(&b.bbox()) {
                    problems.push(format!("labels {:?} and {:?} overlap", a.text, b.text));
                }
            }
            for (j, n) in self.nodes.iter().enumerate() {
                if *owner_a != Some(j) && ba.overlaps(&n.rect()) {
                    problems.push(format!("label {:?} overlaps node {}", a.text, n.number));
                }
            }
        }
        for arrow in &self.arrows {
            for seg in arrow.points.windows(2) {
                let (x1, y1) = seg[0];
                let (x2, y2) = seg[1];
                let r = Rect::new(
                    f64::from(x1.min(x2)) - 0.5,
                    f64::from(y1.min(y2)),
                    f64::from((x1 - x2).abs()) + 1.0,
                    f64::from((y1 - y2).abs()) + 0.5,
                );
                let r = if y1 == y2 {
                    Rect::new(r.x, f64::from(y1) - 0.5, r.w, 1.0)
                } else {
                    r
                };
                for (_, l) in &owned {
                    if r.overlaps(&l.bbox()) {
                        problems.push(format!(
                            "arrow {}→{} crosses label {:?}",
                            arrow.from, arrow.to, l.text
                        ));
                    }
                }
                for n in &self.nodes {
                    if n.number != arrow.from && n.number != arrow.to && r.overlaps(&n.rect()) {
                        problems.push(format!(
                            "arrow {}→{} crosses node {}",
                            arrow.from, arrow.to, n.number
                        ));
                    }
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::{Release, ReleaseInfo, SourceFormat, Tactic, Technique};
    use crate::domain::{FuzzyTime, Incident, Kind, Severity, Status, StepSource};

    const TACTICS: &[(&str, &str)] = &[
        ("AML.TA0002", "Reconnaissance"),
        ("AML.TA0003", "Resource Development"),
        ("AML.TA0004", "Initial Access"),
        ("AML.TA0000", "AI Model Access"),
        ("AML.TA0005", "Execution"),
        ("AML.TA0006", "Persistence"),
        ("AML.TA0012", "Privilege Escalation"),
        ("AML.TA0007", "Defense Evasion"),
        ("AML.TA0013", "Credential Access"),
        ("AML.TA0008", "Discovery"),
        ("AML.TA0015", "Lateral Movement"),
        ("AML.TA0009", "Collection"),
        ("AML.TA0001", "AI Attack Staging"),
        ("AML.TA0014", "Command and Control"),
        ("AML.TA0010", "Exfiltration"),
        ("AML.TA0011", "Impact"),
    ];

    fn atlas() -> ActiveAtlas {
        let tactics = TACTICS
            .iter()
            .map(|(id, name)| Tactic {
                id: id.to_string(),
                name: name.to_string(),
                description: None,
                attack_ref: None,
            })
            .collect();
        let technique = |id: &str, name: &str, parent: Option<&str>, tactic: &str| Technique {
            id: id.to_string(),
            name: name.to_string(),
            description: None,
            parent: parent.map(str::to_string),
            tactics: vec![tactic.to_string()],
            maturity: None,
            attack_ref: None,
            platforms: Vec::new(),
        };
        let techniques = vec![
            technique(
                "AML.T0000",
                "Search Open Technical Databases",
                None,
                "AML.TA0002",
            ),
            technique(
                "AML.T0000.001",
                "Journals and Conference Proceedings",
                Some("AML.T0000"),
                "AML.TA0002",
            ),
            technique(
                "AML.T0093",
                "Prompt Infiltration via Public-Facing Application",
                None,
                "AML.TA0004",
            ),
            technique("AML.T0043", "Craft Adversarial Data", None, "AML.TA0001"),
            technique(
                "AML.T0043.003",
                "Manual Modification",
                Some("AML.T0043"),
                "AML.TA0001",
            ),
            technique("AML.T0042", "Verify Attack", None, "AML.TA0001"),
            technique("AML.T0015", "Evade AI Model", None, "AML.TA0007"),
            technique(
                "AML.T0024",
                "Exfiltration via AI Inference API",
                None,
                "AML.TA0010",
            ),
            technique("AML.T0048", "External Harms", None, "AML.TA0011"),
            technique(
                "AML.T0086",
                "Exfiltration via AI Agent Tool Invocation",
                None,
                "AML.TA0010",
            ),
            technique("AML.T0051", "LLM Prompt Injection", None, "AML.TA0005"),
        ];
        let release = Release {
            version: "test".to_string(),
            name: "test".to_string(),
            format: SourceFormat::Legacy,
            tactics,
            techniques,
            mitigations: vec![],
            case_studies: vec![],
        };
        let info = ReleaseInfo {
            version: "test".to_string(),
            name: "test".to_string(),
            format: "legacy".to_string(),
            source: "test".to_string(),
            imported_at: String::new(),
            is_active: true,
            has_descriptions: true,
            tactic_count: 16,
            technique_count: 11,
            mitigation_count: 0,
            case_study_count: 0,
        };
        ActiveAtlas::new(info, release)
    }

    fn incident(title: &str, steps: &[(&str, &str, Outcome)]) -> IncidentDetail {
        let incident = Incident {
            id: "inc-test".to_string(),
            title: title.to_string(),
            summary: String::new(),
            kind: Kind::Incident,
            severity: Severity::High,
            status: Status::Open,
            occurred: None,
            detected: None,
            resolved: None,
            target: String::new(),
            actor: String::new(),
            reporter: String::new(),
            tags: vec![],
            references: vec![],
            atlas_release: "test".to_string(),
            source_ref: None,
            created_at: String::new(),
            updated_at: String::new(),
            version: 1,
        };
        let steps = steps
            .iter()
            .enumerate()
            .map(|(i, (tactic, technique, outcome))| Observation {
                id: format!("stp-{i}"),
                incident_id: "inc-test".to_string(),
                position: i as i64 + 1,
                tactic_id: tactic.to_string(),
                technique_id: technique.to_string(),
                observed: None,
                description: String::new(),
                evidence: String::new(),
                confidence: None,
                outcome: *outcome,
                source: StepSource::Manual,
                created_at: String::new(),
                updated_at: String::new(),
            })
            .collect();
        IncidentDetail { incident, steps }
    }

    use Outcome::{Detected, Missed, Prevented, Unknown};

    /// AML.CS0000's path.
    fn cs0000() -> IncidentDetail {
        incident(
            "Evasion of Deep Learning Detector for Malware C&C Traffic",
            &[
                ("AML.TA0002", "AML.T0000.001", Unknown),
                ("AML.TA0003", "AML.T0002.000", Unknown),
                ("AML.TA0001", "AML.T0005", Unknown),
                ("AML.TA0001", "AML.T0043.003", Unknown),
                ("AML.TA0001", "AML.T0042", Unknown),
                ("AML.TA0007", "AML.T0015", Unknown),
            ],
        )
    }

    fn build(detail: &IncidentDetail, lanes: LaneMode) -> StoryLayout {
        StoryLayout::build(
            &atlas(),
            detail,
            StoryOptions {
                lanes,
                titled: true,
            },
        )
    }

    fn assert_clean(layout: &StoryLayout) {
        let problems = layout.collisions();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn lanes_are_the_reached_tactics_in_matrix_order() {
        let layout = build(&cs0000(), LaneMode::Reached);
        let lanes: Vec<&str> = layout.lanes.iter().map(|l| l.tactic_id.as_str()).collect();
        // Defense Evasion comes before AI Attack Staging in the matrix.
        assert_eq!(
            lanes,
            ["AML.TA0002", "AML.TA0003", "AML.TA0007", "AML.TA0001"]
        );
        assert_eq!(layout.lanes[3].name, "AI Attack Staging");
        assert_eq!(layout.lanes[3].steps, [3, 4, 5]);
        // Lanes run left to right without gaps or overlaps.
        for pair in layout.lanes.windows(2) {
            assert_eq!(pair[0].x + pair[0].width, pair[1].x);
        }
        assert_clean(&layout);
    }

    #[test]
    fn all_lanes_show_every_tactic_and_mark_the_reached_ones() {
        let layout = build(&cs0000(), LaneMode::All);
        assert_eq!(layout.lanes.len(), 16);
        let ids: Vec<&str> = layout.lanes.iter().map(|l| l.tactic_id.as_str()).collect();
        let expected: Vec<&str> = TACTICS.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, expected);
        let reached: Vec<&str> = layout
            .lanes
            .iter()
            .filter(|l| l.reached)
            .map(|l| l.tactic_id.as_str())
            .collect();
        assert_eq!(
            reached,
            ["AML.TA0002", "AML.TA0003", "AML.TA0007", "AML.TA0001"]
        );
        // Lanes without steps are narrower, but their names still fit.
        let empty = &layout.lanes[2];
        assert!(!empty.reached && empty.width < LANE_W, "{}", empty.width);
        assert_clean(&layout);
    }

    #[test]
    fn nodes_follow_story_order_in_their_lanes_with_one_arrow_between_each_pair() {
        let layout = build(&cs0000(), LaneMode::Reached);
        let numbers: Vec<usize> = layout.nodes.iter().map(|n| n.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
        let lanes: Vec<&str> = layout
            .nodes
            .iter()
            .map(|n| layout.lanes[n.lane].tactic_id.as_str())
            .collect();
        assert_eq!(
            lanes,
            [
                "AML.TA0002",
                "AML.TA0003",
                "AML.TA0001",
                "AML.TA0001",
                "AML.TA0001",
                "AML.TA0007"
            ]
        );
        for pair in layout.nodes.windows(2) {
            assert!(
                pair[1].y > pair[0].bottom(),
                "each step lower than the last"
            );
        }
        let arrows: Vec<(usize, usize)> = layout.arrows.iter().map(|a| (a.from, a.to)).collect();
        assert_eq!(arrows, [(1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]);
        for a in &layout.arrows {
            let from = &layout.nodes[a.from - 1];
            let to = &layout.nodes[a.to - 1];
            assert_eq!(a.points.first(), Some(&(from.center_x(), from.bottom())));
            let tip = *a.points.last().unwrap();
            assert_eq!(tip.0, to.center_x());
            assert!((to.y - 2..=to.y).contains(&tip.1), "{tip:?} at {}", to.y);
        }
        // Techniques are named as "Parent: Child"; an unknown one by its ID.
        assert_eq!(
            layout.nodes[0].technique_name,
            "Search Open Technical Databases: Journals and Conference Proceedings"
        );
        assert_eq!(layout.nodes[1].technique_name, "AML.T0002.000");
        assert_clean(&layout);
    }

    #[test]
    fn repeated_tactics_stay_in_one_lane_one_row_each() {
        let detail = incident(
            "Repeated",
            &[
                ("AML.TA0005", "AML.T0051", Missed),
                ("AML.TA0005", "AML.T0051", Missed),
                ("AML.TA0005", "AML.T0051", Detected),
                ("AML.TA0010", "AML.T0024", Prevented),
                ("AML.TA0005", "AML.T0051", Missed),
            ],
        );
        let layout = build(&detail, LaneMode::Reached);
        assert_eq!(layout.lanes.len(), 2);
        let execution = &layout.lanes[0];
        assert_eq!(execution.steps, [1, 2, 3, 5]);
        let xs: Vec<i32> = layout.nodes.iter().map(|n| n.x).collect();
        assert_eq!(xs[0], xs[1]);
        assert_eq!(xs[1], xs[2]);
        assert_eq!(xs[0], xs[4]);
        assert_ne!(xs[0], xs[3]);
        // Same-lane arrows run straight down; others turn between the rows.
        assert_eq!(layout.arrows[0].points.len(), 2);
        assert_eq!(layout.arrows[2].points.len(), 4);
        let s = &layout.summary;
        assert_eq!(s.detected, [3]);
        assert_eq!(s.prevented, [4]);
        assert_eq!(s.missed, [1, 2, 5]);
        assert_eq!(
            s.sentence,
            "Reached Exfiltration; no impact recorded (last stage: Execution at step 5); \
             prevented at step 4; detected at step 3; missed at steps 1–2 and 5."
        );
        assert_clean(&layout);
    }

    #[test]
    fn milestones_and_the_furthest_stage_read_in_plain_words() {
        let detail = incident(
            "Full path",
            &[
                ("AML.TA0002", "AML.T0000", Unknown),
                ("AML.TA0004", "AML.T0093", Missed),
                ("AML.TA0001", "AML.T0043", Missed),
                ("AML.TA0001", "AML.T0042", Detected),
                ("AML.TA0001", "AML.T0043", Missed),
                ("AML.TA0004", "AML.T0093", Missed),
                ("AML.TA0011", "AML.T0048", Missed),
                ("AML.TA0010", "AML.T0024", Prevented),
                ("AML.TA0011", "AML.T0048", Missed),
            ],
        );
        let layout = build(&detail, LaneMode::Reached);
        let s = &layout.summary;
        assert_eq!(
            s.initial_access,
            Some(2),
            "the first step in Initial Access"
        );
        assert_eq!(s.staging, [3, 4, 5]);
        assert_eq!(s.impact, Some(9), "the last step in Impact");
        let furthest = s.furthest.as_ref().unwrap();
        assert_eq!(
            (
                furthest.tactic_id.as_str(),
                furthest.name.as_str(),
                furthest.step
            ),
            ("AML.TA0011", "Impact", 7)
        );
        assert_eq!(
            s.sentence,
            "Reached Impact; initial access at step 2; AI attack staging in steps 3–5; \
             final impact at step 9; prevented at step 8; detected at step 4; \
             missed at steps 2–3, 5–7 and 9."
        );
        let kinds: Vec<Vec<MilestoneKind>> =
            layout.nodes.iter().map(|n| n.milestones.clone()).collect();
        assert_eq!(kinds[1], [MilestoneKind::InitialAccess]);
        assert!(
            kinds[5].is_empty(),
            "only the first initial access is marked"
        );
        assert_eq!(kinds[2], [MilestoneKind::Staging]);
        assert!(kinds[6].is_empty(), "only the last impact is marked");
        assert_eq!(kinds[8], [MilestoneKind::Impact]);
        // Marked in the right gutter, on the node's row, with a leader line.
        let n = &layout.nodes[1];
        assert_eq!(n.milestone_labels[0].text, "Initial access");
        assert!(n.leader.is_some());
        let lanes_right = layout.lanes.last().map(|l| l.x + l.width).unwrap();
        assert!(n.milestone_labels[0].x > lanes_right);
        // The furthest lane is marked.
        let marked: Vec<&str> = layout
            .lanes
            .iter()
            .filter(|l| l.furthest)
            .map(|l| l.tactic_id.as_str())
            .collect();
        assert_eq!(marked, ["AML.TA0011"]);
        assert_clean(&layout);
    }

    #[test]
    fn without_impact_the_last_stage_is_named() {
        let layout = build(&cs0000(), LaneMode::Reached);
        let s = &layout.summary;
        assert_eq!(s.furthest.as_ref().unwrap().name, "AI Attack Staging");
        assert_eq!(s.impact, None);
        assert_eq!(s.last.as_ref().unwrap().name, "Defense Evasion");
        assert_eq!(
            s.sentence,
            "Reached AI Attack Staging; AI attack staging in steps 3–5; \
             no impact recorded (last stage: Defense Evasion at step 6); \
             no control outcome recorded."
        );
        assert_eq!(layout.nodes[5].milestones, [MilestoneKind::LastStage]);
        let words: Vec<&str> = layout.nodes[5]
            .milestone_labels
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(words.join(" "), "Last stage: Defense Evasion");
    }

    #[test]
    fn an_incident_without_steps_is_a_clear_empty_state() {
        for lanes in [LaneMode::Reached, LaneMode::All] {
            let layout = build(&incident("Nothing yet", &[]), lanes);
            assert!(layout.is_empty());
            assert!(layout.arrows.is_empty());
            assert_eq!(layout.summary.sentence, "No steps recorded yet.");
            assert_eq!(layout.summary.furthest, None);
            assert_eq!(layout.empty[0].text, "No steps recorded yet");
            assert_eq!(
                layout.lanes.len(),
                if lanes == LaneMode::All { 16 } else { 0 }
            );
            assert!(layout.width >= MIN_WIDTH && layout.height > 0);
            assert_clean(&layout);
        }
    }

    #[test]
    fn outcomes_differ_by_shape_as_well_as_colour() {
        let styles: Vec<OutcomeStyle> = [Prevented, Detected, Missed, Unknown]
            .into_iter()
            .map(OutcomeStyle::of)
            .collect();
        for (i, a) in styles.iter().enumerate() {
            for b in &styles[i + 1..] {
                assert_ne!(a.shape, b.shape);
                assert_ne!(a.stroke, b.stroke);
            }
        }
        assert_eq!(Icon::new(Prevented, 0, 0).points.split(' ').count(), 8);
        assert_eq!(Icon::new(Detected, 0, 0).points.split(' ').count(), 4);
        assert_eq!(Icon::new(Missed, 0, 0).points.split(' ').count(), 3);
        assert!(Icon::new(Unknown, 0, 0).is_circle());
    }

    #[test]
    fn times_are_shown_where_known() {
        let mut detail = cs0000();
        detail.steps[0].observed = Some(FuzzyTime::parse("2025-03-14T09:30:00Z").unwrap());
        detail.steps[3].observed = Some(FuzzyTime::parse("2020-03").unwrap());
        let layout = build(&detail, LaneMode::Reached);
        let times: Vec<Option<&str>> = layout.nodes.iter().map(|n| n.time.as_deref()).collect();
        assert_eq!(times[0], Some("2025-03-14 09:30 UTC"));
        assert_eq!(times[3], Some("2020-03"));
        assert_eq!(times[1], None);
        let words: Vec<&str> = layout.nodes[0]
            .time_labels
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(words.join(" "), "2025-03-14 09:30 UTC");
        assert!(layout.gutter_heads.iter().any(|l| l.text == "Time"));
        assert_clean(&layout);
    }

    #[test]
    fn a_long_story_with_long_names_never_overlaps_or_leaves_the_picture() {
        // 18 steps as in the largest ATLAS case study, with repeats, returns
        // to earlier tactics, unknown tactics and techniques, long names and
        // times.
        let path: [(&str, &str, Outcome); 18] = [
            ("AML.TA0002", "AML.T0000.001", Unknown),
            ("AML.TA0003", "AML.T9999", Unknown),
            ("AML.TA0008", "AML.T0069.000", Unknown),
            ("AML.TA0008", "AML.T0069.001", Detected),
            ("AML.TA0003", "AML.T0065", Unknown),
            ("AML.TA0003", "AML.T0065", Unknown),
            ("AML.TA0003", "AML.T0008", Unknown),
            ("AML.TA0003", "AML.T0079", Unknown),
            ("AML.TA0007", "AML.T0074", Missed),
            ("AML.TA0004", "AML.T0093", Missed),
            ("AML.TA0005", "AML.T0086", Missed),
            ("AML.TA0007", "AML.T0054", Prevented),
            ("AML.TA0005", "AML.T0053", Missed),
            ("AML.TA0006", "AML.T0081", Missed),
            ("AML.TA9999", "AML.T0051.000", Unknown),
            ("AML.TA0006", "AML.T0080.001", Missed),
            ("AML.TA0014", "AML.T0108", Detected),
            ("AML.TA0011", "AML.T0112.000", Missed),
        ];
        let mut detail = incident(
            "OpenClaw Command & Control via Prompt Injection <script>alert(1)</script> with a title long enough to wrap over more than one line of the heading",
            &path,
        );
        for (i, s) in detail.steps.iter_mut().enumerate() {
            if i % 3 == 0 {
                s.observed = Some(FuzzyTime::parse("2026-01-31T23:59:00Z").unwrap());
            }
        }
        let mut atlas = atlas();
        // A technique name far longer than a node, and a name with one huge word.
        atlas.release.techniques.push(Technique {
            id: "AML.T0069.000".to_string(),
            name: "Discover LLM System Information: Special Character Sets and an Extremely Long Explanatory Name That Keeps Going Well Past Five Lines Of Text In The Node".to_string(),
            description: None,
            parent: None,
            tactics: vec!["AML.TA0008".to_string()],
            maturity: None,
            attack_ref: None,
            platforms: Vec::new(),
        });
        atlas.release.techniques.push(Technique {
            id: "AML.T0069.001".to_string(),
            name: "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW"
                .to_string(),
            description: None,
            parent: None,
            tactics: vec!["AML.TA0008".to_string()],
            maturity: None,
            attack_ref: None,
            platforms: Vec::new(),
        });
        let atlas = ActiveAtlas::new(atlas.info.clone(), atlas.release.clone());
        for lanes in [LaneMode::Reached, LaneMode::All] {
            for titled in [true, false] {
                let layout = StoryLayout::build(&atlas, &detail, StoryOptions { lanes, titled });
                assert_eq!(layout.nodes.len(), 18);
                assert_eq!(layout.arrows.len(), 17);
                assert_clean(&layout);
                let n = &layout.nodes[2];
                assert_eq!(n.name_labels.len(), NAME_MAX_LINES);
                assert!(n.name_labels.last().unwrap().text.ends_with('…'));
                // A huge word is abbreviated on one line, never split over several.
                let huge = &layout.nodes[3].name_labels;
                assert_eq!(huge.len(), 1, "{huge:?}");
                assert!(huge[0].text.starts_with("WWW") && huge[0].text.ends_with('…'));
                // The unknown tactic gets its own lane after the known ones.
                let unknown = layout.lanes.last().unwrap();
                assert_eq!(unknown.tactic_id, "AML.TA9999");
                assert!(!unknown.known);
            }
        }
    }

    #[test]
    fn the_checker_catches_overlaps() {
        let mut layout = build(&cs0000(), LaneMode::Reached);
        layout.nodes[1].x = layout.nodes[0].x;
        layout.nodes[1].y = layout.nodes[0].y + 10;
        layout.nodes[2].name_labels[0].text = "x".repeat(80);
        let problems = layout.collisions();
        assert!(
            problems.iter().any(|p| p.contains("nodes 1 and 2 overlap")),
            "{problems:#?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("leaves node 3")),
            "{problems:#?}"
        );
        let mut layout = build(&cs0000(), LaneMode::Reached);
        layout.width = 100;
        assert!(
            layout
                .collisions()
                .iter()
                .any(|p| p.contains("leaves the canvas"))
        );
    }

    #[test]
    fn wrapping_fits_the_width_and_never_splits_a_word() {
        let lines = wrap(
            "Craft Adversarial Data: Insert Backdoor Trigger",
            144.0,
            13.0,
            Face::Sans,
            5,
        );
        assert!(lines.len() >= 2);
        for l in &lines {
            assert!(text_width(l, 13.0, Face::Sans) <= 144.0, "{l}");
        }
        assert_eq!(
            lines.join(" "),
            "Craft Adversarial Data: Insert Backdoor Trigger"
        );
        // A word wider than the line is abbreviated, never split.
        let long = wrap(&"m".repeat(40), 100.0, 10.0, Face::Sans, 10);
        assert_eq!(long.len(), 1);
        assert!(
            long[0].ends_with('…') && long[0].starts_with("mmm"),
            "{long:?}"
        );
        assert!(text_width(&long[0], 10.0, Face::Sans) <= 100.0);
        let words = wrap(
            "Reconnaissance Virtualization/Sandbox",
            90.0,
            12.0,
            Face::Sans,
            5,
        );
        assert!(
            words
                .iter()
                .all(|l| !l.starts_with(|c: char| c.is_lowercase())),
            "no line starts inside a word: {words:?}"
        );
        assert!(wrap("   ", 100.0, 10.0, Face::Sans, 3).is_empty());
        let capped = wrap(&"word ".repeat(100), 60.0, 10.0, Face::Sans, 2);
        assert_eq!(capped.len(), 2);
        assert!(capped[1].ends_with('…'));
        assert_eq!(xml_safe("a\u{FFFE}b\u{1}c\u{FFFF}\td"), "abc\td");
    }

    #[test]
    fn the_view_lists_the_steps_with_sanitized_descriptions() {
        let mut detail = cs0000();
        detail.steps[0].description = "Found **papers** <script>alert(1)</script>".to_string();
        let view = StoryView::build(&atlas(), &detail, StoryOptions::default());
        assert_eq!(view.items.len(), 6);
        let html = view.items[0].description_html.as_deref().unwrap();
        assert!(html.contains("<strong>papers</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert_eq!(view.items[1].description_html, None);
        assert_eq!(view.items[2].milestones, [MilestoneKind::Staging]);
        assert_eq!(view.items[0].href, "/incidents/inc-test#step-stp-0");
        assert!(view.desc.starts_with(&view.summary));
        assert!(
            view.desc.contains(
                "Step 6: Defense Evasion, Evade AI Model (AML.T0015), unknown, last stage."
            ),
            "{}",
            view.desc
        );
        assert_eq!(view.page_href, "/incidents/inc-test/story");
        assert_eq!(view.svg_href, "/incidents/inc-test/story.svg");
        assert_eq!(
            view.lanes_href("all"),
            "/incidents/inc-test/story?lanes=all"
        );
        assert_eq!(
            view.file_name(),
            "inc-test-evasion-of-deep-learning-detector-for-malware-c-story.svg"
        );
        let min: i32 = view.size_class["story-min-".len()..].parse().unwrap();
        assert!(min < view.layout.width && min >= 300);
        assert!(view.show_list && !view.link_to_page);
        let embedded = view.embedded();
        assert!(!embedded.show_list && embedded.link_to_page);
        let all = StoryView::build(
            &atlas(),
            &detail,
            StoryOptions {
                lanes: LaneMode::All,
                titled: false,
            },
        );
        assert_eq!(all.svg_href, "/incidents/inc-test/story.svg?lanes=all");
        assert_eq!(all.lanes_href("reached"), "/incidents/inc-test/story");
    }

    #[test]
    fn step_lists_read_naturally() {
        assert_eq!(step_list(&[4]), "step 4");
        assert_eq!(step_list(&[3, 4, 5]), "steps 3–5");
        assert_eq!(step_list(&[3, 5]), "steps 3 and 5");
        assert_eq!(step_list(&[1, 2, 3, 5, 7, 8]), "steps 1–3, 5 and 7–8");
    }

    #[test]
    fn lane_modes_parse_strictly() {
        assert_eq!(LaneMode::parse(None).unwrap(), LaneMode::Reached);
        assert_eq!(LaneMode::parse(Some("")).unwrap(), LaneMode::Reached);
        assert_eq!(LaneMode::parse(Some("reached")).unwrap(), LaneMode::Reached);
        assert_eq!(LaneMode::parse(Some("all")).unwrap(), LaneMode::All);
        assert!(LaneMode::parse(Some("bogus")).is_err());
        assert!(LaneMode::parse(Some("ALL")).is_err());
    }
}
