//! Reading incident listings: filters, sort, page (OFFSET or keyset), and
//! the SQL every filtered read shares ([`push_filters`]).

use crate::store::backend::{BackendKind, Sql, on_pool};
use std::collections::HashMap;

use sqlx::FromRow;

use super::rows::{INCIDENT_COLUMNS, IncidentRow, STEP_COLUMNS, StepRow};
use crate::domain::time::{PRECISIONS, lower_bound};
use crate::domain::{DateRule, FuzzyTime, Incident, Kind, Observation, Severity, Status};
use crate::store::{Store, StoreResult, search};

/// Filters, sort and page of an incident listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentQuery {
    pub ids: Vec<String>,
    pub statuses: Vec<Status>,
    pub severities: Vec<Severity>,
    pub kinds: Vec<Kind>,
    pub tags: Vec<String>,
    /// Substring of the target, case-insensitive.
    pub target: Option<String>,
    /// Each technique includes its sub-techniques unless `techniques_exact`.
    pub techniques: Vec<String>,
    /// Only the techniques named, not their sub-techniques.
    pub techniques_exact: bool,
    /// Whether an incident must use every technique named, or one of them.
    pub techniques_match: TechniqueMatch,
    pub tactics: Vec<String>,
    pub occurred_from: Option<FuzzyTime>,
    /// Inclusive: `to=2024-06` includes all of June.
    pub occurred_to: Option<FuzzyTime>,
    pub detected_from: Option<FuzzyTime>,
    pub detected_to: Option<FuzzyTime>,
    pub resolved_from: Option<FuzzyTime>,
    pub resolved_to: Option<FuzzyTime>,
    /// How the time ranges choose incidents dated only to a year, a month
    /// or a day: by overlap (lists) or by the middle of the period (trends).
    pub dates: DateRule,
    /// Words searched (full text, see `store::search`) in the ID, title,
    /// summary, reporter, actor, target, tags, references and steps.
    pub text: Option<String>,
    /// Only the incidents of one user (owner or participant), or without an owner.
    pub assigned: Option<Assigned>,
    pub sort: Sort,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
    /// Keyset pagination: the rows after this one (of the same sort), instead
    /// of skipping `page - 1` pages.
    pub after: Option<Cursor>,
}

/// Whose incidents a listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assigned {
    /// Owned by this user or with them taking part.
    To(String),
    /// Without an owner.
    Nobody,
}

/// How several technique filters combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TechniqueMatch {
    /// Incidents using at least one of them.
    #[default]
    Any,
    /// Incidents using every one of them.
    All,
}

impl TechniqueMatch {
    pub fn as_str(self) -> &'static str {
        match self {
            TechniqueMatch::Any => "any",
            TechniqueMatch::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<TechniqueMatch> {
        match s {
            "any" => Some(TechniqueMatch::Any),
            "all" => Some(TechniqueMatch::All),
            _ => None,
        }
    }
}

/// Where a page of a keyset listing starts: the sort key and ID of the row
/// before it. Written into URLs as an opaque `after=` token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub sort: Sort,
    /// The sort key of that row (`None`: undated).
    pub key: Option<String>,
    pub id: String,
}

impl Cursor {
    const SEP: char = '\u{1f}';

