//! Heat: the matrix aggregate turned into per-cell scores, score buckets
//! (`heat-1` … `heat-5`), a legend of the score range of each bucket and the
//! highlights the matrix view draws. Pure: no SQL, no HTTP.
//!
//! A cell is a technique (or sub-technique) under one tactic. Its two scores
//! are the distinct incidents with a step there and the number of such steps.
//! A sub-technique's steps count in its own cell; with roll-up they are also
//! added to the parent's cell in the same column (incidents counted once).

use std::collections::HashMap;

use super::matrix::{CellKey, HEAT_LEVELS, Highlight, Marker, MatrixView};
use crate::domain::excerpt::shorten;
use crate::store::{AggregateIncident, MatrixAggregate, StepHit};

/// Which score colours the cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// Distinct incidents with at least one step in the cell.
    #[default]
    Incidents,
    /// Steps in the cell.
    Steps,
}

impl Metric {
    pub const ALL: [Metric; 2] = [Metric::Incidents, Metric::Steps];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Incidents => "incidents",
            Metric::Steps => "steps",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// "incident"/"incidents" or "step"/"steps" for a count.
    pub fn noun(self, n: usize) -> &'static str {
        match (self, n) {
            (Metric::Incidents, 1) => "incident",
            (Metric::Incidents, _) => "incidents",
            (Metric::Steps, 1) => "step",
            (Metric::Steps, _) => "steps",
        }
    }
}

/// How scores map to the five heat levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Logarithmic buckets of `1 + score`: on skewed data (a technique seen
    /// once, another 8,000 times) each order of magnitude gets its own level.
    #[default]
    Log,
    /// Five equal shares of the largest score.
    Linear,
}

impl Scale {
    pub const ALL: [Scale; 2] = [Scale::Log, Scale::Linear];

    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Log => "log",
            Scale::Linear => "linear",
        }
    }

    pub fn parse(s: &str) -> Option<Scale> {
        Scale::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Scale::Log => "Logarithmic",
            Scale::Linear => "Linear",
        }
    }

    /// The largest score of each level 1..=5 (`bounds[k-1]`), against the
    /// largest score `max`: level `k` holds the scores `s` with
    /// `bounds[k-2] < s <= bounds[k-1]`, so a legend built from the bounds
    /// says exactly what each colour means. A level may be empty.
    pub fn bounds(self, max: usize) -> [usize; HEAT_LEVELS as usize] {
        let levels = usize::from(HEAT_LEVELS);
        let mut out = [0usize; HEAT_LEVELS as usize];
        for (i, b) in out.iter_mut().enumerate() {
            let k = i + 1;
            *b = match self {
                Scale::Linear => (k * max) / levels,
                Scale::Log => {
                    // (1 + max)^(k/5) - 1, floored; a hair of slack so exact
                    // powers (max + 1 = 10^5) are not lost to rounding.
                    let x = ((max as f64 + 1.0).powf(k as f64 / levels as f64)) - 1.0;
                    ((x + 1e-9 * x.max(1.0)).floor() as usize).min(max)
                }
            };
        }
        out[levels - 1] = max;
        // Never falling (rounding cannot make a bound smaller than the last).
        for i in 1..levels {
            out[i] = out[i].max(out[i - 1]);
        }
        out
    }

    /// The level (1..=5) of a score against the largest; 0 for no score.
    pub fn level(self, score: usize, max: usize) -> u8 {
        if score == 0 || max == 0 {
            return 0;
        }
        let score = score.min(max);
        let bounds = self.bounds(max);
        let k = bounds
            .iter()
            .position(|&b| score <= b)
            .unwrap_or(bounds.len() - 1);
        (k + 1) as u8
    }

    /// The levels that hold at least one whole score from 1 to `max`, with
    /// their ranges.
    pub fn legend(self, max: usize) -> Vec<LegendEntry> {
        if max == 0 {
            return Vec::new();
        }
        let bounds = self.bounds(max);
        let mut from = 1;
        let mut out = Vec::new();
        for (i, &to) in bounds.iter().enumerate() {
            if from <= to {
                out.push(LegendEntry {
                    level: (i + 1) as u8,
                    from,
                    to,
                });
                from = to + 1;
            }
        }
        out
    }
}

