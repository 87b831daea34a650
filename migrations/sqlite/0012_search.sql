-- Full-text search (issue 13/14): one document per incident holding
-- everything an analyst types — ID, title, summary, reporter, actor, target,
-- tags, references and every step's description and evidence — in an FTS5
-- index with the trigram tokenizer, so a word matches anywhere inside the
-- text, case-insensitively, as the LIKE search it replaces did, and results
-- are ranked by bm25. Kept by triggers, in the writing transaction, for every
-- write path. (PostgreSQL: the same document in a generated column with a
-- pg_trgm GIN index, or a tsvector; see src/store/search.rs.)
-- `search_docs` gives each incident a stable integer document number (the
-- FTS rowid), since incident IDs are text.

CREATE TABLE search_docs (
    doc         INTEGER PRIMARY KEY,
    incident_id TEXT NOT NULL UNIQUE
);

CREATE VIRTUAL TABLE incident_search USING fts5(
    ident, title, summary, people, tags, refs, steps,
    tokenize = 'trigram'
);

INSERT INTO search_docs (incident_id) SELECT id FROM incidents ORDER BY id;

INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
    SELECT d.doc, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
        COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
        COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                  WHERE r.incident_id = i.id), ''),
        COALESCE((SELECT group_concat(o.description || ' ' || o.evidence, ' ') FROM observations o
                  WHERE o.incident_id = i.id), '')
    FROM incidents i JOIN search_docs d ON d.incident_id = i.id;

CREATE TRIGGER search_incident_insert AFTER INSERT ON incidents
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
            COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                      WHERE r.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(o.description || ' ' || o.evidence, ' ') FROM observations o
                      WHERE o.incident_id = i.id), '')
        FROM incidents i JOIN search_docs d ON d.incident_id = i.id WHERE i.id = NEW.id;
END;

CREATE TRIGGER search_incident_update AFTER UPDATE OF title, summary, reporter, actor, target ON incidents
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
            COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                      WHERE r.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(o.description || ' ' || o.evidence, ' ') FROM observations o
                      WHERE o.incident_id = i.id), '')
        FROM incidents i JOIN search_docs d ON d.incident_id = i.id WHERE i.id = NEW.id;
END;

CREATE TRIGGER search_step_insert AFTER INSERT ON observations
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
            COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                      WHERE r.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(o.description || ' ' || o.evidence, ' ') FROM observations o
                      WHERE o.incident_id = i.id), '')
        FROM incidents i JOIN search_docs d ON d.incident_id = i.id WHERE i.id = NEW.incident_id;
END;

CREATE TRIGGER search_step_update AFTER UPDATE OF description, evidence, incident_id ON observations
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
            COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                      WHERE r.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(o.description || ' ' || o.evidence, ' ') FROM observations o
                      WHERE o.incident_id = i.id), '')
        FROM incidents i JOIN search_docs d ON d.incident_id = i.id WHERE i.id = NEW.incident_id;
    -- A step moved to another incident (no path does so today): the old one too.
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = OLD.incident_id AND OLD.incident_id <> NEW.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = OLD.incident_id)
        AND OLD.incident_id <> NEW.incident_id;
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
            COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                      WHERE r.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(o.description || ' ' || o.evidence, ' ') FROM observations o
                      WHERE o.incident_id = i.id), '')
        FROM incidents i JOIN search_docs d ON d.incident_id = i.id WHERE i.id = OLD.incident_id AND OLD.incident_id <> NEW.incident_id;
END;

CREATE TRIGGER search_step_delete AFTER DELETE ON observations
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = OLD.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = OLD.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
            COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                      WHERE r.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(o.description || ' ' || o.evidence, ' ') FROM observations o
                      WHERE o.incident_id = i.id), '')
        FROM incidents i JOIN search_docs d ON d.incident_id = i.id WHERE i.id = OLD.incident_id;
END;

CREATE TRIGGER search_tag_insert AFTER INSERT ON incident_tags
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
            COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                      WHERE r.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(o.description || ' ' || o.evidence, ' ') FROM observations o
                      WHERE o.incident_id = i.id), '')
        FROM incidents i JOIN search_docs d ON d.incident_id = i.id WHERE i.id = NEW.incident_id;
END;

CREATE TRIGGER search_tag_delete AFTER DELETE ON incident_tags
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = OLD.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = OLD.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
            COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                      WHERE r.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(o.description || ' ' || o.evidence, ' ') FROM observations o
                      WHERE o.incident_id = i.id), '')
        FROM incidents i JOIN search_docs d ON d.incident_id = i.id WHERE i.id = OLD.incident_id;
END;

CREATE TRIGGER search_reference_insert AFTER INSERT ON incident_references
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
            COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                      WHERE r.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(o.description || ' ' || o.evidence, ' ') FROM observations o
                      WHERE o.incident_id = i.id), '')
        FROM incidents i JOIN search_docs d ON d.incident_id = i.id WHERE i.id = NEW.incident_id;
END;

CREATE TRIGGER search_reference_update AFTER UPDATE ON incident_references
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
            COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                      WHERE r.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(o.description || ' ' || o.evidence, ' ') FROM observations o
                      WHERE o.incident_id = i.id), '')
        FROM incidents i JOIN search_docs d ON d.incident_id = i.id WHERE i.id = NEW.incident_id;
END;

CREATE TRIGGER search_reference_delete AFTER DELETE ON incident_references
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = OLD.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = OLD.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
            COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                      WHERE r.incident_id = i.id), ''),
            COALESCE((SELECT group_concat(o.description || ' ' || o.evidence, ' ') FROM observations o
                      WHERE o.incident_id = i.id), '')
        FROM incidents i JOIN search_docs d ON d.incident_id = i.id WHERE i.id = OLD.incident_id;
END;

CREATE TRIGGER search_incident_delete AFTER DELETE ON incidents
BEGIN
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = OLD.id);
    DELETE FROM search_docs WHERE incident_id = OLD.id;
END;
