//! The outcome shapes: each outcome has a shape as well as a colour.

use super::geometry::Rect;
use super::text::Label;
use crate::domain::Outcome;

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

    pub(super) fn bbox(&self) -> Rect {
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

/// One entry of the outcome legend.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendItem {
    pub icon: Icon,
    pub label: Label,
}
