-- Which incidents changed, and at which data version: kept by the same
-- triggers that bump the data version (migration 0004), so every write path
-- (web, API, CLI, ingestion, upgrades, another process) records it in its own
-- transaction. A reader holding an aggregate built at version V re-reads only
-- the incidents changed at V or later and patches the aggregate, instead of
-- recounting every step after each write.
-- One row per incident (the latest version it changed at): the table never
-- grows past the number of incidents ever stored.

CREATE TABLE incident_changes (
    incident_id TEXT PRIMARY KEY,
    version     INTEGER NOT NULL
);

CREATE INDEX incident_changes_by_version ON incident_changes (version);

INSERT INTO incident_changes (incident_id, version)
    SELECT i.id, d.version FROM incidents i, data_versions d WHERE d.name = 'incidents';

DROP TRIGGER data_version_incident_insert;
DROP TRIGGER data_version_incident_update;
DROP TRIGGER data_version_incident_delete;
DROP TRIGGER data_version_observation_insert;
DROP TRIGGER data_version_observation_update;
DROP TRIGGER data_version_observation_delete;
DROP TRIGGER data_version_tag_insert;
DROP TRIGGER data_version_tag_delete;

CREATE TRIGGER data_version_incident_insert AFTER INSERT ON incidents
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
    INSERT INTO incident_changes (incident_id, version)
        SELECT NEW.id, version FROM data_versions WHERE name = 'incidents'
        ON CONFLICT (incident_id) DO UPDATE SET version = excluded.version;
END;

CREATE TRIGGER data_version_incident_update AFTER UPDATE ON incidents
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
    INSERT INTO incident_changes (incident_id, version)
        SELECT NEW.id, version FROM data_versions WHERE name = 'incidents'
        ON CONFLICT (incident_id) DO UPDATE SET version = excluded.version;
    INSERT INTO incident_changes (incident_id, version)
        SELECT OLD.id, version FROM data_versions WHERE name = 'incidents' AND OLD.id <> NEW.id
        ON CONFLICT (incident_id) DO UPDATE SET version = excluded.version;
END;

CREATE TRIGGER data_version_incident_delete AFTER DELETE ON incidents
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
    INSERT INTO incident_changes (incident_id, version)
        SELECT OLD.id, version FROM data_versions WHERE name = 'incidents'
        ON CONFLICT (incident_id) DO UPDATE SET version = excluded.version;
END;

CREATE TRIGGER data_version_observation_insert AFTER INSERT ON observations
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
    INSERT INTO incident_changes (incident_id, version)
        SELECT NEW.incident_id, version FROM data_versions WHERE name = 'incidents'
        ON CONFLICT (incident_id) DO UPDATE SET version = excluded.version;
END;

CREATE TRIGGER data_version_observation_update AFTER UPDATE ON observations
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
    INSERT INTO incident_changes (incident_id, version)
        SELECT NEW.incident_id, version FROM data_versions WHERE name = 'incidents'
        ON CONFLICT (incident_id) DO UPDATE SET version = excluded.version;
    INSERT INTO incident_changes (incident_id, version)
        SELECT OLD.incident_id, version FROM data_versions
        WHERE name = 'incidents' AND OLD.incident_id <> NEW.incident_id
        ON CONFLICT (incident_id) DO UPDATE SET version = excluded.version;
END;

CREATE TRIGGER data_version_observation_delete AFTER DELETE ON observations
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
    INSERT INTO incident_changes (incident_id, version)
        SELECT OLD.incident_id, version FROM data_versions WHERE name = 'incidents'
        ON CONFLICT (incident_id) DO UPDATE SET version = excluded.version;
END;

CREATE TRIGGER data_version_tag_insert AFTER INSERT ON incident_tags
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
    INSERT INTO incident_changes (incident_id, version)
        SELECT NEW.incident_id, version FROM data_versions WHERE name = 'incidents'
        ON CONFLICT (incident_id) DO UPDATE SET version = excluded.version;
END;

CREATE TRIGGER data_version_tag_delete AFTER DELETE ON incident_tags
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
    INSERT INTO incident_changes (incident_id, version)
        SELECT OLD.incident_id, version FROM data_versions WHERE name = 'incidents'
        ON CONFLICT (incident_id) DO UPDATE SET version = excluded.version;
END;
