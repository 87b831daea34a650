-- The incident triggers of the search index wait too while a writer has
-- deferred them (migration 0015): a bulk import inserts its incidents after
-- deferring and re-indexes each written incident once at the end, but this
-- trigger indexed each new incident at its INSERT as well (a document of its
-- title alone, deleted and written again by the re-index). The writers that
-- defer (bulk import, alert ingestion's step writes) re-index every incident
-- they insert or update while deferred.
DROP TRIGGER search_incident_insert;
DROP TRIGGER search_incident_update;

CREATE TRIGGER search_incident_insert AFTER INSERT ON incidents
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
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
    WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0
BEGIN
    INSERT INTO search_docs (incident_id) SELECT id FROM incidents WHERE id = NEW.id
        ON CONFLICT (incident_id) DO NOTHING;
    DELETE FROM incident_search WHERE rowid = (SELECT doc FROM search_docs WHERE incident_id = NEW.id);
    INSERT INTO incident_search (rowid, ident, title, summary, people, tags, refs, steps)
        SELECT d.doc, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v JOIN search_docs d ON d.incident_id = v.incident_id
        WHERE v.incident_id = NEW.id;
END;
