-- Alert-fed steps in the search index (issue 15): an alert folded into a
-- step rewrote the step's evidence ("N alerts from A to B: ids … and M
-- more"), and with it the incident's whole trigram search document — on
-- every request, for a count and a time nobody searches for (35% of the SQL
-- of a 1,000-alert request, by the statement log). The index now holds an
-- alert-fed step's alert sample (the first alert IDs, `step_triage`), which
-- stops changing once full, instead of its evidence text; the triggers that
-- re-index skip a step update that changes nothing indexed, and the sample's
-- own changes re-index the incident. Every trigger (and `reindex` in
-- src/store/search.rs) builds the document from ONE view, `search_document`,
-- instead of a copy of the expression each.

CREATE VIEW search_document (incident_id, ident, title, summary, people, tags, refs, steps) AS
    SELECT i.id, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
        COALESCE((SELECT group_concat(t.tag, ' ') FROM incident_tags t WHERE t.incident_id = i.id), ''),
        COALESCE((SELECT group_concat(r.title || ' ' || r.url, ' ') FROM incident_references r
                  WHERE r.incident_id = i.id), ''),
        COALESCE((SELECT group_concat(o.description || ' ' ||
                      CASE WHEN o.source = 'alert'
                           THEN COALESCE((SELECT s.alert_sample FROM step_triage s WHERE s.step_id = o.id), '')
                           ELSE o.evidence END, ' ')
                  FROM observations o WHERE o.incident_id = i.id), '')
    FROM incidents i;
DROP TRIGGER search_incident_insert;
DROP TRIGGER search_incident_update;
DROP TRIGGER search_step_insert;
DROP TRIGGER search_step_update;
DROP TRIGGER search_step_delete;
DROP TRIGGER search_tag_insert;
DROP TRIGGER search_tag_delete;
DROP TRIGGER search_reference_insert;
DROP TRIGGER search_reference_update;
DROP TRIGGER search_reference_delete;

CREATE TRIGGER search_incident_insert AFTER INSERT ON incidents
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = NEW.id;
END;

CREATE TRIGGER search_incident_update AFTER UPDATE OF title, summary, reporter, actor, target ON incidents
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = NEW.id;
END;

CREATE TRIGGER search_step_insert AFTER INSERT ON observations
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = NEW.incident_id;
END;

CREATE TRIGGER search_step_update AFTER UPDATE OF description, evidence, source, incident_id ON observations
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
        AND (OLD.description IS NOT NEW.description OR OLD.incident_id IS NOT NEW.incident_id
             OR OLD.source IS NOT NEW.source OR (NEW.source <> 'alert' AND OLD.evidence IS NOT NEW.evidence))
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = NEW.incident_id;
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = OLD.incident_id AND OLD.incident_id <> NEW.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = OLD.incident_id) AND OLD.incident_id <> NEW.incident_id;
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = OLD.incident_id AND OLD.incident_id <> NEW.incident_id;
END;

CREATE TRIGGER search_step_delete AFTER DELETE ON observations
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = OLD.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = OLD.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = OLD.incident_id;
END;

CREATE TRIGGER search_tag_insert AFTER INSERT ON incident_tags
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = NEW.incident_id;
END;

CREATE TRIGGER search_tag_delete AFTER DELETE ON incident_tags
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = OLD.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = OLD.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = OLD.incident_id;
END;

CREATE TRIGGER search_reference_insert AFTER INSERT ON incident_references
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = NEW.incident_id;
END;

CREATE TRIGGER search_reference_update AFTER UPDATE ON incident_references
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = NEW.incident_id;
END;

CREATE TRIGGER search_reference_delete AFTER DELETE ON incident_references
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = OLD.incident_id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = OLD.incident_id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = OLD.incident_id;
END;

CREATE TRIGGER search_sample_insert AFTER INSERT ON step_triage
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0 AND NEW.alert_sample <> ''
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = (SELECT o.incident_id FROM observations o WHERE o.id = NEW.step_id)
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = (SELECT o.incident_id FROM observations o WHERE o.id = NEW.step_id));
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = (SELECT o.incident_id FROM observations o WHERE o.id = NEW.step_id);
END;

CREATE TRIGGER search_sample_update AFTER UPDATE OF alert_sample ON step_triage
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0 AND OLD.alert_sample IS NOT NEW.alert_sample
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = (SELECT o.incident_id FROM observations o WHERE o.id = NEW.step_id)
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = (SELECT o.incident_id FROM observations o WHERE o.id = NEW.step_id));
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = (SELECT o.incident_id FROM observations o WHERE o.id = NEW.step_id);
END;

-- The documents of incidents with alert-fed steps, rebuilt from the view.
DELETE FROM incident_search WHERE rowid IN (
    SELECT d.doc FROM search_docs d
    WHERE d.incident_id IN (SELECT incident_id FROM observations WHERE source = 'alert'));
INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
    SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
    FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
    WHERE v.incident_id IN (SELECT incident_id FROM observations WHERE source = 'alert');
