//! Demo data: realistic synthetic incidents for new users and benchmarks.
//!
//! Each incident walks the matrix the way attacks do: it enters at an early
//! tactic (reconnaissance, resource development, initial access or model
//! access), moves mostly left to right (now and then back a column), and ends
//! at a late one. Techniques are drawn per tactic with a skewed popularity,
//! so some cells run hot and others stay cold, as in real data. Dates spread
//! over the last two years; every kind, severity and status occurs. Every
//! incident is tagged `demo`, titled "[Demo] …" and reported by
//! "atlasview demo seed", so it cannot be mistaken for a real record.
//! Deterministic for a given seed and release.

use chrono::{Duration, Utc};

use super::ServiceError;
use crate::atlas::ActiveAtlas;
use crate::domain::{
    FuzzyTime, IncidentDraft, Kind, Outcome, Precision, Severity, Status, StepDraft, StepSource,
    ValidationError, limits,
};
use crate::store::Store;

/// Tag on every demo incident.
pub const DEMO_TAG: &str = "demo";
/// Reporter of every demo incident.
pub const DEMO_REPORTER: &str = "atlasview demo seed";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    pub incidents: usize,
    /// Steps in all, spread over the incidents.
    pub steps: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub incidents: usize,
    pub steps: usize,
}

/// SplitMix64: small, fast, good enough for synthetic data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 for n = 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index drawn by weight.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        if total == 0 {
            return self.below(weights.len());
        }
        let mut x = self.next_u64() % total;
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }
}

const SECTORS: &[(&str, &[&str])] = &[
    (
        "finance",
        &[
            "fraud-detection model",
            "loan-scoring model",
            "customer-support chatbot",
            "anti-money-laundering classifier",
        ],
    ),
    (
        "healthcare",
        &[
            "medical-imaging classifier",
            "clinical-notes summariser",
            "triage chatbot",
        ],
    ),
    (
        "security",
        &[
            "malware classifier",
            "network-intrusion detector",
            "phishing filter",
            "SOC copilot",
        ],
    ),
    (
        "retail",
        &[
            "recommendation engine",
            "product-search assistant",
            "review-moderation model",
        ],
    ),
    (
        "software",
        &[
            "code-completion assistant",
            "LLM agent with repository access",
            "documentation Q&A bot",
        ],
    ),
    (
        "public-sector",
        &[
            "face-recognition gate",
            "benefits-eligibility model",
            "translation service",
        ],
    ),
    (
        "media",
        &[
            "content-moderation model",
            "speech-to-text API",
            "deepfake detector",
        ],
    ),
];

const ORGS: &[&str] = &[
    "Northwind Bank",
    "Contoso Health",
    "Fabrikam Retail",
    "Tailspin Software",
    "Woodgrove Insurance",
    "Adatum City Council",
    "Litware Media",
    "Proseware Security",
];

const ACTORS: &[&str] = &[
    "unknown actor",
    "financially motivated group",
    "state-aligned group",
    "insider",
    "independent researcher",
    "hacktivists",
];

const OPENERS: &[&str] = &[
    "The adversary",
    "The attacker",
    "An unidentified party",
    "The actor",
];