/// The scores of one displayed cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CellScore {
    pub incidents: usize,
    pub steps: usize,
    /// The steps behind the scores, by incident (newest first) then step.
    pub hits: Vec<StepHit>,
}

impl CellScore {
    fn of(mut hits: Vec<StepHit>) -> Self {
        hits.sort_unstable();
        hits.dedup();
        let mut incidents = 0;
        let mut last = None;
        for h in &hits {
            if last != Some(h.incident) {
                incidents += 1;
                last = Some(h.incident);
            }
        }
        CellScore {
            incidents,
            steps: hits.len(),
            hits,
        }
    }

    pub fn value(&self, metric: Metric) -> usize {
        match metric {
            Metric::Incidents => self.incidents,
            Metric::Steps => self.steps,
        }
    }

    /// Distinct incident indexes, in order.
    pub fn incident_indexes(&self) -> Vec<u32> {
        let mut out: Vec<u32> = self.hits.iter().map(|h| h.incident).collect();
        out.dedup();
        out
    }
}

/// Scores of every cell that has steps, keyed as the matrix keys its cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    pub metric: Metric,
    pub rollup: bool,
    pub cells: HashMap<CellKey, CellScore>,
    /// The largest score of the metric (0 when nothing is observed).
    pub max: usize,
    /// How scores map to levels.
    pub scale: Scale,
}

impl Scores {
    /// Scores from the aggregate. `parent_in_column(tactic, technique)` names
    /// the parent a sub-technique rolls up into under that tactic (`None` for
    /// a top-level technique, or when the parent does not serve the tactic).
    pub fn build<'a>(
        aggregate: &MatrixAggregate,
        metric: Metric,
        rollup: bool,
        parent_in_column: impl Fn(&str, &str) -> Option<&'a str>,
    ) -> Scores {
        let mut hits: HashMap<CellKey, Vec<StepHit>> = HashMap::new();
        for cell in &aggregate.cells {
            let key = CellKey {
                tactic_id: cell.tactic_id.clone(),
                technique_id: cell.technique_id.clone(),
            };
            if rollup && let Some(parent) = parent_in_column(&cell.tactic_id, &cell.technique_id) {
                hits.entry(CellKey {
                    tactic_id: cell.tactic_id.clone(),
                    technique_id: parent.to_string(),
                })
                .or_default()
                .extend_from_slice(&cell.hits);
            }
            hits.entry(key).or_default().extend_from_slice(&cell.hits);
        }
        let cells: HashMap<CellKey, CellScore> = hits
            .into_iter()
            .map(|(k, h)| (k, CellScore::of(h)))
            .collect();
        let max = cells.values().map(|c| c.value(metric)).max().unwrap_or(0);
        Scores {
            metric,
            rollup,
            cells,
            max,
            scale: Scale::default(),
        }
    }

    /// The same scores on another scale.
    pub fn with_scale(mut self, scale: Scale) -> Scores {
        self.scale = scale;
        self
    }

    /// The level (0..=5) of a score on this scale.
    pub fn level(&self, score: usize) -> u8 {
        self.scale.level(score, self.max)
    }

    pub fn get(&self, key: &CellKey) -> Option<&CellScore> {
        self.cells.get(key)
    }

    pub fn value(&self, key: &CellKey) -> usize {
        self.get(key).map_or(0, |c| c.value(self.metric))
    }

    pub fn legend(&self) -> Vec<LegendEntry> {
        self.scale.legend(self.max)
    }
}

