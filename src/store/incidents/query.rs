//! Reading incident listings: filters, sort, page (OFFSET or keyset), and
//! the SQL every filtered read shares ([`push_filters`]).

use sqlx::{FromRow, QueryBuilder, Sqlite};

use super::{INCIDENT_COLUMNS, IncidentRow};
use crate::domain::time::{PRECISIONS, lower_bound};
use crate::domain::{DateRule, FuzzyTime, Incident, Kind, Severity, Status};
use crate::store::{Store, StoreResult};

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
    pub techniques: Vec<String>,
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
    /// Words searched in title, summary, target, actor and step descriptions.
    pub text: Option<String>,
    pub sort: Sort,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
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
}

impl Sort {
    pub const ALL: &'static [Sort] = &[
        Sort::OccurredDesc,
        Sort::OccurredAsc,
        Sort::UpdatedDesc,
        Sort::SeverityDesc,
        Sort::TitleAsc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::OccurredDesc => "-occurred",
            Sort::OccurredAsc => "occurred",
            Sort::UpdatedDesc => "-updated",
            Sort::SeverityDesc => "-severity",
            Sort::TitleAsc => "title",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::OccurredDesc => "Newest first",
            Sort::OccurredAsc => "Oldest first",
            Sort::UpdatedDesc => "Recently updated",
            Sort::SeverityDesc => "Most severe",
            Sort::TitleAsc => "Title",
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
        }
    }
}

/// One row of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentSummary {
    pub incident: Incident,
    pub step_count: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u32 {
        let per = i64::from(self.per_page.max(1));
        ((self.total + per - 1) / per).max(1) as u32
    }
}

/// `%`, `_` and `\` taken literally in a LIKE pattern (with `ESCAPE '\'`).
fn like_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Store {
    /// A filtered, sorted page of incidents.
    pub async fn list_incidents(&self, q: &IncidentQuery) -> StoreResult<Page<IncidentSummary>> {
        let per_page = q.per_page.clamp(1, 200);
        let page = q.page.max(1);
        let mut count: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT COUNT(*) FROM incidents i WHERE 1 = 1");
        push_filters(&mut count, q);
        let (total,): (i64,) = count.build_query_as().fetch_one(&self.pool).await?;

        let mut select: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "SELECT {INCIDENT_COLUMNS}, (SELECT COUNT(*) FROM observations o WHERE o.incident_id = i.id) AS step_count
             FROM incidents i WHERE 1 = 1"
        ));
        push_filters(&mut select, q);
        select.push(q.sort.order_by());
        select.push(" LIMIT ").push_bind(i64::from(per_page));
        select
            .push(" OFFSET ")
            .push_bind(i64::from(page - 1) * i64::from(per_page));
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            incident: IncidentRow,
            step_count: i64,
        }
        let rows: Vec<Row> = select.build_query_as().fetch_all(&self.pool).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.incident.id.clone()).collect();
        let mut tags = self.tags_of(&ids).await?;
        let mut references = self.references_of(&ids).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let t = tags.remove(&row.incident.id).unwrap_or_default();
            let r = references.remove(&row.incident.id).unwrap_or_default();
            items.push(IncidentSummary {
                incident: row.incident.into_incident(t, r)?,
                step_count: row.step_count,
            });
        }
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    /// Every tag in use, for filter menus.
    pub async fn all_tags(&self) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT tag FROM incident_tags ORDER BY tag")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(t,)| t).collect())
    }

    /// Number of incidents and steps stored (for tests and the CLI).
    pub async fn incident_counts(&self) -> StoreResult<(i64, i64)> {
        let (incidents,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM incidents")
            .fetch_one(&self.pool)
            .await?;
        let (steps,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM observations")
            .fetch_one(&self.pool)
            .await?;
        Ok((incidents, steps))
    }
}

fn push_in<'a, T: AsRef<str>>(qb: &mut QueryBuilder<'a, Sqlite>, column: &str, values: &'a [T]) {
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

pub(in crate::store) fn push_filters<'a>(qb: &mut QueryBuilder<'a, Sqlite>, q: &'a IncidentQuery) {
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
        qb.push(" AND EXISTS (SELECT 1 FROM observations o WHERE o.incident_id = i.id");
        push_in(qb, "o.technique_id", &q.techniques);
        qb.push(")");
    }
    if !q.tactics.is_empty() {
        qb.push(" AND EXISTS (SELECT 1 FROM observations o WHERE o.incident_id = i.id");
        push_in(qb, "o.tactic_id", &q.tactics);
        qb.push(")");
    }
    if let Some(target) = &q.target {
        qb.push(" AND LOWER(i.target) LIKE ")
            .push_bind(like_pattern(target))
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
        for word in text.split_whitespace().take(8) {
            let p = like_pattern(word);
            qb.push(" AND (LOWER(i.title) LIKE ")
                .push_bind(p.clone())
                .push(" ESCAPE '\\'");
            for column in ["i.summary", "i.target", "i.actor", "i.id"] {
                qb.push(format!(" OR LOWER({column}) LIKE "))
                    .push_bind(p.clone())
                    .push(" ESCAPE '\\'");
            }
            qb.push(" OR EXISTS (SELECT 1 FROM observations o WHERE o.incident_id = i.id AND LOWER(o.description) LIKE ")
                .push_bind(p)
                .push(" ESCAPE '\\'))");
        }
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
    qb: &mut QueryBuilder<'_, Sqlite>,
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