    pub fn encode(&self) -> String {
        use base64::Engine;
        let key = match &self.key {
            Some(k) => format!("={k}"),
            None => "-".to_string(),
        };
        let raw = format!(
            "{}{}{key}{}{}",
            self.sort.as_str(),
            Self::SEP,
            Self::SEP,
            self.id
        );
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    /// `None` for anything [`Cursor::encode`] did not make.
    pub fn decode(token: &str) -> Option<Cursor> {
        use base64::Engine;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let mut parts = raw.splitn(3, Self::SEP);
        let sort = Sort::parse(parts.next()?)?;
        let key = parts.next()?;
        let id = parts.next()?.to_string();
        let key = match key {
            "-" => None,
            k => Some(k.strip_prefix('=')?.to_string()),
        };
        (sort.keyset() && !id.is_empty()).then_some(Cursor { sort, key, id })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest occurrence first (undated last).
    #[default]
    OccurredDesc,
    OccurredAsc,
    UpdatedDesc,
    SeverityDesc,
    TitleAsc,
    /// Best full-text match first (newest first without search words).
    Relevance,
}

impl Sort {
    pub const ALL: &'static [Sort] = &[
        Sort::OccurredDesc,
        Sort::OccurredAsc,
        Sort::UpdatedDesc,
        Sort::SeverityDesc,
        Sort::TitleAsc,
        Sort::Relevance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::OccurredDesc => "-occurred",
            Sort::OccurredAsc => "occurred",
            Sort::UpdatedDesc => "-updated",
            Sort::SeverityDesc => "-severity",
            Sort::TitleAsc => "title",
            Sort::Relevance => "relevance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::OccurredDesc => "Newest first",
            Sort::OccurredAsc => "Oldest first",
            Sort::UpdatedDesc => "Recently updated",
            Sort::SeverityDesc => "Most severe",
            Sort::TitleAsc => "Title",
            Sort::Relevance => "Best match",
        }
    }

    pub fn parse(s: &str) -> Option<Sort> {
        Sort::ALL.iter().copied().find(|x| x.as_str() == s)
    }

    /// Always ends with the ID, so pages are stable when keys tie.
    fn order_by(self) -> &'static str {
        match self {
            Sort::OccurredDesc => " ORDER BY (i.occurred_at IS NULL), i.occurred_at DESC, i.id",
            Sort::OccurredAsc => " ORDER BY (i.occurred_at IS NULL), i.occurred_at ASC, i.id",
            Sort::UpdatedDesc => " ORDER BY i.updated_at DESC, i.id",
            Sort::SeverityDesc => {
                " ORDER BY CASE i.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC, (i.occurred_at IS NULL), i.occurred_at DESC, i.id"
            }
            Sort::TitleAsc => " ORDER BY LOWER(i.title), i.id",
            Sort::Relevance => " ORDER BY (i.occurred_at IS NULL), i.occurred_at DESC, i.id",
        }
    }

    /// Whether pages of this order can start after a [`Cursor`].
    pub fn keyset(self) -> bool {
        !matches!(self, Sort::SeverityDesc | Sort::Relevance)
    }

    /// The sort key a [`Cursor`] holds (as SQL over `i`).
    fn key(self) -> &'static str {
        match self {
            Sort::UpdatedDesc => "i.updated_at",
            Sort::TitleAsc => "LOWER(i.title)",
            _ => "i.occurred_at",
        }
    }
}

/// Where a batch of [`Store::incident_batch`] starts: after a row (orders
/// with a keyset) or at an offset (the others). The default is the start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchStart {
    pub after: Option<Cursor>,
    pub offset: i64,
}

/// One row of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentSummary {
    pub incident: Incident,
    pub step_count: i64,
    /// Its owner and participants.
    pub members: crate::domain::teamwork::Members,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    /// Where the next page starts (keyset), when there may be one.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u32 {
        let per = i64::from(self.per_page.max(1));
        ((self.total + per - 1) / per).max(1) as u32
    }
}

impl Store {
    /// A filtered, sorted page of incidents: the page's IDs first (over the
    /// sort's index, after the cursor when given), then their rows.
    pub async fn list_incidents(&self, q: &IncidentQuery) -> StoreResult<Page<IncidentSummary>> {
        let keys = self.incident_page(q).await?;
        self.page_of(keys).await
    }

