//! The ATLAS matrix as a view model: one column per tactic in matrix order,
//! one cell per top-level technique serving that tactic, sub-techniques nested
//! under their parent. Built in one pass over the release.
//!
//! Every cell and sub-cell carries a [`CellKey`] (tactic, technique) and an
//! empty `highlight` slot, so overlays (incident heat, markers, a case study's
//! path) are attached afterwards with [`MatrixView::apply_highlights`] without
//! touching how the matrix is built.

use std::collections::{BTreeSet, HashSet};

use crate::atlas::{ActiveAtlas, Technique};

/// How many heat levels overlays use (`heat-1` … `heat-5`; 0 means none).
pub const HEAT_LEVELS: u8 = 5;

/// Which sub-technique lists are open.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SubtechniqueMode {
    /// All closed (each still expandable in the page).
    #[default]
    Collapsed,
    /// All open.
    All,
    /// Open under these parent technique IDs only.
    Expanded(BTreeSet<String>),
}

impl SubtechniqueMode {
    pub fn is_expanded(&self, parent_id: &str) -> bool {
        match self {
            SubtechniqueMode::Collapsed => false,
            SubtechniqueMode::All => true,
            SubtechniqueMode::Expanded(set) => set.contains(parent_id),
        }
    }

    pub fn is_all(&self) -> bool {
        matches!(self, SubtechniqueMode::All)
    }
}

/// What the page asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MatrixOptions {
    pub subtechniques: SubtechniqueMode,
    /// Show ATLAS IDs in cells (names only otherwise).
    pub show_ids: bool,
}

impl MatrixOptions {
    /// The `/matrix` URL that asks for these options (defaults left out).
    pub fn href(&self) -> String {
        let mut params: Vec<String> = Vec::new();
        match &self.subtechniques {
            SubtechniqueMode::Collapsed => {}
            SubtechniqueMode::All => params.push("subtechniques=all".to_string()),
            SubtechniqueMode::Expanded(set) => {
                params.push(format!(
                    "expand={}",
                    set.iter().cloned().collect::<Vec<_>>().join(",")
                ));
            }
        }
        if self.show_ids {
            params.push("ids=1".to_string());
        }
        if params.is_empty() {
            "/matrix".to_string()
        } else {
            format!("/matrix?{}", params.join("&"))
        }
    }

    pub fn with_subtechniques(&self, mode: SubtechniqueMode) -> Self {
        MatrixOptions {
            subtechniques: mode,
            ..self.clone()
        }
    }

    pub fn with_ids(&self, show_ids: bool) -> Self {
        MatrixOptions {
            show_ids,
            ..self.clone()
        }
    }
}

/// Where a technique sits in the matrix: the column's tactic and the technique
/// (a sub-technique under a parent has its own key in that column).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    pub tactic_id: String,
    pub technique_id: String,
}

/// A small flag drawn on a cell by an overlay (e.g. "new in this release").
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// CSS-safe kind, rendered as the class `marker-<kind>`; chosen by code, never by data.
    pub kind: &'static str,
    /// Text for people (shown as the marker's title and to screen readers).
    pub label: String,
}

/// What an overlay says about one cell.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Highlight {
    /// Heat level 0..=[`HEAT_LEVELS`], rendered as the class `heat-N`.
    pub level: u8,
    /// The raw score behind the level (e.g. number of incidents).
    pub score: f64,
    /// Short text drawn in the cell, e.g. "3".
    pub badge: Option<String>,
    /// Explanation for people: the cell's tooltip and screen-reader text.
    pub label: Option<String>,
    pub markers: Vec<Marker>,
}

impl Highlight {
    /// A heat highlight scaled against the largest score of the overlay.
    pub fn heat(score: f64, max: f64) -> Self {
        let level = if score <= 0.0 || max <= 0.0 || !score.is_finite() || !max.is_finite() {
            0
        } else {
            let ratio = (score / max).clamp(0.0, 1.0);
            ((ratio * f64::from(HEAT_LEVELS)).ceil() as u8).clamp(1, HEAT_LEVELS)
        };
        Highlight {
            level,
            score,
            ..Highlight::default()
        }
    }

