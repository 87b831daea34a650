-- PostgreSQL twin of migrations/sqlite/0004_data_version.sql: a counter
-- bumped by every change to incidents, their steps and their tags, kept by
-- triggers (one plpgsql function, row triggers of SQLite's names), so every
-- write path and every node bumps it in the writing transaction.

CREATE TABLE data_versions (
    name    TEXT COLLATE "C" PRIMARY KEY,
    version BIGINT NOT NULL
);

INSERT INTO data_versions (name, version) VALUES ('incidents', 0);

CREATE FUNCTION data_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
    RETURN NULL;
END;
$$;

CREATE TRIGGER data_version_incident_insert AFTER INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_incident_update AFTER UPDATE ON incidents
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_incident_delete AFTER DELETE ON incidents
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_observation_insert AFTER INSERT ON observations
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_observation_update AFTER UPDATE ON observations
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_observation_delete AFTER DELETE ON observations
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_tag_insert AFTER INSERT ON incident_tags
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_tag_delete AFTER DELETE ON incident_tags
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
