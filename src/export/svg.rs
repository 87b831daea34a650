//! A standalone SVG of a highlighted matrix for slides: 16:9 (1920×1080 or
//! wider for a tall matrix), title, filter summary, legend and release, every
//! label as real `<text>` (searchable, sharp at any size). Layout is computed
//! here with a conservative estimate of text width; the template
//! `templates/matrix.svg` only prints shapes (and escapes every text).

use askama::Template;

use super::{heat_color, heat_ink};
use crate::render::grid::is_observed;
use crate::render::heat::MATCH_MARKER;
use crate::render::measure::{Face, text_width};
use crate::render::text::{fit, wrap_at_words};
use crate::render::{Highlight, MatrixView};

const WIDTH: i32 = 1920;
const HEIGHT: i32 = 1080;
const MARGIN: i32 = 20;
const GAP: i32 = 4;
const HEAD_FONT: i32 = 13;
const CELL_FONT: i32 = 12;
const SUB_FONT: i32 = 11;

/// One line of text at a point.
pub struct Line {
    pub x: i32,
    pub y: i32,
    pub text: String,
}

pub struct Shape {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
    pub fill: &'static str,
    pub stroke: &'static str,
    pub stroke_width: &'static str,
    pub dashed: bool,
    pub ink: &'static str,
    pub font: i32,
    pub bold: bool,
    pub lines: Vec<Line>,
    /// The score, right-aligned at the top.
    pub badge: Option<Line>,
}

pub struct Column {
    pub head: Shape,
    pub cells: Vec<Shape>,
}

pub struct LegendSwatch {
    pub x: i32,
    pub y: i32,
    pub fill: &'static str,
    pub label: Line,
}

#[derive(Template)]
#[template(path = "matrix.svg")]
pub struct SvgMatrix {
    pub view_box: String,
    pub width: i32,
    pub height: i32,
    pub bg_x: i32,
    pub bg_w: i32,
    pub title: Line,
    pub subtitle: Vec<Line>,
    pub legend_title: Line,
    pub legend: Vec<LegendSwatch>,
    pub columns: Vec<Column>,
    pub footer: Line,
    /// For `<title>`/`<desc>`.
    pub title_text: String,
    pub desc_text: String,
}

/// What to draw.
pub struct SvgInput<'a> {
    pub view: &'a MatrixView,
    pub title: String,
    pub subtitle: String,
    pub legend_title: String,
    /// (heat level, label) of each legend swatch.
    pub legend: Vec<(u8, String)>,
    pub footer: String,
    /// Draw every sub-technique of an open list, not only observed ones.
    pub all_subtechniques: bool,
}

/// Greedy wrap at words into lines at most `width` pixels wide at `font`
/// (regular weight), for the title block: never splits a word.
pub fn wrap(text: &str, width: i32, font: i32) -> Vec<String> {
    wrap_at_words(text, f64::from(width), f64::from(font), Face::Sans)
}

/// Smallest type a cell or heading label shrinks to before a word is abbreviated.
const MIN_FONT: i32 = 8;

fn is_match(h: &Option<Highlight>) -> bool {
    h.as_ref()
        .is_some_and(|h| h.markers.iter().any(|m| m.kind == MATCH_MARKER))
}

/// A cell's box at (x, y), `w` wide.
#[allow(clippy::too_many_arguments)]
fn cell_box(
    x: i32,
    y: i32,
    w: i32,
    font: i32,
    name: &str,
    id: Option<&str>,
    h: &Option<Highlight>,
    sub: bool,
) -> Shape {
    let observed = is_observed(h);
    let level = h.as_ref().map_or(0, |h| h.level);
    let badge_text = h
        .as_ref()
        .filter(|_| observed)
        .and_then(|h| h.badge.clone());
    let badge_room = badge_text.as_ref().map_or(0, |b| {
        text_width(b, f64::from(font), Face::SansBold).ceil() as i32 + 6
    });
    let pad = 5;
    // Observed cells are set in semibold: measure them as bold.
    let face = if observed { Face::SansBold } else { Face::Sans };
    let mut paragraphs = vec![name];
    if let Some(id) = id {
        paragraphs.push(id);
    }
    let fitted = fit(
        &paragraphs,
        f64::from(w - 2 * pad - badge_room),
        font,
        MIN_FONT,
        face,
    );
    let font = fitted.size;
    let lines = fitted.lines;
    let line_h = font + 2;
    let height = lines.len() as i32 * line_h + 6;
    Shape {
        x,
        y,
        w,
        h: height,
        fill: if observed {
            heat_color(level)
        } else if sub {
            "#f8f9fb"
        } else {
            "#ffffff"
        },
        stroke: if observed { "#5d6776" } else { "#c3cad5" },
        stroke_width: if observed { "1.5" } else { "1" },
        dashed: is_match(h),
        ink: if observed { heat_ink(level) } else { "#363e4b" },
        font,
        bold: observed,
        lines: lines
            .into_iter()
            .enumerate()
            .map(|(i, text)| Line {
                x: x + pad,
                y: y + 2 + font + i as i32 * line_h,
                text,
            })
            .collect(),
        badge: badge_text.map(|text| Line {
            x: x + w - pad,
            y: y + 2 + font,
            text,
        }),
    }
}