    /// The CSS class for the level (`heat-0` … `heat-5`).
    pub fn heat_class(&self) -> String {
        format!("heat-{}", self.level.min(HEAT_LEVELS))
    }
}

/// A sub-technique under its parent's cell.
#[derive(Debug, Clone, PartialEq)]
pub struct SubCell {
    pub key: CellKey,
    pub id: String,
    /// Its own name ("Indirect").
    pub name: String,
    /// "Parent: Child".
    pub display_name: String,
    pub highlight: Option<Highlight>,
}

/// One technique in one column.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixCell {
    pub key: CellKey,
    pub id: String,
    /// The technique's own name.
    pub name: String,
    /// "Parent: Child" for a sub-technique shown on its own (its parent does not
    /// serve this tactic), the name otherwise.
    pub display_name: String,
    pub maturity: Option<String>,
    pub subtechniques: Vec<SubCell>,
    /// Whether the sub-technique list starts open.
    pub expanded: bool,
    pub highlight: Option<Highlight>,
}

impl MatrixCell {
    pub fn sub_count(&self) -> usize {
        self.subtechniques.len()
    }

    pub fn href(&self) -> String {
        format!("/techniques/{}", self.id)
    }
}

/// One tactic column.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixColumn {
    pub tactic_id: String,
    pub name: String,
    /// Top-level techniques in this column (the cells).
    pub technique_count: usize,
    /// Sub-techniques nested in this column's cells.
    pub subtechnique_count: usize,
    pub cells: Vec<MatrixCell>,
}

impl MatrixColumn {
    pub fn href(&self) -> String {
        format!("/tactics/{}", self.tactic_id)
    }
}

/// The whole matrix of a release.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixView {
    pub version: String,
    pub options: MatrixOptions,
    pub columns: Vec<MatrixColumn>,
    /// Distinct top-level techniques placed in the matrix.
    pub technique_count: usize,
    /// Distinct sub-techniques placed in the matrix.
    pub subtechnique_count: usize,
}

impl MatrixView {
    /// One pass over the release's techniques, in source order.
    pub fn build(atlas: &ActiveAtlas, options: &MatrixOptions) -> Self {
        let mut columns: Vec<MatrixColumn> = atlas
            .tactics()
            .iter()
            .map(|t| MatrixColumn {
                tactic_id: t.id.clone(),
                name: t.name.clone(),
                technique_count: 0,
                subtechnique_count: 0,
                cells: Vec::new(),
            })
            .collect();
        let mut top_level: HashSet<&str> = HashSet::new();
        let mut subs: HashSet<&str> = HashSet::new();

        for technique in &atlas.release.techniques {
            let parent = technique.parent.as_deref().and_then(|p| atlas.technique(p));
            for (n, tactic_id) in technique.tactics.iter().enumerate() {
                if technique.tactics[..n].contains(tactic_id) {
                    continue; // listed twice upstream
                }
                let Some(col) = atlas.tactic_position(tactic_id) else {
                    continue;
                };
                let cell = match (&technique.parent, parent) {
                    (None, _) => {
                        let cell = top_cell(atlas, technique, tactic_id, options);
                        subs.extend(
                            subs_serving(atlas, &technique.id, tactic_id).map(|s| s.id.as_str()),
                        );
                        top_level.insert(&technique.id);
                        cell
                    }
                    // Placed under its parent when the parent serves this tactic.
                    (Some(_), Some(p)) if serves(p, tactic_id) => continue,
                    // Otherwise on its own, so no technique is left out.
                    (Some(_), _) => {
                        subs.insert(&technique.id);
                        orphan_cell(atlas, technique, tactic_id)
                    }
                };
                columns[col].cells.push(cell);
            }
        }
        for column in &mut columns {
            column.technique_count = column.cells.len();
            column.subtechnique_count = column.cells.iter().map(MatrixCell::sub_count).sum();
        }
        MatrixView {
            version: atlas.info.version.clone(),
            options: options.clone(),
            columns,
            technique_count: top_level.len(),
            subtechnique_count: subs.len(),
        }
    }

