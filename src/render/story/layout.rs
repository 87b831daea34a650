//! The story as geometry: one lane per tactic, one row per step, the arrows
//! between steps and the legend (see the module documentation).

use std::collections::HashMap;

use super::geometry::{Guide, Rect, px};
use super::glyphs::{Icon, LegendItem, OutcomeStyle};
use super::options::{LaneMode, StoryOptions};
use super::summary::{MilestoneKind, StorySummary, tactic_name, technique_name};
use super::text::{FONT_SANS, Label, xml_safe};
use super::theme::*;
use crate::atlas::ActiveAtlas;
use crate::domain::{IncidentDetail, Observation, Outcome};

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
}
