-- A counter bumped by every change to the stored ATLAS releases (an import,
-- a replacement, a switch of the active one), so every server on the
-- database (another node, or a server beside the CLI that imported) sees
-- with one primary-key read per request that its loaded release is stale.

INSERT INTO data_versions (name, version) VALUES ('atlas', 0);

CREATE TRIGGER data_version_release_insert AFTER INSERT ON atlas_releases
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'atlas';
END;

CREATE TRIGGER data_version_release_update AFTER UPDATE ON atlas_releases
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'atlas';
END;

CREATE TRIGGER data_version_release_delete AFTER DELETE ON atlas_releases
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'atlas';
END;