    pub fn show_ids(&self) -> bool {
        self.options.show_ids
    }

    /// The tallest column's number of cells.
    pub fn max_rows(&self) -> usize {
        self.columns
            .iter()
            .map(|c| c.cells.len())
            .max()
            .unwrap_or(0)
    }

    pub fn cell(&self, tactic_id: &str, technique_id: &str) -> Option<&MatrixCell> {
        self.columns
            .iter()
            .find(|c| c.tactic_id == tactic_id)?
            .cells
            .iter()
            .find(|c| c.id == technique_id)
    }

    /// Every cell, column by column.
    pub fn cells(&self) -> impl Iterator<Item = &MatrixCell> {
        self.columns.iter().flat_map(|c| c.cells.iter())
    }

    /// Attaches an overlay: `f` is asked once for every cell and sub-cell key.
    /// A sub-technique list holding a highlighted sub-cell is opened so the
    /// highlight is visible.
    pub fn apply_highlights(&mut self, mut f: impl FnMut(&CellKey) -> Option<Highlight>) {
        for column in &mut self.columns {
            for cell in &mut column.cells {
                cell.highlight = f(&cell.key);
                let mut any_sub = false;
                for sub in &mut cell.subtechniques {
                    sub.highlight = f(&sub.key);
                    any_sub |= sub.highlight.is_some();
                }
                if any_sub {
                    cell.expanded = true;
                }
            }
        }
    }
}

/// Sub-techniques of `parent` shown in `tactic_id`'s column: a sub-technique
/// that lists tactics shows only where it applies; one that lists none inherits.
fn subs_serving<'a>(
    atlas: &'a ActiveAtlas,
    parent: &'a str,
    tactic_id: &'a str,
) -> impl Iterator<Item = &'a Technique> + 'a {
    atlas
        .subtechniques(parent)
        .filter(move |s| s.tactics.is_empty() || serves(s, tactic_id))
}

fn serves(technique: &Technique, tactic_id: &str) -> bool {
    technique.tactics.iter().any(|t| t == tactic_id)
}

fn key(tactic_id: &str, technique_id: &str) -> CellKey {
    CellKey {
        tactic_id: tactic_id.to_string(),
        technique_id: technique_id.to_string(),
    }
}

fn top_cell(
    atlas: &ActiveAtlas,
    t: &Technique,
    tactic_id: &str,
    options: &MatrixOptions,
) -> MatrixCell {
    let subtechniques: Vec<SubCell> = subs_serving(atlas, &t.id, tactic_id)
        .map(|s| SubCell {
            key: key(tactic_id, &s.id),
            id: s.id.clone(),
            name: s.name.clone(),
            display_name: format!("{}: {}", t.name, s.name),
            highlight: None,
        })
        .collect();
    MatrixCell {
        key: key(tactic_id, &t.id),
        id: t.id.clone(),
        name: t.name.clone(),
        display_name: t.name.clone(),
        maturity: t.maturity.clone(),
        expanded: !subtechniques.is_empty() && options.subtechniques.is_expanded(&t.id),
        subtechniques,
        highlight: None,
    }
}