    /// Which incidents one page of `q` shows, in order, and how many `q`
    /// selects: the part of [`Store::list_incidents`] a filter costs, a
    /// function of the data alone (members and tasks bump the data
    /// version too), so it may be kept per data version.
    pub async fn incident_page(&self, q: &IncidentQuery) -> StoreResult<Page<String>> {
        let per_page = q.per_page.clamp(1, 200);
        let page = q.page.max(1);
        let cursor = q
            .after
            .as_ref()
            .filter(|c| c.sort == q.sort && q.sort.keyset());
        let offset = match cursor {
            Some(_) => 0,
            None => i64::from(page - 1) * i64::from(per_page),
        };
        let ranked = q.sort == Sort::Relevance && q.text.as_deref().is_some_and(search::ranks);
        let (keys, total) = if ranked {
            // Counted by the page's own statement (a window over every
            // match): the matches are found and joined once, not twice.
            let (keys, total) = self.page_keys(q, cursor, offset, per_page, true).await?;
            let total = match total {
                Some(total) => total,
                None if offset == 0 => 0,
                // Past the last page: no row to carry the count.
                None => self.count_matching(q).await?,
            };
            (keys, total)
        } else {
            let total = self.count_matching(q).await?;
            (
                self.page_keys(q, cursor, offset, per_page, false).await?.0,
                total,
            )
        };
        let next = keys
            .last()
            .filter(|_| q.sort.keyset() && keys.len() == per_page as usize)
            .map(|(id, key)| Cursor {
                sort: q.sort,
                key: key.clone(),
                id: id.clone(),
            });
        Ok(Page {
            items: keys.into_iter().map(|(id, _)| id).collect(),
            total,
            page,
            per_page,
            next,
        })
    }

    /// How many incidents `q` selects (its sort and page aside).
    async fn count_matching(&self, q: &IncidentQuery) -> StoreResult<i64> {
        let mut rest = None;
        let mut count: Sql = Sql::new("SELECT COUNT(*) FROM ");
        push_selected(&mut count, q, &mut rest, self.backend());
        let (total,): (i64,) = on_pool!(&self.pool, |db| count.query_as()?.fetch_one(db).await)?;
        Ok(total)
    }

    /// The listing rows of a page of IDs ([`Store::incident_page`]).
    pub async fn page_of(&self, ids: Page<String>) -> StoreResult<Page<IncidentSummary>> {
        let items = self.summaries(&ids.items).await?;
        Ok(Page {
            items,
            total: ids.total,
            page: ids.page,
            per_page: ids.per_page,
            next: ids.next,
        })
    }

    /// The IDs (with their sort keys) of one page: after `cursor` when
    /// given, else from `offset`, at most `limit`.
    async fn page_keys(
        &self,
        q: &IncidentQuery,
        cursor: Option<&Cursor>,
        offset: i64,
        limit: u32,
        with_total: bool,
    ) -> StoreResult<(Vec<(String, Option<String>)>, Option<i64>)> {
        let mut rest = None;
        let total = if with_total { ", COUNT(*) OVER ()" } else { "" };
        let mut ids: Sql = Sql::new(format!("SELECT i.id, {}{total} FROM ", q.sort.key()));
        let ranked = push_selected(&mut ids, q, &mut rest, self.backend());
        if let Some(c) = cursor {
            push_after(&mut ids, c);
        }
        if ranked {
            ids.push(" ORDER BY r.score,");
            ids.push(&q.sort.order_by()[" ORDER BY".len()..]);
        } else {
            ids.push(q.sort.order_by());
        }
        ids.push(" LIMIT ").push_bind(i64::from(limit));
        if cursor.is_none() {
            ids.push(" OFFSET ").push_bind(offset);
        }
        if !with_total {
            let keys = on_pool!(&self.pool, |db| ids.query_as()?.fetch_all(db).await)?;
            return Ok((keys, None));
        }
        let rows: Vec<(String, Option<String>, i64)> =
            on_pool!(&self.pool, |db| ids.query_as()?.fetch_all(db).await)?;
        let total = rows.first().map(|r| r.2);
        Ok((
            rows.into_iter().map(|(id, key, _)| (id, key)).collect(),
            total,
        ))
    }

