-- PostgreSQL twin of migrations/sqlite/0032_search_incident_deferred.sql:
-- the incident triggers of the search index wait too while a writer has
-- deferred them (migration 0015). A bulk import inserts its incidents after
-- deferring and re-indexes each written incident once at the end; this
-- trigger indexed each new incident at its INSERT as well. The writers that
-- defer (bulk import, alert ingestion's step writes) re-index every incident
-- they insert or update while deferred.
CREATE FUNCTION search_incident_changed_unless_deferred() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT deferred FROM search_control WHERE id = 1) IS DISTINCT FROM 0 THEN
        RETURN NULL;
    END IF;
    PERFORM search_reindex(ARRAY[NEW.id]);
    RETURN NULL;
END;
$$;

DROP TRIGGER search_incident_insert ON incidents;
DROP TRIGGER search_incident_update ON incidents;

CREATE TRIGGER search_incident_insert AFTER INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION search_incident_changed_unless_deferred();
CREATE TRIGGER search_incident_update AFTER UPDATE OF title, summary, reporter, actor, target ON incidents
    FOR EACH ROW EXECUTE FUNCTION search_incident_changed_unless_deferred();