fn orphan_cell(atlas: &ActiveAtlas, t: &Technique, tactic_id: &str) -> MatrixCell {
    MatrixCell {
        key: key(tactic_id, &t.id),
        id: t.id.clone(),
        name: t.name.clone(),
        display_name: atlas.display_name(t),
        maturity: t.maturity.clone(),
        subtechniques: Vec::new(),
        expanded: false,
        highlight: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::{Release, ReleaseInfo, SourceFormat, Tactic};

    fn tactic(id: &str, name: &str) -> Tactic {
        Tactic::named(id, name)
    }

    fn technique(id: &str, name: &str, parent: Option<&str>, tactics: &[&str]) -> Technique {
        Technique {
            id: id.into(),
            name: name.into(),
            description: None,
            parent: parent.map(Into::into),
            tactics: tactics.iter().map(|s| s.to_string()).collect(),
            maturity: Some("feasible".into()),
            attack_ref: None,
            platforms: Vec::new(),
        }
    }

    /// Three tactics in matrix order (not ID order), a multi-tactic technique,
    /// sub-techniques (one limited to a tactic), and an orphan sub-technique.
    fn atlas() -> ActiveAtlas {
        let release = Release {
            version: "9.9.9".into(),
            name: "Test".into(),
            format: SourceFormat::Legacy,
            tactics: vec![
                tactic("AML.TA0002", "Reconnaissance"),
                tactic("AML.TA0000", "AI Model Access"),
                tactic("AML.TA0011", "Impact"),
            ],
            techniques: vec![
                technique("AML.T0000", "Search", None, &["AML.TA0002"]),
                technique(
                    "AML.T0000.000",
                    "Journals",
                    Some("AML.T0000"),
                    &["AML.TA0002"],
                ),
                technique("AML.T0000.001", "Pre-Print", Some("AML.T0000"), &[]),
                technique(
                    "AML.T0051",
                    "Prompt Injection",
                    None,
                    &["AML.TA0000", "AML.TA0011"],
                ),
                technique(
                    "AML.T0051.000",
                    "Direct",
                    Some("AML.T0051"),
                    &["AML.TA0000", "AML.TA0011"],
                ),
                technique(
                    "AML.T0051.001",
                    "Indirect",
                    Some("AML.T0051"),
                    &["AML.TA0000"],
                ),
                technique("AML.T0052", "Lonely", None, &["AML.TA0011", "AML.TA0011"]),
                technique(
                    "AML.T0052.000",
                    "Elsewhere",
                    Some("AML.T0052"),
                    &["AML.TA0002"],
                ),
                technique("AML.T0099", "Unplaced", None, &["AML.TA9999"]),
            ],
            mitigations: vec![],
            case_studies: vec![],
        };
        let info = ReleaseInfo {
            version: "9.9.9".into(),
            name: "Test".into(),
            format: "legacy".into(),
            source: "test".into(),
            imported_at: "2025-01-01T00:00:00Z".into(),
            is_active: true,
            has_descriptions: true,
            tactic_count: 3,
            technique_count: 9,
            mitigation_count: 0,
            case_study_count: 0,
        };
        ActiveAtlas::new(info, release)
    }

    fn ids(cells: &[MatrixCell]) -> Vec<&str> {
        cells.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn columns_follow_matrix_order_with_counts() {
        let view = MatrixView::build(&atlas(), &MatrixOptions::default());
        let tactics: Vec<&str> = view.columns.iter().map(|c| c.tactic_id.as_str()).collect();
        assert_eq!(tactics, ["AML.TA0002", "AML.TA0000", "AML.TA0011"]);
        assert_eq!(view.columns[0].name, "Reconnaissance");
        assert_eq!(ids(&view.columns[0].cells), ["AML.T0000", "AML.T0052.000"]);
        assert_eq!(ids(&view.columns[1].cells), ["AML.T0051"]);
        assert_eq!(ids(&view.columns[2].cells), ["AML.T0051", "AML.T0052"]);
        let counts: Vec<usize> = view.columns.iter().map(|c| c.technique_count).collect();
        assert_eq!(counts, [2, 1, 2]);
        assert_eq!(
            view.technique_count, 3,
            "T0000, T0051, T0052 (T0099 has no known tactic)"
        );
        assert_eq!(view.subtechnique_count, 5);
        assert_eq!(view.max_rows(), 2);
    }

    #[test]
    fn multi_tactic_technique_is_in_each_column() {
        let view = MatrixView::build(&atlas(), &MatrixOptions::default());
        let a = view
            .cell("AML.TA0000", "AML.T0051")
            .expect("in AI Model Access");
        let b = view.cell("AML.TA0011", "AML.T0051").expect("in Impact");
        assert_eq!(
            a.key,
            CellKey {
                tactic_id: "AML.TA0000".into(),
                technique_id: "AML.T0051".into()
            }
        );
        assert_eq!(b.key.tactic_id, "AML.TA0011");
        // Sub-techniques follow their own tactic lists.
        let a_subs: Vec<&str> = a.subtechniques.iter().map(|s| s.id.as_str()).collect();
        let b_subs: Vec<&str> = b.subtechniques.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(a_subs, ["AML.T0051.000", "AML.T0051.001"]);
        assert_eq!(b_subs, ["AML.T0051.000"]);
        assert_eq!(
            a.subtechniques[1].display_name,
            "Prompt Injection: Indirect"
        );
        assert_eq!(a.subtechniques[1].name, "Indirect");
        assert_eq!(a.subtechniques[1].key.tactic_id, "AML.TA0000");
    }

    #[test]
    fn inheriting_and_orphan_subtechniques() {
        let view = MatrixView::build(&atlas(), &MatrixOptions::default());
        let search = view.cell("AML.TA0002", "AML.T0000").expect("search");
        assert_eq!(
            search.sub_count(),
            2,
            "a sub-technique without tactics inherits"
        );
        let orphan = view
            .cell("AML.TA0002", "AML.T0052.000")
            .expect("orphan shown on its own");
        assert_eq!(orphan.display_name, "Lonely: Elsewhere");
        assert_eq!(orphan.sub_count(), 0);
        let lonely = view.cell("AML.TA0011", "AML.T0052").expect("lonely");
        assert_eq!(
            lonely.sub_count(),
            0,
            "its sub-technique does not serve Impact"
        );
    }

    #[test]
    fn expansion_modes() {
        let atlas = atlas();
        let collapsed = MatrixView::build(&atlas, &MatrixOptions::default());
        assert!(collapsed.cells().all(|c| !c.expanded));
        let all = MatrixView::build(
            &atlas,
            &MatrixOptions {
                subtechniques: SubtechniqueMode::All,
                show_ids: true,
            },
        );
        assert!(
            all.cells()
                .filter(|c| c.sub_count() > 0)
                .all(|c| c.expanded)
        );
        assert!(
            all.cells()
                .filter(|c| c.sub_count() == 0)
                .all(|c| !c.expanded)
        );
        assert!(all.show_ids());
        let some = MatrixView::build(
            &atlas,
            &MatrixOptions {
                subtechniques: SubtechniqueMode::Expanded(["AML.T0051".to_string()].into()),
                show_ids: false,
            },
        );
        let open: Vec<&str> = some
            .cells()
            .filter(|c| c.expanded)
            .map(|c| c.key.tactic_id.as_str())
            .collect();
        assert_eq!(open, ["AML.TA0000", "AML.TA0011"]);
    }

    #[test]
    fn highlights_attach_by_key() {
        let mut view = MatrixView::build(&atlas(), &MatrixOptions::default());
        view.apply_highlights(|k| {
            (k.technique_id == "AML.T0051.001"
                || (k.technique_id == "AML.T0052" && k.tactic_id == "AML.TA0011"))
                .then(|| Highlight::heat(2.0, 4.0))
        });
        let lonely = view.cell("AML.TA0011", "AML.T0052").expect("cell");
        assert_eq!(lonely.highlight.as_ref().map(|h| h.level), Some(3));
        assert_eq!(
            lonely
                .highlight
                .as_ref()
                .map(Highlight::heat_class)
                .as_deref(),
            Some("heat-3")
        );
        let pi = view.cell("AML.TA0000", "AML.T0051").expect("cell");
        assert!(pi.highlight.is_none());
        assert!(pi.expanded, "a highlighted sub-technique opens its list");
        assert!(pi.subtechniques[1].highlight.is_some());
        assert!(!view.cell("AML.TA0011", "AML.T0051").expect("cell").expanded);
    }

    #[test]
    fn heat_levels_are_bounded() {
        assert_eq!(Highlight::heat(0.0, 10.0).level, 0);
        assert_eq!(Highlight::heat(0.1, 10.0).level, 1);
        assert_eq!(Highlight::heat(10.0, 10.0).level, 5);
        assert_eq!(Highlight::heat(50.0, 10.0).level, 5);
        assert_eq!(Highlight::heat(f64::NAN, 10.0).level, 0);
        assert_eq!(Highlight::heat(1.0, 0.0).level, 0);
    }
}
