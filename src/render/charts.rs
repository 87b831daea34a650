//! Small server-drawn charts for the dashboard, the briefing and the
//! retrospective: incidents over time (stacked by severity), proportion
//! bars, and a thumbnail of the ATLAS matrix with its heat. Geometry only;
//! templates print it as inline SVG. Colours come from CSS classes (so the
//! dark theme and print apply), and every mark has words too: a count or a
//! `<title>`, never colour alone.

use chrono::Duration;

use super::heat::Scores;
use super::matrix::CellKey;
use super::measure::{Face, text_width};
use super::period::{Bucket, day};
use super::report::SEVERITIES_DOWN;
use crate::atlas::ActiveAtlas;
use crate::domain::Severity;

// ------------------------------------------------------------ bar chart

/// One severity's part of a bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub y: f64,
    pub h: f64,
    /// `bar-critical`, …
    pub class: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub w: f64,
    pub total: usize,
    pub segments: Vec<Segment>,
    /// "week of 17 Nov 2025: 3 incidents (1 critical, 2 high)".
    pub title: String,
    /// The incident list for this span.
    pub href: String,
    /// Where the count is written above the bar (when there is room).
    pub label_x: f64,
    pub label_y: f64,
    pub show_count: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AxisLabel {
    pub x: f64,
    pub y: f64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GridLine {
    pub y: f64,
    pub label: String,
}

/// Incidents per span of time, stacked by severity.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub width: f64,
    pub height: f64,
    pub plot_left: f64,
    pub plot_right: f64,
    pub baseline: f64,
    pub bars: Vec<Bar>,
    /// Where the grid's numbers end (right-aligned left of the plot).
    pub axis_x: f64,
    pub x_labels: Vec<AxisLabel>,
    pub grid: Vec<GridLine>,
    /// "Incidents per week" for the `<title>`.
    pub title: String,
    /// Every bar in words, for the `<desc>`.
    pub desc: String,
    pub total: usize,
}

/// The smallest "nice" number (1, 2, 5 × 10^n) at least `n`.
fn nice_ceiling(n: usize) -> usize {
    let mut base = 1;
    loop {
        for m in [1, 2, 5] {
            if m * base >= n {
                return m * base;
            }
        }
        base *= 10;
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "bar-critical",
        Severity::High => "bar-high",
        Severity::Medium => "bar-medium",
        Severity::Low => "bar-low",
    }
}

