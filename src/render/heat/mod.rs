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
mod tests;