    /// One batch of every incident `q` selects, in its order, for exports:
    /// `q`'s own page, page size and `after` are ignored. Orders with a
    /// keyset continue after the batch's last row (a write meanwhile
    /// neither repeats nor skips a row); the others by offset. Returns the
    /// rows and where the next batch starts (`None`: this was the last).
    pub async fn incident_batch(
        &self,
        q: &IncidentQuery,
        from: &BatchStart,
        size: u32,
    ) -> StoreResult<(Vec<IncidentSummary>, Option<BatchStart>)> {
        let size = size.max(1);
        let (keys, _) = self
            .page_keys(q, from.after.as_ref(), from.offset, size, false)
            .await?;
        let next = (keys.len() == size as usize).then(|| BatchStart {
            after: keys
                .last()
                .filter(|_| q.sort.keyset())
                .map(|(id, key)| Cursor {
                    sort: q.sort,
                    key: key.clone(),
                    id: id.clone(),
                }),
            offset: from.offset + i64::from(size),
        });
        let order: Vec<String> = keys.into_iter().map(|(id, _)| id).collect();
        Ok((self.summaries(&order).await?, next))
    }

    /// The steps of `ids`, grouped by incident, each list in story order.
    pub async fn steps_of_incidents(
        &self,
        ids: &[String],
    ) -> StoreResult<HashMap<String, Vec<Observation>>> {
        let mut out: HashMap<String, Vec<Observation>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut select: Sql = Sql::new(format!(
            "SELECT {STEP_COLUMNS} FROM observations WHERE incident_id IN ("
        ));
        let mut sep = select.separated(", ");
        for id in ids {
            sep.push_bind(id.as_str());
        }
        select.push(") ORDER BY incident_id, position, id");
        let rows: Vec<StepRow> = on_pool!(&self.pool, |db| select.query_as()?.fetch_all(db).await)?;
        for row in rows {
            let step = row.into_observation()?;
            out.entry(step.incident_id.clone()).or_default().push(step);
        }
        Ok(out)
    }

    /// The listing rows of `ids`, in that order.
    async fn summaries(&self, ids: &[String]) -> StoreResult<Vec<IncidentSummary>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut select: Sql = Sql::new(format!(
            "SELECT {INCIDENT_COLUMNS}, (SELECT COUNT(*) FROM observations o WHERE o.incident_id = i.id) AS step_count
             FROM incidents i WHERE i.id IN ("
        ));
        let mut sep = select.separated(", ");
        for id in ids {
            sep.push_bind(id.as_str());
        }
        select.push(")");
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            incident: IncidentRow,
            step_count: i64,
        }
        let rows: Vec<Row> = on_pool!(&self.pool, |db| select.query_as()?.fetch_all(db).await)?;
        let mut tags = self.tags_of(ids).await?;
        let mut references = self.references_of(ids).await?;
        let mut members = self.members_of(ids).await?;
        let mut by_id: HashMap<String, Row> = rows
            .into_iter()
            .map(|r| (r.incident.id.clone(), r))
            .collect();
        let mut items = Vec::with_capacity(ids.len());
        // An incident deleted between the two reads is left out.
        for id in ids {
            let Some(row) = by_id.remove(id) else {
                continue;
            };
            let t = tags.remove(id).unwrap_or_default();
            let r = references.remove(id).unwrap_or_default();
            items.push(IncidentSummary {
                incident: row.incident.into_incident(t, r)?,
                step_count: row.step_count,
                members: members.remove(id).unwrap_or_default(),
            });
        }
        Ok(items)
    }

    /// Every tag in use, for filter menus.
    pub async fn all_tags(&self) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT DISTINCT tag FROM incident_tags ORDER BY tag"
        )
        .fetch_all(db)
        .await)?;
        Ok(rows.into_iter().map(|(t,)| t).collect())
    }

    /// Number of incidents and steps stored (for tests and the CLI).
    pub async fn incident_counts(&self) -> StoreResult<(i64, i64)> {
        let (incidents,): (i64,) = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT COUNT(*) FROM incidents"
        )
        .fetch_one(db)
        .await)?;
        let (steps,): (i64,) = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT COUNT(*) FROM observations"
        )
        .fetch_one(db)
        .await)?;
        Ok((incidents, steps))
    }
}

