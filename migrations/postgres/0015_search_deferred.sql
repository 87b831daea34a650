-- PostgreSQL twin of migrations/sqlite/0015_search_deferred.sql: a writer of
-- many rows may defer the re-indexing of the step, tag and reference
-- triggers. It sets `search_control.deferred` inside its own transaction,
-- writes, re-indexes each incident it touched once (`search_reindex`), and
-- clears the flag before committing. Under MVCC no other transaction sees
-- the flag set; a second deferring writer waits on the row's lock until the
-- first commits (every incident writer already queues on the
-- `data_versions` row the same way). The incident triggers and the
-- step-delete trigger are not deferred, as in SQLite.
-- `deferred` stays an integer (0/1), as in SQLite, so that the store's
-- `UPDATE search_control SET deferred = $1` binds the same i64 on both.

CREATE TABLE search_control (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    deferred BIGINT NOT NULL DEFAULT 0
);

INSERT INTO search_control (id, deferred) VALUES (1, 0);

-- SQLite's `WHEN (SELECT deferred FROM search_control WHERE id = 1) = 0`
-- (a trigger's WHEN cannot hold a subquery here): skipped unless it is 0.
CREATE FUNCTION search_part_changed_unless_deferred() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT deferred FROM search_control WHERE id = 1) IS DISTINCT FROM 0 THEN
        RETURN NULL;
    END IF;
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

DROP TRIGGER search_step_insert ON observations;
DROP TRIGGER search_step_update ON observations;
DROP TRIGGER search_tag_insert ON incident_tags;
DROP TRIGGER search_tag_delete ON incident_tags;
DROP TRIGGER search_reference_insert ON incident_references;
DROP TRIGGER search_reference_update ON incident_references;
DROP TRIGGER search_reference_delete ON incident_references;

CREATE TRIGGER search_step_insert AFTER INSERT ON observations
    FOR EACH ROW EXECUTE FUNCTION search_part_changed_unless_deferred();
CREATE TRIGGER search_step_update AFTER UPDATE OF description, evidence, incident_id ON observations
    FOR EACH ROW EXECUTE FUNCTION search_part_changed_unless_deferred();
CREATE TRIGGER search_tag_insert AFTER INSERT ON incident_tags
    FOR EACH ROW EXECUTE FUNCTION search_part_changed_unless_deferred();
CREATE TRIGGER search_tag_delete AFTER DELETE ON incident_tags
    FOR EACH ROW EXECUTE FUNCTION search_part_changed_unless_deferred();
CREATE TRIGGER search_reference_insert AFTER INSERT ON incident_references
    FOR EACH ROW EXECUTE FUNCTION search_part_changed_unless_deferred();
CREATE TRIGGER search_reference_update AFTER UPDATE ON incident_references
    FOR EACH ROW EXECUTE FUNCTION search_part_changed_unless_deferred();
CREATE TRIGGER search_reference_delete AFTER DELETE ON incident_references
    FOR EACH ROW EXECUTE FUNCTION search_part_changed_unless_deferred();