/// Lays the matrix out on a 16:9 canvas.
pub fn layout(input: &SvgInput<'_>) -> SvgMatrix {
    let view = input.view;
    let n = view.columns.len().max(1) as i32;
    let col_w = (WIDTH - 2 * MARGIN - (n - 1) * GAP) / n;
    let show_ids = view.show_ids();

    let title = Line {
        x: MARGIN,
        y: MARGIN + 30,
        text: input.title.clone(),
    };
    let subtitle: Vec<Line> = wrap(&input.subtitle, WIDTH - 2 * MARGIN, 17)
        .into_iter()
        .take(3)
        .enumerate()
        .map(|(i, text)| Line {
            x: MARGIN,
            y: MARGIN + 60 + i as i32 * 22,
            text,
        })
        .collect();
    let legend_y = MARGIN + 60 + subtitle.len() as i32 * 22 + 12;
    let legend_title = Line {
        x: MARGIN,
        y: legend_y + 15,
        text: input.legend_title.clone(),
    };
    let label_w = |t: &str, face: Face| text_width(t, 15.0, face).ceil() as i32;
    let mut lx = MARGIN + label_w(&input.legend_title, Face::SansBold) + 16;
    let legend: Vec<LegendSwatch> = input
        .legend
        .iter()
        .map(|(level, label)| {
            let swatch = LegendSwatch {
                x: lx,
                y: legend_y,
                fill: heat_color(*level),
                label: Line {
                    x: lx + 26,
                    y: legend_y + 15,
                    text: label.clone(),
                },
            };
            lx += 26 + label_w(label, Face::Sans) + 22;
            swatch
        })
        .collect();

    let top = legend_y + 38;
    // Every heading at one size: the largest at which each heading's words fit.
    let heading = |name: &str, largest: i32, smallest: i32| {
        let width = f64::from(col_w - 10);
        fit(&[name], width, largest, smallest, Face::SansBold)
    };
    let head_font = view
        .columns
        .iter()
        .map(|c| heading(&c.name, HEAD_FONT, MIN_FONT).size)
        .min()
        .unwrap_or(HEAD_FONT);
    let head_lines: Vec<Vec<String>> = view
        .columns
        .iter()
        .map(|c| heading(&c.name, head_font, head_font).lines)
        .collect();
    let head_rows = head_lines.iter().map(Vec::len).max().unwrap_or(1) as i32;
    let head_h = head_rows * (head_font + 3) + 12;

    let mut bottom = top + head_h;
    let mut columns = Vec::with_capacity(view.columns.len());
    for (i, (column, lines)) in view.columns.iter().zip(head_lines).enumerate() {
        let x = MARGIN + i as i32 * (col_w + GAP);
        let head = Shape {
            x,
            y: top,
            w: col_w,
            h: head_h,
            fill: "#18243a",
            stroke: "#18243a",
            stroke_width: "1",
            dashed: false,
            ink: "#ffffff",
            font: head_font,
            bold: true,
            lines: lines
                .into_iter()
                .enumerate()
                .map(|(j, text)| Line {
                    x: x + 5,
                    y: top + 6 + head_font + j as i32 * (head_font + 3),
                    text,
                })
                .collect(),
            badge: None,
        };
        let mut y = top + head_h + 4;
        let mut cells = Vec::new();
        for cell in &column.cells {
            let b = cell_box(
                x,
                y,
                col_w,
                CELL_FONT,
                &cell.display_name,
                show_ids.then_some(cell.id.as_str()),
                &cell.highlight,
                false,
            );
            y += b.h + 2;
            cells.push(b);
            if cell.expanded {
                for sub in cell.subtechniques.iter().filter(|s| {
                    input.all_subtechniques || is_observed(&s.highlight) || is_match(&s.highlight)
                }) {
                    let b = cell_box(
                        x + 6,
                        y,
                        col_w - 6,
                        SUB_FONT,
                        &sub.name,
                        show_ids.then_some(sub.id.as_str()),
                        &sub.highlight,
                        true,
                    );
                    y += b.h + 2;
                    cells.push(b);
                }
            }
        }
        bottom = bottom.max(y);
        columns.push(Column { head, cells });
    }
    let footer_y = bottom + 28;
    let height = (footer_y + MARGIN).max(HEIGHT);
    // Keep 16:9: a taller drawing gets a wider canvas, the matrix centred.
    let width = ((height * 16 + 8) / 9).max(WIDTH);
    let bg_x = -(width - WIDTH) / 2;
    SvgMatrix {
        view_box: format!("{bg_x} 0 {width} {height}"),
        width,
        height,
        bg_x,
        bg_w: width,
        title,
        subtitle,
        legend_title,
        legend,
        columns,
        footer: Line {
            x: MARGIN,
            y: footer_y,
            text: input.footer.clone(),
        },
        title_text: input.title.clone(),
        desc_text: input.subtitle.clone(),
    }
}

/// The finished SVG document.
pub fn render(input: &SvgInput<'_>) -> Result<String, askama::Error> {
    layout(input).render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_block_wraps_at_words() {
        assert_eq!(wrap("Evade AI Model", 80, 12), ["Evade AI", "Model"]);
        assert_eq!(
            wrap("Supercalifragilistic", 40, 12),
            ["Supercalifragilistic"]
        );
        assert!(wrap("   ", 10, 12).is_empty());
    }
}