/// ` AND …`: the rows after `c` in its sort order (every order ends with the ID).
fn push_after<'a>(qb: &mut Sql<'a>, c: &'a Cursor) {
    let key = c.sort.key();
    match (c.sort, &c.key) {
        (Sort::OccurredDesc | Sort::OccurredAsc, None) => {
            qb.push(" AND i.occurred_at IS NULL AND i.id > ")
                .push_bind(c.id.as_str());
        }
        (sort, Some(k)) => {
            let op = if matches!(sort, Sort::OccurredDesc | Sort::UpdatedDesc) {
                "<"
            } else {
                ">"
            };
            qb.push(" AND (");
            if matches!(sort, Sort::OccurredDesc | Sort::OccurredAsc) {
                qb.push("i.occurred_at IS NULL OR ");
            }
            qb.push(format!("{key} {op} "))
                .push_bind(k.as_str())
                .push(format!(" OR ({key} = "))
                .push_bind(k.as_str())
                .push(" AND i.id > ")
                .push_bind(c.id.as_str())
                .push("))");
        }
        (_, None) => {
            qb.push(" AND i.id > ").push_bind(c.id.as_str());
        }
    }
}

/// ` AND …`: the technique filter. A technique stands for itself and its
/// sub-techniques (`AML.T0051` and `AML.T0051.001`: the IDs from
/// `AML.T0051` up to, not including, `AML.T0051/`, an index range) unless
/// `exact`; several combine as any-of (one EXISTS) or all-of (one each).
fn push_techniques<'a>(qb: &mut Sql<'a>, q: &'a IncidentQuery) {
    let groups: Vec<&'a [String]> = match q.techniques_match {
        TechniqueMatch::Any => vec![&q.techniques[..]],
        TechniqueMatch::All => q.techniques.chunks(1).collect(),
    };
    for group in groups {
        qb.push(" AND EXISTS (SELECT 1 FROM observations o WHERE o.incident_id = i.id AND (");
        for (n, t) in group.iter().enumerate() {
            if n > 0 {
                qb.push(" OR ");
            }
            if q.techniques_exact {
                qb.push("o.technique_id = ").push_bind(t.as_str());
            } else {
                qb.push("(o.technique_id >= ")
                    .push_bind(t.as_str())
                    .push(" AND o.technique_id < ")
                    .push_bind(format!("{t}/"))
                    .push(")");
            }
        }
        qb.push("))");
    }
}

fn push_in<'a, T: AsRef<str>>(qb: &mut Sql<'a>, column: &str, values: &'a [T]) {
    if values.is_empty() {
        return;
    }
    qb.push(format!(" AND {column} IN ("));
    let mut sep = qb.separated(", ");
    for v in values {
        sep.push_bind(v.as_ref());
    }
    qb.push(")");
}

/// `… WHERE …`: the incidents `q` selects, after the caller's `FROM `.
/// Ranked by relevance with index words, the text's matches drive the query
/// (`r.score` ranks them; probing each incident against the matches took
/// 120 ms at 100,000 incidents for a common word) and only the words too
/// short for the index are left to filter by, in `rest`. Returns whether
/// the matches are ranked.
fn push_selected<'a>(
    qb: &mut Sql<'a>,
    q: &'a IncidentQuery,
    rest: &'a mut Option<IncidentQuery>,
    backend: BackendKind,
) -> bool {
    let text = q.text.as_deref().filter(|_| q.sort == Sort::Relevance);
    if text.is_some_and(|t| search::push_ranked_matches(qb, t, backend)) {
        qb.push(" WHERE i.id = r.incident_id");
        let rest = rest.insert(IncidentQuery {
            text: text.and_then(search::short_words),
            ..q.clone()
        });
        push_filters(qb, rest, backend);
        true
    } else {
        qb.push("incidents i WHERE 1 = 1");
        push_filters(qb, q, backend);
        false
    }
}