/// The linear bucket (1..=[`HEAT_LEVELS`]) of a score against the largest
/// score; 0 for no score. Integer arithmetic, so the legend's ranges are
/// exact: level `k` holds the scores `s` with `(k-1)·max < 5·s <= k·max`.
pub fn level(score: usize, max: usize) -> u8 {
    Scale::Linear.level(score, max)
}

/// One line of the legend: a bucket and the scores it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegendEntry {
    pub level: u8,
    pub from: usize,
    pub to: usize,
}

impl LegendEntry {
    pub fn class(&self) -> String {
        format!("heat-{}", self.level)
    }

    /// "1", "2–4".
    pub fn range(&self) -> String {
        if self.from == self.to {
            self.from.to_string()
        } else {
            format!("{}–{}", self.from, self.to)
        }
    }

    /// The pips of the non-colour level marker, e.g. "●●●○○".
    pub fn pips(&self) -> String {
        pips(self.level)
    }

    /// CSS class of the level marker (`marker-level-3`).
    pub fn marker_class(&self) -> &'static str {
        marker_kind(self.level)
    }
}

/// The linear buckets that hold at least one whole score from 1 to `max`, in order.
pub fn legend(max: usize) -> Vec<LegendEntry> {
    Scale::Linear.legend(max)
}

/// "●●●○○" for level 3 of 5.
pub fn pips(level: u8) -> String {
    let on = usize::from(level.min(HEAT_LEVELS));
    let off = usize::from(HEAT_LEVELS) - on;
    format!("{}{}", "●".repeat(on), "○".repeat(off))
}

/// The marker kind (class `marker-<kind>`) that draws a level without colour.
pub fn marker_kind(level: u8) -> &'static str {
    match level {
        0 => "level-0",
        1 => "level-1",
        2 => "level-2",
        3 => "level-3",
        4 => "level-4",
        _ => "level-5",
    }
}

/// Marker kind of a cell matching the technique search.
pub const MATCH_MARKER: &str = "match";

/// How many incidents a cell's tooltip names before "and N more".
pub const TOOLTIP_INCIDENTS: usize = 2;
/// Longest incident title in a tooltip, in characters.
const TOOLTIP_TITLE: usize = 44;

/// "2 incidents, 3 steps".
pub fn counts(score: &CellScore) -> String {
    format!(
        "{} {}, {} {}",
        score.incidents,
        Metric::Incidents.noun(score.incidents),
        score.steps,
        Metric::Steps.noun(score.steps)
    )
}

/// "steps 2, 5" / "step 1".
pub fn step_list(positions: &[u32]) -> String {
    let list: Vec<String> = positions.iter().map(u32::to_string).collect();
    format!(
        "{} {}",
        if positions.len() == 1 {
            "step"
        } else {
            "steps"
        },
        list.join(", ")
    )
}

/// Which incidents and steps hit a cell, for its tooltip: the newest few
/// by title with their step numbers, then how many more.
pub fn tooltip(score: &CellScore, incidents: &[std::sync::Arc<AggregateIncident>]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut shown = 0;
    let mut i = 0;
    while i < score.hits.len() && shown < TOOLTIP_INCIDENTS {
        let incident = score.hits[i].incident;
        let mut positions = Vec::new();
        while i < score.hits.len() && score.hits[i].incident == incident {
            positions.push(score.hits[i].position);
            i += 1;
        }
        let title = incidents
            .get(incident as usize)
            .map_or_else(|| "?".to_string(), |x| shorten(&x.title, TOOLTIP_TITLE));
        parts.push(format!("{title} ({})", step_list(&positions)));
        shown += 1;
    }
    let more = score.incidents.saturating_sub(shown);
    let mut text = format!("{}: {}", counts(score), parts.join("; "));
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}

