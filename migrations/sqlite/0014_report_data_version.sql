-- The briefing shows the actions of the team's retrospectives and the
-- dashboard and briefing are cached per data version (see
-- src/web/response_cache.rs): a change to a retrospective or its mitigation
-- checklist bumps the version too, so no cached report outlives it.

CREATE TRIGGER data_version_retrospective_insert AFTER INSERT ON incident_retrospectives
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_retrospective_update AFTER UPDATE ON incident_retrospectives
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_retrospective_delete AFTER DELETE ON incident_retrospectives
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_mitigation_insert AFTER INSERT ON incident_mitigations
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_mitigation_update AFTER UPDATE ON incident_mitigations
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_mitigation_delete AFTER DELETE ON incident_mitigations
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;