pub(in crate::store) fn push_filters<'a>(
    qb: &mut Sql<'a>,
    q: &'a IncidentQuery,
    backend: BackendKind,
) {
    push_in(qb, "i.id", &q.ids);
    let statuses: Vec<&'static str> = q.statuses.iter().map(|s| s.as_str()).collect();
    let severities: Vec<&'static str> = q.severities.iter().map(|s| s.as_str()).collect();
    let kinds: Vec<&'static str> = q.kinds.iter().map(|s| s.as_str()).collect();
    for (column, values) in [
        ("i.status", statuses),
        ("i.severity", severities),
        ("i.kind", kinds),
    ] {
        if values.is_empty() {
            continue;
        }
        qb.push(format!(" AND {column} IN ("));
        let mut sep = qb.separated(", ");
        for v in values {
            sep.push_bind(v);
        }
        qb.push(")");
    }
    if !q.tags.is_empty() {
        qb.push(" AND EXISTS (SELECT 1 FROM incident_tags t WHERE t.incident_id = i.id");
        push_in(qb, "t.tag", &q.tags);
        qb.push(")");
    }
    if !q.techniques.is_empty() {
        push_techniques(qb, q);
    }
    if !q.tactics.is_empty() {
        qb.push(" AND EXISTS (SELECT 1 FROM observations o WHERE o.incident_id = i.id");
        push_in(qb, "o.tactic_id", &q.tactics);
        qb.push(")");
    }
    if let Some(target) = &q.target {
        qb.push(" AND LOWER(i.target) LIKE ")
            .push_bind(search::like_pattern(target))
            .push(" ESCAPE '\\'");
    }
    for (column, from, to) in [
        ("occurred", &q.occurred_from, &q.occurred_to),
        ("detected", &q.detected_from, &q.detected_to),
        ("resolved", &q.resolved_from, &q.resolved_to),
    ] {
        if let Some(from) = from {
            push_time_bound(qb, column, ">=", q.dates, from.at);
        }
        if let Some(to) = to {
            push_time_bound(qb, column, "<", q.dates, to.end());
        }
    }
    if let Some(text) = &q.text {
        search::push_text_filter(qb, text, backend);
    }
    match &q.assigned {
        Some(Assigned::To(user)) => {
            qb.push(" AND EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = i.id AND m.username = ")
                .push_bind(user)
                .push(")");
        }
        Some(Assigned::Nobody) => {
            qb.push(" AND NOT EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = i.id AND m.is_owner)");
        }
        None => {}
    }
}

/// ` AND i.{column}_at {op} CASE i.{column}_precision WHEN 'year' THEN … END`:
/// the stored start of a period compared with the first start `rule` lets
/// in at `bound`, for each precision (see [`lower_bound`]). A period
/// overlaps `[from, to)` when it starts before `to` and at or after the
/// start of the period holding `from`; its middle is in the range when it
/// starts between the two middle bounds. Plain text comparison and `CASE`:
/// SQLite and PostgreSQL alike; an unknown precision counts as an instant.
fn push_time_bound(
    qb: &mut Sql<'_>,
    column: &str,
    op: &str,
    rule: DateRule,
    bound: chrono::DateTime<chrono::Utc>,
) {
    let text =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // An overlap's upper bound is the same for every precision.
    if op == "<" && rule == DateRule::Overlap {
        qb.push(format!(" AND i.{column}_at < "))
            .push_bind(text(bound));
        return;
    }
    // The widest of the bounds first, which the column's index can answer
    // (the `CASE` alone makes SQLite read every incident); the `CASE`
    // then decides for each precision within it.
    let bounds = PRECISIONS.iter().map(|&p| lower_bound(rule, p, bound));
    let widest = if op == "<" {
        bounds.max()
    } else {
        bounds.min()
    };
    if let Some(widest) = widest {
        qb.push(format!(" AND i.{column}_at {op} "))
            .push_bind(text(widest));
    }
    qb.push(format!(" AND i.{column}_at {op} CASE i.{column}_precision"));
    for p in PRECISIONS {
        if p == crate::domain::Precision::Time {
            continue;
        }
        qb.push(format!(" WHEN '{}' THEN ", p.as_str()))
            .push_bind(text(lower_bound(rule, p, bound)));
    }
    qb.push(" ELSE ")
        .push_bind(text(lower_bound(
            rule,
            crate::domain::Precision::Time,
            bound,
        )))
        .push(" END");
}
