-- PostgreSQL twin of migrations/sqlite/0011_incident_changes.sql: which
-- incidents changed, and at which data version, kept by the same triggers
-- that bump the data version (0004), so a reader holding an aggregate built
-- at version V re-reads only the incidents changed at V or later.

CREATE TABLE incident_changes (
    incident_id TEXT COLLATE "C" PRIMARY KEY,
    version     BIGINT NOT NULL
);

CREATE INDEX incident_changes_by_version ON incident_changes (version);

INSERT INTO incident_changes (incident_id, version)
    SELECT i.id, d.version FROM incidents i, data_versions d WHERE d.name = 'incidents';

-- The bump, then the changed incident noted at the bumped version.
CREATE FUNCTION data_version_note(changed TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO incident_changes (incident_id, version)
        SELECT changed, d.version FROM data_versions d WHERE d.name = 'incidents'
        ON CONFLICT (incident_id) DO UPDATE SET version = excluded.version;
END;
$$;

-- incidents: the row's own ID (both IDs when an update changes it).
CREATE FUNCTION data_version_incident() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
    IF TG_OP = 'DELETE' THEN
        PERFORM data_version_note(OLD.id);
    ELSE
        PERFORM data_version_note(NEW.id);
        IF TG_OP = 'UPDATE' THEN
            IF OLD.id <> NEW.id THEN
                PERFORM data_version_note(OLD.id);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

-- observations and incident_tags: the row's incident (both when an update moves it).
CREATE FUNCTION data_version_incident_part() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
    IF TG_OP = 'DELETE' THEN
        PERFORM data_version_note(OLD.incident_id);
    ELSE
        PERFORM data_version_note(NEW.incident_id);
        IF TG_OP = 'UPDATE' THEN
            IF OLD.incident_id <> NEW.incident_id THEN
                PERFORM data_version_note(OLD.incident_id);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER data_version_incident_insert ON incidents;
DROP TRIGGER data_version_incident_update ON incidents;
DROP TRIGGER data_version_incident_delete ON incidents;
DROP TRIGGER data_version_observation_insert ON observations;
DROP TRIGGER data_version_observation_update ON observations;
DROP TRIGGER data_version_observation_delete ON observations;
DROP TRIGGER data_version_tag_insert ON incident_tags;
DROP TRIGGER data_version_tag_delete ON incident_tags;

CREATE TRIGGER data_version_incident_insert AFTER INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION data_version_incident();
CREATE TRIGGER data_version_incident_update AFTER UPDATE ON incidents
    FOR EACH ROW EXECUTE FUNCTION data_version_incident();
CREATE TRIGGER data_version_incident_delete AFTER DELETE ON incidents
    FOR EACH ROW EXECUTE FUNCTION data_version_incident();
CREATE TRIGGER data_version_observation_insert AFTER INSERT ON observations
    FOR EACH ROW EXECUTE FUNCTION data_version_incident_part();
CREATE TRIGGER data_version_observation_update AFTER UPDATE ON observations
    FOR EACH ROW EXECUTE FUNCTION data_version_incident_part();
CREATE TRIGGER data_version_observation_delete AFTER DELETE ON observations
    FOR EACH ROW EXECUTE FUNCTION data_version_incident_part();
CREATE TRIGGER data_version_tag_insert AFTER INSERT ON incident_tags
    FOR EACH ROW EXECUTE FUNCTION data_version_incident_part();
CREATE TRIGGER data_version_tag_delete AFTER DELETE ON incident_tags
    FOR EACH ROW EXECUTE FUNCTION data_version_incident_part();