/// The highlight of an observed cell: bucket, score badge, level marker and tooltip.
pub fn cell_highlight(
    score: &CellScore,
    scores: &Scores,
    incidents: &[std::sync::Arc<AggregateIncident>],
) -> Highlight {
    let value = score.value(scores.metric);
    let lvl = scores.level(value);
    Highlight {
        level: lvl,
        score: value as f64,
        badge: Some(value.to_string()),
        label: Some(tooltip(score, incidents)),
        markers: vec![Marker {
            kind: marker_kind(lvl),
            label: format!("{}, level {lvl} of {HEAT_LEVELS}", counts(score)),
        }],
    }
}

/// Attaches the scores to the view; cells matching `search` also get a
/// search marker.
pub fn apply(
    view: &mut MatrixView,
    scores: &Scores,
    incidents: &[std::sync::Arc<AggregateIncident>],
    search: Option<&TechniqueSearch>,
) {
    let matches = |key: &CellKey| search.is_some_and(|s| s.matches(&key.technique_id));
    view.apply_highlights(|key| {
        let mut h = scores
            .get(key)
            .filter(|s| s.value(scores.metric) > 0)
            .map(|s| cell_highlight(s, scores, incidents));
        if matches(key) {
            h.get_or_insert_with(Highlight::default)
                .markers
                .push(Marker {
                    kind: MATCH_MARKER,
                    label: "matches the technique search".to_string(),
                });
        }
        h
    });
}

/// A case-insensitive search over technique IDs and names: every word must
/// occur in the ID or in the "Parent: Child" name, current or earlier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechniqueSearch {
    /// Matching technique IDs.
    pub ids: std::collections::HashSet<String>,
    /// The earlier name through which a technique matched, when its current
    /// name and ID do not (`AML.T0056` → "LLM Meta Prompt Extraction").
    pub earlier: std::collections::BTreeMap<String, String>,
}

impl TechniqueSearch {
    /// `names` yields (technique ID, display name).
    pub fn new<'a>(text: &str, names: impl Iterator<Item = (&'a str, String)>) -> Self {
        let words = search_words(text);
        let ids = names
            .filter(|(id, name)| holds_every(&words, id, name))
            .map(|(id, _)| id.to_string())
            .collect();
        TechniqueSearch {
            ids,
            earlier: Default::default(),
        }
    }

    /// As [`TechniqueSearch::new`], and also through `earlier` names
    /// (technique ID, a name it had in an older release).
    pub fn with_earlier<'a>(
        text: &str,
        names: impl Iterator<Item = (&'a str, String)>,
        earlier: &[(String, String)],
    ) -> Self {
        let mut search = Self::new(text, names);
        let words = search_words(text);
        for (id, name) in earlier {
            if !search.ids.contains(id) && holds_every(&words, id, name) {
                search.ids.insert(id.clone());
                search.earlier.insert(id.clone(), name.clone());
            }
        }
        search
    }

    pub fn matches(&self, technique_id: &str) -> bool {
        self.ids.contains(technique_id)
    }
}

fn search_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .take(8)
        .map(str::to_lowercase)
        .collect()
}

fn holds_every(words: &[String], id: &str, name: &str) -> bool {
    let hay = format!("{} {}", id.to_lowercase(), name.to_lowercase());
    !words.is_empty() && words.iter().all(|w| hay.contains(w.as_str()))
}

/// An incident's own matrix: every cell its steps use, with the step numbers
/// as the badge. `steps` yields (tactic, technique, step number).
pub fn apply_incident_steps<'a>(
    view: &mut MatrixView,
    steps: impl Iterator<Item = (&'a str, &'a str, i64)>,
) -> usize {
    let mut by_cell: HashMap<CellKey, Vec<i64>> = HashMap::new();
    for (tactic, technique, n) in steps {
        by_cell
            .entry(CellKey {
                tactic_id: tactic.to_string(),
                technique_id: technique.to_string(),
            })
            .or_default()
            .push(n);
    }
    let mut placed = 0;
    view.apply_highlights(|key| {
        let numbers = by_cell.get(key)?;
        placed += 1;
        let list: Vec<String> = numbers.iter().map(i64::to_string).collect();
        let label = format!(
            "{} {}",
            if numbers.len() == 1 { "step" } else { "steps" },
            list.join(", ")
        );
        Some(Highlight {
            level: INCIDENT_LEVEL,
            score: numbers.len() as f64,
            badge: Some(list.join(", ")),
            label: Some(label.clone()),
            markers: vec![Marker {
                kind: "step",
                label,
            }],
        })
    });
    placed
}

