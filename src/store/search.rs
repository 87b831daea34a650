//! Full-text search of incidents: the backend seam.
//!
//! SQLite: an FTS5 index with the trigram tokenizer (migration 0012), one
//! document per incident holding its ID, title, summary, reporter, actor,
//! target, tags, references and every step's description and evidence. A
//! word of three characters or more matches anywhere inside that text,
//! case-insensitively — what the LIKE search it replaces matched, and more
//! columns — through the index; results rank by bm25 with the title and the
//! ID weighing most. Shorter words keep the LIKE test of the old search.
//!
//! PostgreSQL (next): the same document as a generated column with a
//! `pg_trgm` GIN index answers `document ILIKE '%word%'` through the index and
//! ranks by `similarity()`; only the two functions below change.

use crate::store::backend::{BackendKind, Sql, Tx, Written, on_tx};

use super::StoreResult;

/// `%`, `_` and `\` taken literally in a LIKE pattern (with `ESCAPE '\'`).
pub(super) fn like_pattern(text: &str) -> String {
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

/// Words searched at most (the rest are ignored).
pub const MAX_WORDS: usize = 8;

/// bm25 weights of the columns, in the order of migration 0012: ident,
/// title, summary, people, tags, refs, steps.
const WEIGHTS: &str = "10.0, 8.0, 3.0, 3.0, 5.0, 1.0, 2.0";

/// The search text split into index words (3+ characters, as an FTS5 query
/// of quoted strings all required) and short words.
pub(super) fn split(text: &str) -> (Option<String>, Vec<&str>) {
    let mut indexed = Vec::new();
    let mut short = Vec::new();
    for word in text.split_whitespace().take(MAX_WORDS) {
        if is_indexed(word) {
            indexed.push(format!("\"{}\"", word.replace('"', "\"\"")));
        } else {
            short.push(word);
        }
    }
    let expr = (!indexed.is_empty()).then(|| indexed.join(" AND "));
    (expr, short)
}

/// ` AND …`: the incidents `i` whose text holds every word of `text`.
pub(super) fn push_text_filter<'a>(qb: &mut Sql<'a>, text: &'a str, backend: BackendKind) {
    let (expr, short) = split(text);
    if backend == BackendKind::Postgres {
        // Every index word inside the document (pg_trgm answers the ILIKE
        // through its GIN index; migration 0012 of migrations/postgres).
        // No ESCAPE clause: backslash is PostgreSQL's default escape, and
        // with the clause a prepared statement's generic plan scanned the
        // table (80 ms against 0.6 ms at 20,000 incidents).
        let mut words = indexed_words(text).peekable();
        if words.peek().is_some() {
            qb.push(" AND i.id IN (SELECT s.incident_id FROM search_index s WHERE TRUE");
            push_document_matches(qb, words);
            qb.push(")");
        }
    } else if let Some(expr) = expr {
        qb.push(
            " AND i.id IN (SELECT d.incident_id FROM incident_search s
                 JOIN search_docs d ON d.doc = s.rowid WHERE incident_search MATCH ",
        )
        .push_bind(expr)
        .push(")");
    }
    for word in short {
        let p = like_pattern(word);
        qb.push(" AND (LOWER(i.title) LIKE ")
            .push_bind(p.clone())
            .push(" ESCAPE '\\'");
        for column in ["i.summary", "i.target", "i.actor", "i.reporter", "i.id"] {
            qb.push(format!(" OR LOWER({column}) LIKE "))
                .push_bind(p.clone())
                .push(" ESCAPE '\\'");
        }
        qb.push(
            " OR EXISTS (SELECT 1 FROM observations o WHERE o.incident_id = i.id AND (LOWER(o.description) LIKE ",
        )
        .push_bind(p.clone())
        .push(" ESCAPE '\\' OR LOWER(o.evidence) LIKE ")
        .push_bind(p.clone())
        .push(" ESCAPE '\\'))")
        .push(" OR EXISTS (SELECT 1 FROM incident_tags t WHERE t.incident_id = i.id AND LOWER(t.tag) LIKE ")
        .push_bind(p)
        .push(" ESCAPE '\\'))");
    }
}

/// `(…) r CROSS JOIN incidents i`: the incidents matching `text`, each
/// with its rank (`r.score`, lower is better), for ordering by relevance;
/// the caller adds ` WHERE i.id = r.incident_id`. The matches drive the
/// query (`CROSS JOIN` keeps SQLite from scanning every incident and
/// probing the matches for each, which took 200 ms at 15,000 incidents), so
/// the text filter is not repeated: only the words too short for the index
/// remain to filter by ([`short_words`]). `false` when the text has no
/// index word (then there is nothing to rank by).
pub(super) fn push_ranked_matches<'a>(
    qb: &mut Sql<'a>,
    text: &'a str,
    backend: BackendKind,
) -> bool {
    let (Some(expr), _) = split(text) else {
        return false;
    };
    if backend == BackendKind::Postgres {
        // Matches as in [`push_text_filter`], ranked by `search_score`
        // over the weighted words (lower is better, as bm25's).
        let words: Vec<&str> = indexed_words(text).collect();
        qb.push("(SELECT s.incident_id, search_score(s.tsv, ")
            .push_bind(words.join(" "))
            .push(") AS score FROM search_index s WHERE TRUE");
        push_document_matches(qb, words);
        qb.push(") r CROSS JOIN incidents i");
        return true;
    }
    qb.push(format!(
        "(SELECT d.incident_id, bm25(incident_search, {WEIGHTS}) AS score FROM incident_search
             JOIN search_docs d ON d.doc = incident_search.rowid WHERE incident_search MATCH "
    ))
    .push_bind(expr)
    .push(") r CROSS JOIN incidents i");
    true
}