/// The columns an attack enters at (by short tactic names) and ends at.
fn column_of(atlas: &ActiveAtlas, names: &[&str]) -> Vec<usize> {
    atlas
        .tactics()
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            let short = crate::atlas::tactic_names::tactic_short_name(&t.name);
            names.iter().any(|n| short.ends_with(n))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Per column: techniques serving its tactic, with skewed weights.
struct Palette {
    columns: Vec<Vec<(String, u32)>>,
    entries: Vec<usize>,
    exits: Vec<usize>,
}

impl Palette {
    fn new(atlas: &ActiveAtlas, rng: &mut Rng) -> Result<Palette, ValidationError> {
        let mut columns = Vec::new();
        for tactic in atlas.tactics() {
            let mut list: Vec<(String, u32)> = atlas
                .release
                .techniques
                .iter()
                .filter(|t| t.tactics.iter().any(|x| x == &tactic.id))
                .map(|t| (t.id.clone(), 0))
                .collect();
            // Shuffle, then weight by rank: a few hot techniques, a long cold tail.
            for i in (1..list.len()).rev() {
                let j = rng.below(i + 1);
                list.swap(i, j);
            }
            for (rank, entry) in list.iter_mut().enumerate() {
                entry.1 = (1200 / (rank as u32 + 1)).max(8);
            }
            columns.push(list);
        }
        if columns.iter().all(Vec::is_empty) {
            return Err(ValidationError::new(
                "release",
                "the active ATLAS release has no techniques",
            ));
        }
        let mut entries = column_of(
            atlas,
            &[
                "reconnaissance",
                "resource-development",
                "initial-access",
                "model-access",
            ],
        );
        let mut exits = column_of(
            atlas,
            &["impact", "exfiltration", "defense-evasion", "collection"],
        );
        entries.retain(|&c| !columns[c].is_empty());
        exits.retain(|&c| !columns[c].is_empty());
        let non_empty: Vec<usize> = (0..columns.len())
            .filter(|&c| !columns[c].is_empty())
            .collect();
        if entries.is_empty() {
            entries = non_empty.iter().copied().take(1).collect();
        }
        if exits.is_empty() {
            exits = non_empty.iter().copied().rev().take(1).collect();
        }
        Ok(Palette {
            columns,
            entries,
            exits,
        })
    }

    /// `k` columns from an entry to an exit, mostly in matrix order.
    fn path(&self, rng: &mut Rng, k: usize) -> Vec<usize> {
        let start = *rng.pick(&self.entries);
        let end = (*rng.pick(&self.exits)).max(start);
        let usable: Vec<usize> = (start..=end)
            .filter(|&c| !self.columns[c].is_empty())
            .collect();
        let mut path: Vec<usize> = (0..k).map(|_| *rng.pick(&usable)).collect();
        path.sort_unstable();
        if k > 0 {
            path[0] = start;
            path[k - 1] = *usable.last().unwrap_or(&start);
        }
        // Now and then an attack goes back a step (another foothold, a retry).
        for i in 1..path.len() {
            if rng.chance(8) {
                path.swap(i - 1, i);
            }
        }
        path
    }

    fn technique(&self, rng: &mut Rng, column: usize) -> &str {
        let list = &self.columns[column];
        let weights: Vec<u32> = list.iter().map(|e| e.1).collect();
        &list[rng.weighted(&weights)].0
    }
}

fn pick_weighted<T: Copy>(rng: &mut Rng, items: &[(T, u32)]) -> T {
    let weights: Vec<u32> = items.iter().map(|i| i.1).collect();
    items[rng.weighted(&weights)].0
}

/// How many steps each incident gets: `total` over `n`, varied, each at
/// least one while there are enough, none over the per-incident limit.
pub fn spread(rng: &mut Rng, n: usize, total: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let base = total / n;
    let mut counts = vec![base; n];
    for c in counts.iter_mut().take(total % n) {
        *c += 1;
    }
    if base >= 2 {
        for _ in 0..n {
            let (a, b) = (rng.below(n), rng.below(n));
            let t = rng.range(0, base / 2);
            if a != b && counts[a] > t && counts[a] - t >= 1 && counts[b] + t <= limits::STEPS {
                counts[a] -= t;
                counts[b] += t;
            }
        }
    }
    counts
}

/// One synthetic incident with `k` steps, occurring within two years of `now`.
fn incident(
    atlas: &ActiveAtlas,
    palette: &Palette,
    rng: &mut Rng,
    k: usize,
    now: chrono::DateTime<Utc>,
) -> (IncidentDraft, Vec<StepDraft>) {
    let (sector, targets) = *rng.pick(SECTORS);
    let target = format!("{} at {}", rng.pick(targets), rng.pick(ORGS));
    let kind = pick_weighted(
        rng,
        &[
            (Kind::Incident, 60),
            (Kind::Exercise, 25),
            (Kind::CaseStudy, 15),
        ],
    );
    let severity = pick_weighted(
        rng,
        &[
            (Severity::Low, 25),
            (Severity::Medium, 35),
            (Severity::High, 28),
            (Severity::Critical, 12),
        ],
    );
    let status = pick_weighted(
        rng,
        &[
            (Status::Open, 15),
            (Status::Contained, 15),
            (Status::Resolved, 30),
            (Status::Closed, 40),
        ],
    );
    let days_ago = rng.range(3, 730) as i64;
    let occurred_at = (now - Duration::days(days_ago))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let occurred = FuzzyTime {
        at: occurred_at,
        precision: Precision::Day,
    };
    let detected_at = (occurred_at + Duration::hours(rng.range(1, 24 * 20) as i64)).min(now);
    let detected = FuzzyTime {
        at: detected_at,
        precision: Precision::Time,
    };
    let resolved = matches!(status, Status::Resolved | Status::Closed).then(|| FuzzyTime {
        at: (detected_at + Duration::hours(rng.range(2, 24 * 45) as i64)).min(now),
        precision: Precision::Time,
    });
    let actor = if kind == Kind::Exercise {
        "internal red team".to_string()
    } else {
        rng.pick(ACTORS).to_string()
    };
    let columns = palette.path(rng, k);
    let mut steps = Vec::with_capacity(k);
    for (i, &col) in columns.iter().enumerate() {
        let technique = palette.technique(rng, col).to_string();
        let tactic = &atlas.tactics()[col];
        let name = atlas
            .technique(&technique)
            .map_or_else(|| technique.clone(), |t| atlas.display_name(t));
        let outcome = pick_weighted(
            rng,
            &[
                (Outcome::Missed, 40),
                (Outcome::Detected, 30),
                (Outcome::Prevented, 10),
                (Outcome::Unknown, 20),
            ],
        );
        steps.push(StepDraft {
            tactic_id: tactic.id.clone(),
            technique_id: technique,
            observed: Some(FuzzyTime {
                at: (occurred_at + Duration::minutes((i as i64) * rng.range(5, 600) as i64))
                    .min(now),
                precision: Precision::Time,
            }),
            description: format!(
                "{} used {name} ({}) against the {}.",
                rng.pick(OPENERS),
                tactic.name,
                target
            ),
            evidence: String::new(),
            confidence: Some(rng.range(40, 100) as i64),
            outcome,
            source: if rng.chance(30) {
                StepSource::Alert
            } else {
                StepSource::Manual
            },
        });
    }
    let headline = steps
        .last()
        .and_then(|s| atlas.technique(&s.technique_id))
        .map_or_else(|| "AI attack".to_string(), |t| atlas.display_name(t));
    let mut tags = vec![DEMO_TAG.to_string(), sector.to_string()];
    if rng.chance(30) {
        tags.push("llm".to_string());
    }
    let draft = IncidentDraft {
        title: format!("[Demo] {headline} against the {target}"),
        summary: format!(
            "Synthetic demo incident generated by `atlasview demo seed`: a {} {} against the {target}, {} step{}. Not a real event.",
            severity.as_str(),
            kind.label().to_lowercase(),
            k,
            if k == 1 { "" } else { "s" }
        ),
        kind,
        severity,
        status,
        occurred: Some(occurred),
        detected: Some(detected),
        resolved,
        target,
        actor,
        reporter: DEMO_REPORTER.to_string(),
        tags,
        references: Vec::new(),
        atlas_release: None,
    };
    (draft, steps)
}

/// Adds `options.incidents` demo incidents holding `options.steps` steps.
/// `progress` is told how many incidents are stored so far.
pub async fn seed(
    store: &Store,
    active: &ActiveAtlas,
    options: DemoOptions,
    mut progress: impl FnMut(usize),
) -> Result<DemoSummary, ServiceError> {
    if options.steps > options.incidents.saturating_mul(limits::STEPS) {
        return Err(ValidationError::new(
            "steps",
            format!("at most {} steps per incident", limits::STEPS),
        )
        .into());
    }
    let mut rng = Rng::new(options.seed);
    let palette = Palette::new(active, &mut rng)?;
    let counts = spread(&mut rng, options.incidents, options.steps);
    let now = Utc::now();
    let mut summary = DemoSummary::default();
    for (i, &k) in counts.iter().enumerate() {
        let (draft, steps) = incident(active, &palette, &mut rng, k, now);
        store
            .create_incident(&draft, active.version(), None, &steps)
            .await?;
        summary.incidents += 1;
        summary.steps += steps.len();
        if (i + 1) % 1000 == 0 {
            progress(i + 1);
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_keeps_the_total_and_varies() {
        let mut rng = Rng::new(7);
        let counts = spread(&mut rng, 1000, 10_000);
        assert_eq!(counts.iter().sum::<usize>(), 10_000);
        assert!(counts.iter().all(|&c| c >= 1));
        let distinct: std::collections::HashSet<_> = counts.iter().collect();
        assert!(distinct.len() > 3, "{distinct:?}");
        assert_eq!(spread(&mut rng, 3, 2), [1, 1, 0]);
        assert!(spread(&mut rng, 0, 5).is_empty());
    }

    #[test]
    fn rng_is_deterministic_and_weighted() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(1);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(1);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        let mut r = Rng::new(3);
        let mut hits = [0; 2];
        for _ in 0..1000 {
            hits[r.weighted(&[9, 1])] += 1;
        }
        assert!(hits[0] > 800 && hits[1] > 40, "{hits:?}");
    }
}
