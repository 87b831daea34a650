-- PostgreSQL twin of migrations/sqlite/0031_release_data_version.sql: a
-- counter bumped by every change to the stored ATLAS releases, so every node
-- sees with one primary-key read per request that its loaded release is stale.

INSERT INTO data_versions (name, version) VALUES ('atlas', 0);

CREATE FUNCTION data_version_release_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'atlas';
    RETURN NULL;
END;
$$;

CREATE TRIGGER data_version_release_insert AFTER INSERT ON atlas_releases
    FOR EACH ROW EXECUTE FUNCTION data_version_release_bump();
CREATE TRIGGER data_version_release_update AFTER UPDATE ON atlas_releases
    FOR EACH ROW EXECUTE FUNCTION data_version_release_bump();
CREATE TRIGGER data_version_release_delete AFTER DELETE ON atlas_releases
    FOR EACH ROW EXECUTE FUNCTION data_version_release_bump();