impl BarChart {
    /// `counts[b]` holds bucket `b`'s incidents by severity ([`SEVERITIES_DOWN`]
    /// order); `href(bucket)` lists them.
    pub fn new(
        buckets: &[Bucket],
        counts: &[[usize; 4]],
        noun: &str,
        href: impl Fn(&Bucket) -> String,
    ) -> BarChart {
        let (width, height) = (960.0, 230.0);
        let (left, right, top, bottom) = (34.0, 6.0, 18.0, 24.0);
        let plot_w = width - left - right;
        let plot_h = height - top - bottom;
        let baseline = height - bottom;
        let n = buckets.len().max(1);
        let max = counts
            .iter()
            .map(|c| c.iter().sum::<usize>())
            .max()
            .unwrap_or(0);
        let top_value = nice_ceiling(max.max(1));
        let slot = plot_w / n as f64;
        let w = (slot * 0.72).max(1.5);
        let show_counts = n <= 31;
        let mut bars = Vec::with_capacity(buckets.len());
        let mut desc = Vec::new();
        for (i, (bucket, c)) in buckets.iter().zip(counts).enumerate() {
            let total: usize = c.iter().sum();
            let x = left + slot * i as f64 + (slot - w) / 2.0;
            let mut y = baseline;
            let mut segments = Vec::new();
            let mut parts = Vec::new();
            // Most serious at the bottom, where bars are compared.
            for (k, severity) in SEVERITIES_DOWN.iter().enumerate() {
                if c[k] == 0 {
                    continue;
                }
                let h = plot_h * c[k] as f64 / top_value as f64;
                y -= h;
                segments.push(Segment {
                    y: r1(y),
                    h: r1(h),
                    class: severity_class(*severity),
                });
                parts.push(format!("{} {}", c[k], severity.label().to_lowercase()));
            }
            let words = format!(
                "{}: {} {}{}",
                bucket.long_label,
                total,
                if total == 1 {
                    noun.trim_end_matches('s')
                } else {
                    noun
                },
                if parts.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", parts.join(", "))
                }
            );
            desc.push(words.clone());
            bars.push(Bar {
                x: r1(x),
                w: r1(w),
                total,
                segments,
                title: words,
                href: href(bucket),
                label_x: r1(x + w / 2.0),
                label_y: r1(y - 3.0),
                show_count: show_counts && total > 0,
            });
        }
        // At most eight labels along the bottom, evenly spread.
        let every = n.div_ceil(8).max(1);
        let x_labels = buckets
            .iter()
            .enumerate()
            .filter(|(i, _)| i % every == 0)
            .map(|(i, b)| AxisLabel {
                x: r1(left + slot * i as f64 + slot / 2.0),
                y: baseline + 15.0,
                text: b.label.clone(),
            })
            .collect();
        let grid = [0, top_value / 2, top_value]
            .into_iter()
            .filter(|v| *v == 0 || *v * 2 != top_value || top_value >= 2)
            .map(|v| GridLine {
                y: r1(baseline - plot_h * v as f64 / top_value as f64),
                label: v.to_string(),
            })
            .collect();
        BarChart {
            width,
            height,
            plot_left: left,
            plot_right: width - right,
            axis_x: left - 5.0,
            baseline,
            bars,
            x_labels,
            grid,
            title: String::new(),
            desc: desc.join("; "),
            total: counts.iter().map(|c| c.iter().sum::<usize>()).sum(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// The incident-list dates of a bucket: its first and last day.
pub fn bucket_days(b: &Bucket) -> (String, String) {
    (
        b.start.format("%Y-%m-%d").to_string(),
        (b.end - Duration::seconds(1))
            .format("%Y-%m-%d")
            .to_string(),
    )
}

/// "24 Nov 2025" of a bucket's last day (for words).
pub fn bucket_last_day(b: &Bucket) -> String {
    day(b.end - Duration::seconds(1))
}

// ------------------------------------------------------- proportion bars

/// A share of the largest value, for a horizontal bar drawn in a 0–100 box.
pub fn share(value: usize, max: usize) -> String {
    if max == 0 {
        return "0".to_string();
    }
    let pct = 100.0 * value as f64 / max as f64;
    format!("{:.1}", pct.clamp(0.0, 100.0))
}

// ------------------------------------------------------------ mini matrix

/// A tactic column of the thumbnail.
#[derive(Debug, Clone, PartialEq)]
pub struct MiniColumn {
    pub tactic_id: String,
    pub name: String,
    pub href: String,
    /// The rotated label's anchor.
    pub label_x: f64,
    pub label_y: f64,
    /// Incidents (or steps) anywhere in the column.
    pub observed: usize,
}

/// One technique of the thumbnail.
#[derive(Debug, Clone, PartialEq)]
pub struct MiniCell {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    /// `heat-0` … `heat-5`.
    pub class: String,
    pub level: u8,
    pub score: usize,
    pub title: String,
    pub href: String,
    /// Where the count is written (centre, baseline).
    pub count_x: f64,
    pub count_y: f64,
}

/// The whole ATLAS matrix as a thumbnail: one column per tactic (in matrix
/// order), one small cell per technique (sub-techniques counted in their
/// parent), heat-coloured with the count written in every observed cell.
#[derive(Debug, Clone, PartialEq)]
pub struct MiniMatrix {
    pub width: f64,
    pub height: f64,
    pub columns: Vec<MiniColumn>,
    pub cells: Vec<MiniCell>,
    pub observed: usize,
    /// "incidents" or "steps".
    pub noun: &'static str,
    pub desc: String,
}

const MINI_COL_W: f64 = 22.0;
const MINI_GAP: f64 = 3.0;
const MINI_CELL_H: f64 = 12.0;
const MINI_ROW_GAP: f64 = 2.0;
const MINI_LABEL_SIZE: f64 = 10.0;

impl MiniMatrix {
    /// `scores` must be rolled up (a parent's cell counts its sub-techniques).
    /// `href(key)` is where an observed cell links.
    pub fn new(
        atlas: &ActiveAtlas,
        scores: &Scores,
        noun: &'static str,
        href: impl Fn(&CellKey) -> String,
    ) -> MiniMatrix {
        let tactics = atlas.tactics();
        let head_h = tactics
            .iter()
            .map(|t| text_width(&t.name, MINI_LABEL_SIZE, Face::Sans))
            .fold(0.0, f64::max)
            .min(150.0)
            + 8.0;
        let mut columns = Vec::with_capacity(tactics.len());
        let mut cells = Vec::new();
        let mut rows = 0;
        let mut seen = Vec::new();
        for (i, tactic) in tactics.iter().enumerate() {
            let x = i as f64 * (MINI_COL_W + MINI_GAP);
            let mut observed = 0;
            for (r, technique) in atlas.techniques_for_tactic(&tactic.id).enumerate() {
                let key = CellKey {
                    tactic_id: tactic.id.clone(),
                    technique_id: technique.id.clone(),
                };
                let score = scores.value(&key);
                let lvl = scores.level(score);
                observed += score;
                let title = if score > 0 {
                    seen.push(format!("{} › {}: {score}", tactic.name, technique.name));
                    format!(
                        "{} › {} ({}): {score} {}",
                        tactic.name,
                        technique.name,
                        technique.id,
                        if score == 1 {
                            noun.trim_end_matches('s')
                        } else {
                            noun
                        }
                    )
                } else {
                    format!(
                        "{} › {} ({}): none",
                        tactic.name, technique.name, technique.id
                    )
                };
                cells.push(MiniCell {
                    x: r1(x),
                    y: r1(head_h + 4.0 + r as f64 * (MINI_CELL_H + MINI_ROW_GAP)),
                    w: MINI_COL_W,
                    h: MINI_CELL_H,
                    class: format!("heat-{lvl}"),
                    level: lvl,
                    score,
                    title,
                    count_x: r1(x + MINI_COL_W / 2.0),
                    count_y: r1(head_h
                        + 4.0
                        + r as f64 * (MINI_CELL_H + MINI_ROW_GAP)
                        + MINI_CELL_H
                        - 3.0),
                    href: if score > 0 {
                        href(&key)
                    } else {
                        format!("/techniques/{}", technique.id)
                    },
                });
                rows = rows.max(r + 1);
            }
            columns.push(MiniColumn {
                tactic_id: tactic.id.clone(),
                name: tactic.name.clone(),
                href: format!("/tactics/{}", tactic.id),
                label_x: r1(x + MINI_COL_W / 2.0 + MINI_LABEL_SIZE * 0.35),
                label_y: r1(head_h - 4.0),
                observed,
            });
        }
        let width = r1((tactics.len() as f64 * (MINI_COL_W + MINI_GAP) - MINI_GAP).max(MINI_COL_W));
        let height = r1(head_h + 4.0 + rows as f64 * (MINI_CELL_H + MINI_ROW_GAP)).ceil();
        let observed = cells.iter().filter(|c| c.score > 0).count();
        MiniMatrix {
            width,
            height,
            columns,
            cells,
            observed,
            noun,
            desc: if seen.is_empty() {
                "No technique observed.".to_string()
            } else {
                format!("Observed: {}.", seen.join("; "))
            },
        }
    }
}

/// Rounded to one decimal, so SVG attributes print short (`34.5`).
pub fn r1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::heat::Metric;
    use crate::render::period::{Step, buckets};
    use crate::store::{CellAggregate, MatrixAggregate, StepHit};
    use chrono::{TimeZone, Utc};

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(230), 500);
    }