/// The bucket an incident's own matrix draws its used cells in.
pub const INCIDENT_LEVEL: u8 = 3;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::CellAggregate;

    fn hit(incident: u32, position: u32) -> StepHit {
        StepHit { incident, position }
    }

    fn cell(tactic: &str, technique: &str, hits: Vec<StepHit>) -> CellAggregate {
        CellAggregate {
            tactic_id: tactic.into(),
            technique_id: technique.into(),
            hits,
        }
    }

    fn key(t: &str, x: &str) -> CellKey {
        CellKey {
            tactic_id: t.into(),
            technique_id: x.into(),
        }
    }

    fn aggregate() -> MatrixAggregate {
        MatrixAggregate {
            incident_total: 3,
            incidents: ["newest", "middle", "oldest"]
                .iter()
                .map(|t| {
                    std::sync::Arc::new(AggregateIncident {
                        id: format!("inc-{t}"),
                        title: t.to_string(),
                        occurred_at: None,
                    })
                })
                .collect(),
            cells: vec![
                // Parent: incident 0 twice, incident 1 once.
                cell("TA1", "T1", vec![hit(0, 1), hit(0, 3), hit(1, 2)]),
                // Sub under the same tactic: incidents 1 and 2.
                cell("TA1", "T1.000", vec![hit(1, 1), hit(2, 4)]),
                // The same sub under a tactic its parent does not serve.
                cell("TA2", "T1.000", vec![hit(2, 5)]),
            ],
            step_total: 6,
        }
    }

    fn parent(tactic: &str, technique: &str) -> Option<&'static str> {
        (technique == "T1.000" && tactic == "TA1").then_some("T1")
    }

    #[test]
    fn scores_count_distinct_incidents_and_steps() {
        let s = Scores::build(&aggregate(), Metric::Incidents, false, parent);
        let t1 = s.get(&key("TA1", "T1")).expect("T1");
        assert_eq!((t1.incidents, t1.steps), (2, 3));
        let sub = s.get(&key("TA1", "T1.000")).expect("sub");
        assert_eq!((sub.incidents, sub.steps), (2, 2));
        assert_eq!(s.max, 2);
        let steps = Scores::build(&aggregate(), Metric::Steps, false, parent);
        assert_eq!(steps.value(&key("TA1", "T1")), 3);
        assert_eq!(steps.max, 3);
        assert_eq!(steps.value(&key("TA9", "T1")), 0);
    }

    #[test]
    fn rollup_adds_subtechniques_to_their_parent_in_the_same_column() {
        let s = Scores::build(&aggregate(), Metric::Incidents, true, parent);
        let t1 = s.get(&key("TA1", "T1")).expect("T1");
        // Incidents 0, 1 (counted once) and 2; 3 + 2 steps.
        assert_eq!((t1.incidents, t1.steps), (3, 5));
        // The sub keeps its own score; the orphan column is untouched.
        assert_eq!(s.value(&key("TA1", "T1.000")), 2);
        assert_eq!(s.value(&key("TA2", "T1.000")), 1);
        assert!(s.get(&key("TA2", "T1")).is_none());
        assert_eq!(t1.incident_indexes(), [0, 1, 2]);
    }

    #[test]
    fn levels_and_legend_agree_for_every_score() {
        for max in 1..=60usize {
            let legend = legend(max);
            assert!(!legend.is_empty());
            assert_eq!(legend.first().map(|e| e.from), Some(1));
            assert_eq!(legend.last().map(|e| (e.level, e.to)), Some((5, max)));
            for s in 1..=max {
                let l = level(s, max);
                let entry = legend
                    .iter()
                    .find(|e| e.level == l)
                    .unwrap_or_else(|| panic!("max {max}, score {s}: level {l} not in legend"));
                assert!(
                    (entry.from..=entry.to).contains(&s),
                    "max {max}, score {s} in {entry:?}"
                );
            }
            // Ranges are contiguous and ascending.
            for pair in legend.windows(2) {
                assert_eq!(pair[0].to + 1, pair[1].from, "max {max}");
                assert!(pair[0].level < pair[1].level);
            }
        }
        assert_eq!(level(0, 10), 0);
        assert_eq!(level(3, 0), 0);
        assert_eq!(level(1, 10), 1);
        assert_eq!(level(10, 10), 5);
        assert_eq!(level(11, 10), 5);
        let l = legend(10);
        let ranges: Vec<String> = l.iter().map(LegendEntry::range).collect();
        assert_eq!(ranges, ["1–2", "3–4", "5–6", "7–8", "9–10"]);
        let one = legend(1);
        assert_eq!(one.len(), 1);
        assert_eq!((one[0].level, one[0].range()), (5, "1".to_string()));
        assert_eq!(
            legend(2).iter().map(|e| e.level).collect::<Vec<_>>(),
            [3, 5]
        );
        assert!(legend(0).is_empty());
    }

    /// The distribution: a technique seen once looked like one seen
    /// 1,000 times. On the default (log) scale every order of magnitude has
    /// its own level; the linear scale is still there on request.
    #[test]
    fn a_skewed_distribution_gets_five_distinct_levels_by_default() {
        let scores = [1usize, 10, 100, 1_000, 8_000];
        let max = 8_000;
        let log: Vec<u8> = scores
            .iter()
            .map(|&s| Scale::default().level(s, max))
            .collect();
        assert_eq!(log, [1, 2, 3, 4, 5]);
        let linear: Vec<u8> = scores
            .iter()
            .map(|&s| Scale::Linear.level(s, max))
            .collect();
        assert_eq!(linear, [1, 1, 1, 1, 5]);
        let ranges: Vec<String> = Scale::Log
            .legend(max)
            .iter()
            .map(LegendEntry::range)
            .collect();
        assert_eq!(ranges, ["1–5", "6–35", "36–218", "219–1324", "1325–8000"]);
        assert_eq!(Scale::parse("linear"), Some(Scale::Linear));
        assert_eq!(Scale::parse("log"), Some(Scale::Log));
        assert_eq!(Scale::parse("quadratic"), None);
    }

    #[test]
    fn every_scale_agrees_with_its_legend_for_every_score() {
        for scale in Scale::ALL {
            for max in (1..=300usize).chain([999, 1_000, 9_999, 99_999, 100_000]) {
                let legend = scale.legend(max);
                assert_eq!(legend.first().map(|e| e.from), Some(1), "{scale:?} {max}");
                assert_eq!(legend.last().map(|e| (e.level, e.to)), Some((5, max)));
                for pair in legend.windows(2) {
                    assert_eq!(pair[0].to + 1, pair[1].from, "{scale:?} {max}");
                    assert!(pair[0].level < pair[1].level);
                }
                let probe: Vec<usize> = if max <= 300 {
                    (1..=max).collect()
                } else {
                    legend.iter().flat_map(|e| [e.from, e.to]).collect()
                };
                for s in probe {
                    let l = scale.level(s, max);
                    let entry = legend.iter().find(|e| e.level == l).unwrap_or_else(|| {
                        panic!("{scale:?} max {max}, score {s}: level {l} not in legend")
                    });
                    assert!((entry.from..=entry.to).contains(&s), "{scale:?} {max} {s}");
                }
            }
            assert_eq!(scale.level(0, 10), 0);
            assert!(scale.legend(0).is_empty());
        }
        // Exact powers are not lost to rounding: 10^5 - 1 has 10 - 1 as its first bound.
        assert_eq!(Scale::Log.bounds(99_999)[0], 9);
        // A single score is the darkest level on both scales.
        assert_eq!(Scale::Log.level(1, 1), 5);
    }

    #[test]
    fn tooltips_name_newest_incidents_with_step_numbers() {
        let agg = aggregate();
        let s = Scores::build(&agg, Metric::Incidents, true, parent);
        let t1 = s.get(&key("TA1", "T1")).expect("T1");
        assert_eq!(
            tooltip(t1, &agg.incidents),
            "3 incidents, 5 steps: newest (steps 1, 3); middle (steps 1, 2); and 1 more"
        );
        let many = CellScore::of((0..5).map(|i| hit(i, 1)).collect());
        let incidents: Vec<std::sync::Arc<AggregateIncident>> = (0..5)
            .map(|i| {
                std::sync::Arc::new(AggregateIncident {
                    id: format!("i{i}"),
                    title: "x".repeat(60),
                    occurred_at: None,
                })
            })
            .collect();
        let text = tooltip(&many, &incidents);
        assert!(text.ends_with("; and 3 more"), "{text}");
        assert!(
            text.contains(&format!("{}… (step 1)", "x".repeat(43))),
            "{text}"
        );
    }

    #[test]
    fn highlights_carry_badge_bucket_and_a_non_colour_marker() {
        let agg = aggregate();
        let s = Scores::build(&agg, Metric::Steps, false, parent);
        let h = cell_highlight(s.get(&key("TA1", "T1")).expect("T1"), &s, &agg.incidents);
        assert_eq!((h.level, h.badge.as_deref()), (5, Some("3")));
        assert_eq!(h.markers[0].kind, "level-5");
        assert_eq!(pips(2), "●●○○○");
    }

    #[test]
    fn search_matches_every_word_in_id_or_name() {
        let names = vec![
            ("AML.T0015", "Evade AI Model".to_string()),
            ("AML.T0051.000", "LLM Prompt Injection: Direct".to_string()),
            ("AML.T0051", "LLM Prompt Injection".to_string()),
        ];
        let s = TechniqueSearch::new("prompt direct", names.clone().into_iter());
        assert!(s.matches("AML.T0051.000"));
        assert!(!s.matches("AML.T0051"));
        let s = TechniqueSearch::new("t0015", names.clone().into_iter());
        assert_eq!(s.ids.len(), 1);
        let s = TechniqueSearch::new("   ", names.into_iter());
        assert!(s.ids.is_empty());
    }

    #[test]
    fn search_finds_techniques_by_earlier_names_and_says_which() {
        let names = vec![
            ("AML.T0056", "Extract LLM System Prompt".to_string()),
            ("AML.T0051", "LLM Prompt Injection".to_string()),
        ];
        let earlier = vec![
            (
                "AML.T0056".to_string(),
                "LLM Meta Prompt Extraction".to_string(),
            ),
            ("AML.T0051".to_string(), "LLM Prompt Injection".to_string()),
        ];
        let s = TechniqueSearch::with_earlier(
            "meta prompt extraction",
            names.clone().into_iter(),
            &earlier,
        );
        assert!(s.matches("AML.T0056"));
        assert!(!s.matches("AML.T0051"));
        assert_eq!(s.earlier["AML.T0056"], "LLM Meta Prompt Extraction");
        // A current-name hit is not reported as an earlier-name one.
        let s = TechniqueSearch::with_earlier("prompt", names.into_iter(), &earlier);
        assert!(s.matches("AML.T0056") && s.matches("AML.T0051"));
        assert!(s.earlier.is_empty());
    }
}
