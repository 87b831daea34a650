-- A counter bumped by every change to incidents, their steps and their tags,
-- so readers can cache what they derive from them (the matrix aggregate)
-- and know with one primary-key read whether the cache still holds.
-- Kept by triggers, so writes from every path (web, API, CLI, another
-- process on the same database) bump it.

CREATE TABLE data_versions (
    name    TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);

INSERT INTO data_versions (name, version) VALUES ('incidents', 0);

CREATE TRIGGER data_version_incident_insert AFTER INSERT ON incidents
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_incident_update AFTER UPDATE ON incidents
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_incident_delete AFTER DELETE ON incidents
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_observation_insert AFTER INSERT ON observations
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_observation_update AFTER UPDATE ON observations
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_observation_delete AFTER DELETE ON observations
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_tag_insert AFTER INSERT ON incident_tags
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_tag_delete AFTER DELETE ON incident_tags
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;