    #[test]
    fn bars_stack_severities_and_stay_in_the_plot() {
        let start = Utc.with_ymd_and_hms(2025, 11, 1, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2025, 11, 4, 0, 0, 0).unwrap();
        let b = buckets(start, end, Step::Day, 100);
        let chart = BarChart::new(
            &b,
            &[[1, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 3]],
            "incidents",
            |_| "/incidents".into(),
        );
        assert_eq!(chart.bars.len(), 3);
        assert_eq!(chart.total, 6);
        let first = &chart.bars[0];
        assert_eq!(first.segments.len(), 2);
        assert_eq!(first.segments[0].class, "bar-critical");
        assert!(
            first.segments[0].y > first.segments[1].y,
            "critical at the bottom"
        );
        assert_eq!(first.title, "1 Nov 2025: 3 incidents (1 critical, 2 high)");
        assert_eq!(chart.bars[1].title, "2 Nov 2025: 0 incidents");
        for bar in &chart.bars {
            for s in &bar.segments {
                assert!(s.y >= 0.0 && s.y + s.h <= chart.baseline + 1e-9);
            }
            assert!(bar.x >= chart.plot_left && bar.x + bar.w <= chart.plot_right + 1e-9);
        }
        assert_eq!(
            bucket_days(&b[1]),
            ("2025-11-02".into(), "2025-11-02".into())
        );
    }

    #[test]
    fn the_mini_matrix_has_every_tactic_and_counts_in_observed_cells() {
        let atlas = crate::render::report::tests_support::atlas();
        let aggregate = MatrixAggregate {
            incident_total: 2,
            incidents: vec![],
            cells: vec![CellAggregate {
                tactic_id: "AML.TA0005".into(),
                technique_id: "AML.T0051.000".into(),
                hits: vec![
                    StepHit {
                        incident: 0,
                        position: 1,
                    },
                    StepHit {
                        incident: 1,
                        position: 2,
                    },
                ],
            }],
            step_total: 2,
        };
        let scores = Scores::build(&aggregate, Metric::Incidents, true, |tactic, technique| {
            let parent = atlas.technique(technique)?.parent.as_deref()?;
            atlas.serves(parent, tactic).then_some(parent)
        });
        let mini = MiniMatrix::new(&atlas, &scores, "incidents", |k| {
            format!("/techniques/{}", k.technique_id)
        });
        assert_eq!(mini.columns.len(), atlas.tactics().len());
        assert_eq!(mini.observed, 1);
        let hot: Vec<&MiniCell> = mini.cells.iter().filter(|c| c.score > 0).collect();
        assert_eq!(hot[0].score, 2);
        assert_eq!(hot[0].class, "heat-5");
        assert!(hot[0].title.contains("LLM Prompt Injection"));
        for c in &mini.cells {
            assert!(c.x + c.w <= mini.width + 1e-9 && c.y + c.h <= mini.height + 1e-9);
        }
        // No two cells overlap.
        for (i, a) in mini.cells.iter().enumerate() {
            for b in &mini.cells[i + 1..] {
                let apart =
                    a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
                assert!(apart, "{} / {}", a.title, b.title);
            }
        }
    }
}
