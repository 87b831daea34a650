-- PostgreSQL twin of migrations/sqlite/0025_search_alert_samples.sql: an
-- alert-fed step is indexed by its alert sample (`step_triage`) instead of
-- its evidence; the step-update trigger skips updates that change nothing
-- indexed; the sample's own changes re-index the incident. Every trigger
-- (and the store's reindex) builds the document from ONE view,
-- `search_document`, through `search_reindex`.

CREATE VIEW search_document (incident_id, ident, title, summary, people, tags, refs, steps) AS
    SELECT i.id, i.id, i.title, i.summary, i.reporter || ' ' || i.actor || ' ' || i.target,
        COALESCE((SELECT string_agg(t.tag, ' ' ORDER BY t.tag) FROM incident_tags t
                  WHERE t.incident_id = i.id), ''),
        COALESCE((SELECT string_agg(r.title || ' ' || r.url, ' ' ORDER BY r.position)
                  FROM incident_references r WHERE r.incident_id = i.id), ''),
        COALESCE((SELECT string_agg(o.description || ' ' ||
                      CASE WHEN o.source = 'alert'
                           THEN COALESCE((SELECT s.alert_sample FROM step_triage s WHERE s.step_id = o.id), '')
                           ELSE o.evidence END, ' ' ORDER BY o.position, o.id)
                  FROM observations o WHERE o.incident_id = i.id), '')
    FROM incidents i;

CREATE OR REPLACE FUNCTION search_reindex(ids TEXT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM search_index WHERE incident_id = ANY (ids);
    INSERT INTO search_index (incident_id, ident, title, summary, people, tags, refs, steps)
        SELECT v.incident_id, v.ident, v.title, v.summary, v.people, v.tags, v.refs, v.steps
        FROM search_document v WHERE v.incident_id = ANY (ids);
END;
$$;

-- SQLite's WHEN on OLD and NEW (`IS NOT` is IS DISTINCT FROM); the deferred
-- test stays in the function.
DROP TRIGGER search_step_update ON observations;
CREATE TRIGGER search_step_update AFTER UPDATE OF description, evidence, source, incident_id ON observations
    FOR EACH ROW
    WHEN (OLD.description IS DISTINCT FROM NEW.description OR OLD.incident_id IS DISTINCT FROM NEW.incident_id
          OR OLD.source IS DISTINCT FROM NEW.source
          OR (NEW.source <> 'alert' AND OLD.evidence IS DISTINCT FROM NEW.evidence))
    EXECUTE FUNCTION search_part_changed_unless_deferred();

CREATE FUNCTION search_sample_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT deferred FROM search_control WHERE id = 1) IS DISTINCT FROM 0 THEN
        RETURN NULL;
    END IF;
    PERFORM search_reindex(ARRAY(SELECT o.incident_id FROM observations o WHERE o.id = NEW.step_id));
    RETURN NULL;
END;
$$;

CREATE TRIGGER search_sample_insert AFTER INSERT ON step_triage
    FOR EACH ROW WHEN (NEW.alert_sample <> '')
    EXECUTE FUNCTION search_sample_changed();
CREATE TRIGGER search_sample_update AFTER UPDATE OF alert_sample ON step_triage
    FOR EACH ROW WHEN (OLD.alert_sample IS DISTINCT FROM NEW.alert_sample)
    EXECUTE FUNCTION search_sample_changed();

-- The documents of incidents with alert-fed steps, rebuilt from the view.
SELECT search_reindex(ARRAY(SELECT DISTINCT incident_id FROM observations WHERE source = 'alert'));