/// Whether `text` has a word the index answers, to rank matches by.
pub(super) fn ranks(text: &str) -> bool {
    split(text).0.is_some()
}

/// The words of `text` the index answers (3+ characters).
fn indexed_words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .take(MAX_WORDS)
        .filter(|w| is_indexed(w))
}

/// Whether the index answers `word`: trigrams need 3 characters.
fn is_indexed(word: &str) -> bool {
    word.chars().count() >= 3
}

/// PostgreSQL: ` AND s.document ILIKE …` for each word (pg_trgm's index).
fn push_document_matches<'a>(qb: &mut Sql<'a>, words: impl IntoIterator<Item = &'a str>) {
    for word in words {
        qb.push(" AND s.document ILIKE ")
            .push_bind(like_pattern(word));
    }
}

/// The words of `text` too short for the index (filtered by `LIKE`), if any.
pub(super) fn short_words(text: &str) -> Option<String> {
    let (_, short) = split(text);
    (!short.is_empty()).then(|| short.join(" "))
}

/// The document of every incident chosen by the caller's `IN (…)` list, as
/// the triggers write it: from the view `search_document` (migration 0025).
const DOCUMENT: &str = "INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
    SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
    FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id WHERE v.incident_id IN (";

/// Defers (or resumes) the step triggers' re-indexing inside the caller's
/// transaction (migration 0015): a writer of many steps defers, writes,
/// then calls [`reindex`] for the incidents it touched, which resumes.
pub(super) async fn defer(conn: &mut Tx) -> StoreResult<()> {
    set_deferred(conn, true).await
}

async fn set_deferred(conn: &mut Tx, on: bool) -> StoreResult<()> {
    on_tx!(&mut *conn, |ex| sqlx::query(
        "UPDATE search_control SET deferred = $1 WHERE id = 1"
    )
    .bind(i64::from(on))
    .execute(&mut *ex)
    .await
    .map(Written::from))?;
    Ok(())
}

/// Steps written at once from which one request defers (fewer keep the
/// triggers, which cost fewer statements).
const DEFER_FROM_STEPS: usize = 4;

/// Defers the triggers when a request writes more than a few steps: new
/// ones of `incidents` and changed ones (`steps`). Returns the incidents to
/// [`reindex`] afterwards (`None`: not deferred, the triggers do it).
pub(super) async fn defer_many(
    conn: &mut Tx,
    incidents: &[&str],
    steps: &[&str],
) -> StoreResult<Option<Vec<String>>> {
    if incidents.len() + steps.len() <= DEFER_FROM_STEPS {
        return Ok(None);
    }
    defer(conn).await?;
    let mut touched: std::collections::BTreeSet<String> =
        incidents.iter().map(|i| i.to_string()).collect();
    for chunk in steps.chunks(200) {
        let mut qb: Sql = Sql::new("SELECT DISTINCT incident_id FROM observations WHERE id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(")");
        let rows: Vec<(String,)> =
            on_tx!(&mut *conn, |ex| qb.query_as()?.fetch_all(&mut *ex).await)?;
        touched.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(Some(touched.into_iter().collect()))
}

/// Writes the search document of each of `incidents` once, then resumes
/// the triggers (see [`defer`]).
pub(super) async fn reindex(conn: &mut Tx, incidents: &[String]) -> StoreResult<()> {
    if let Tx::Postgres(tx) = &mut *conn {
        // The function every search trigger calls (PostgreSQL 0012).
        sqlx::query("SELECT search_reindex($1)")
            .bind(incidents)
            .execute(&mut **tx)
            .await?;
        return set_deferred(conn, false).await;
    }
    fn ids<'a>(qb: &mut Sql<'a>, chunk: &'a [String]) {
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(id.as_str());
        }
        qb.push(")");
    }
    for chunk in incidents.chunks(200) {
        let mut qb: Sql = Sql::new(
            "INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id IN (",
        );
        ids(&mut qb, chunk);
        qb.push(" ON CONFLICT (incident_id) DO NOTHING");
        on_tx!(&mut *conn, |ex| qb
            .query()?
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
        let mut qb: Sql = Sql::new(
            "DELETE FROM incident_search WHERE rowid IN (SELECT doc FROM search_docs WHERE incident_id IN (",
        );
        ids(&mut qb, chunk);
        qb.push(")");
        on_tx!(&mut *conn, |ex| qb
            .query()?
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
        let mut qb: Sql = Sql::new(DOCUMENT);
        ids(&mut qb, chunk);
        on_tx!(&mut *conn, |ex| qb
            .query()?
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
    }
    set_deferred(conn, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_for_fts5_and_short_ones_kept_apart() {
        let (expr, short) = split(r#"OF-5521 sam.soc "x" ai"#);
        assert_eq!(
            expr.as_deref(),
            Some(r#""OF-5521" AND "sam.soc" AND """x""""#)
        );
        assert_eq!(short, ["ai"]);
        assert_eq!(split("ab").0, None);
    }
}
