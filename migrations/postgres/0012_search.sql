-- PostgreSQL twin of migrations/sqlite/0012_search.sql: full-text search.
--
-- SQLite keeps one FTS5 document per incident (trigram tokenizer, rowids
-- from `search_docs`). Here the same document is a row of `search_index`,
-- keyed by incident ID (no integer rowid needed, so no `search_docs`):
--   * `document`, the columns joined by spaces, with a pg_trgm GIN index:
--     `document ILIKE '%word%'` is FTS5 trigram's match (a word of three
--     characters or more anywhere in the text, case-insensitively) through
--     the index. It keeps the database's default collation, not "C": ILIKE
--     and pg_trgm fold case with it, and under "C" only ASCII would fold
--     (FTS5 folds Unicode). Nothing orders or range-compares this column.
--   * `tsv`, a weighted tsvector (GIN index) that ranks the matches as
--     bm25's column weights do: ident and title (A), tags (B), summary and
--     people (C), refs and steps (D). See `search_score` below.
-- Kept by triggers of SQLite's names, in the writing transaction, through
-- one function, `search_reindex`.
--
-- The store's SQL for PostgreSQL (search.rs), for the words of 3+ characters
-- (the shorter ones keep their LIKE tests, as in SQLite):
--   text filter:    AND i.id IN (SELECT s.incident_id FROM search_index s
--                       WHERE s.document ILIKE $1 AND s.document ILIKE $2 …)
--                   ($n: like_pattern(word), one per word; no `ESCAPE '\'`: the
--                   backslash is PostgreSQL's default escape, and with the
--                   clause a prepared statement's generic plan scans the table
--                   instead of the trigram index)
--   ranked matches: (SELECT s.incident_id, search_score(s.tsv, $1) AS score FROM search_index s
--                       WHERE s.document ILIKE $2 AND …) r CROSS JOIN incidents i
--                   ($1: the words joined by spaces; lower score is better, as bm25's)
--   defer:          UPDATE search_control SET deferred = $1 WHERE id = 1   (1; migration 0015)
--   reindex:        SELECT search_reindex($1)   ($1: TEXT[] of incident IDs), then
--                   UPDATE search_control SET deferred = $1 WHERE id = 1   (0)

-- A trusted extension since PostgreSQL 13: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE search_index (
    incident_id TEXT COLLATE "C" PRIMARY KEY,
    ident       TEXT NOT NULL,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    people      TEXT NOT NULL,
    tags        TEXT NOT NULL,
    refs        TEXT NOT NULL,
    steps       TEXT NOT NULL,
    document    TEXT GENERATED ALWAYS AS (
        ident || ' ' || title || ' ' || summary || ' ' || people || ' ' || tags || ' ' || refs || ' ' || steps
    ) STORED,
    tsv         tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, ident || ' ' || title), 'A')
        || setweight(to_tsvector('simple'::regconfig, tags), 'B')
        || setweight(to_tsvector('simple'::regconfig, summary || ' ' || people), 'C')
        || setweight(to_tsvector('simple'::regconfig, refs || ' ' || steps), 'D')
    ) STORED
);

CREATE INDEX search_index_document ON search_index USING GIN (document gin_trgm_ops);
CREATE INDEX search_index_tsv ON search_index USING GIN (tsv);

-- The rank of a matching document for the search words (lower is better,
-- as bm25's): each word's lexemes as prefixes, any of them, weighted by
-- column class (D, C, B, A). A match inside a word (which ILIKE finds and
-- no lexeme prefix does) ranks 0, after the others; the caller's order
-- (newest first) breaks ties, as in SQLite.
CREATE FUNCTION search_score(tsv tsvector, words TEXT) RETURNS real
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT COALESCE(-ts_rank('{0.15, 0.3, 0.5, 1.0}', tsv,
        (SELECT string_agg(quote_literal(w) || ':*', ' | ')::tsquery
         FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig, words))) AS w)), 0)
$$;

-- Writes the documents of `ids` afresh (an ID no longer in `incidents`
-- loses its document).
CREATE FUNCTION search_reindex(ids TEXT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM search_index WHERE incident_id = ANY (ids);
    INSERT INTO search_index (incident_id, ident, title, summary, people, tags, refs, steps)
        SELECT i.id, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
            COALESCE((SELECT string_agg(t.tag, ' ' ORDER BY t.tag) FROM incident_tags t
                      WHERE t.incident_id = i.id), ''),
            COALESCE((SELECT string_agg(r.title || ' ' || r.url, ' ' ORDER BY r.position)
                      FROM incident_references r WHERE r.incident_id = i.id), ''),
            COALESCE((SELECT string_agg(o.description || ' ' || o.evidence, ' ' ORDER BY o.position, o.id)
                      FROM observations o WHERE o.incident_id = i.id), '')
        FROM incidents i WHERE i.id = ANY (ids);
END;
$$;

SELECT search_reindex(ARRAY(SELECT id FROM incidents));

CREATE FUNCTION search_incident_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_reindex(ARRAY[NEW.id]);
    RETURN NULL;
END;
$$;

CREATE FUNCTION search_incident_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM search_index WHERE incident_id = OLD.id;
    RETURN NULL;
END;
$$;

-- A step, tag or reference written: its incident (both when an update moves it).
CREATE FUNCTION search_part_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM search_reindex(ARRAY[OLD.incident_id]);
    ELSIF TG_OP = 'UPDATE' AND OLD.incident_id <> NEW.incident_id THEN
        PERFORM search_reindex(ARRAY[NEW.incident_id, OLD.incident_id]);
    ELSE
        PERFORM search_reindex(ARRAY[NEW.incident_id]);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER search_incident_insert AFTER INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION search_incident_changed();
CREATE TRIGGER search_incident_update AFTER UPDATE OF title, summary, reporter, actor, target ON incidents
    FOR EACH ROW EXECUTE FUNCTION search_incident_changed();
CREATE TRIGGER search_incident_delete AFTER DELETE ON incidents
    FOR EACH ROW EXECUTE FUNCTION search_incident_deleted();
CREATE TRIGGER search_step_insert AFTER INSERT ON observations
    FOR EACH ROW EXECUTE FUNCTION search_part_changed();
CREATE TRIGGER search_step_update AFTER UPDATE OF description, evidence, incident_id ON observations
    FOR EACH ROW EXECUTE FUNCTION search_part_changed();
CREATE TRIGGER search_step_delete AFTER DELETE ON observations
    FOR EACH ROW EXECUTE FUNCTION search_part_changed();
CREATE TRIGGER search_tag_insert AFTER INSERT ON incident_tags
    FOR EACH ROW EXECUTE FUNCTION search_part_changed();
CREATE TRIGGER search_tag_delete AFTER DELETE ON incident_tags
    FOR EACH ROW EXECUTE FUNCTION search_part_changed();
CREATE TRIGGER search_reference_insert AFTER INSERT ON incident_references
    FOR EACH ROW EXECUTE FUNCTION search_part_changed();
CREATE TRIGGER search_reference_update AFTER UPDATE ON incident_references
    FOR EACH ROW EXECUTE FUNCTION search_part_changed();
CREATE TRIGGER search_reference_delete AFTER DELETE ON incident_references
    FOR EACH ROW EXECUTE FUNCTION search_part_changed();
