-- Alert ingestion and bulk import write many steps, tags and references of
-- one incident in one statement; the triggers of migration 0012 re-indexed
-- the incident's whole search document once per row (53% of an ingestion
-- request's time, by perf). A writer of many rows may defer them: it sets
-- `search_control.deferred` inside its own transaction, writes, re-indexes
-- each incident it touched once (`reindex` in src/store/search.rs), and
-- clears the flag before committing, so no other connection ever sees it
-- set and the index is as complete at commit as before. Every other writer
-- leaves the flag alone and the triggers work as they did. (The incident
-- and step-delete triggers are not deferred: they fire once per incident.)

CREATE TABLE search_control (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    deferred INTEGER NOT NULL DEFAULT 0
);

INSERT INTO search_control (id, deferred) VALUES (1, 0);

DROP TRIGGER search_step_insert;
DROP TRIGGER search_step_update;
DROP TRIGGER search_tag_insert;
DROP TRIGGER search_tag_delete;
DROP TRIGGER search_reference_insert;
DROP TRIGGER search_reference_update;
DROP TRIGGER search_reference_delete;

CREATE TRIGGER search_step_insert AFTER INSERT ON observations
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
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
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
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

CREATE TRIGGER search_tag_insert AFTER INSERT ON incident_tags
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
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
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
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
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
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
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
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
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
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
