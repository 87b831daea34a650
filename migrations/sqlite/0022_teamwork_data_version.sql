-- The dashboard shows owners and overdue tasks and the briefing counts open and
-- overdue tasks; both are cached per data version (src/web/response_cache.rs,
-- migration 0014). A change to an incident's members or tasks bumps the
-- version too, so no cached report outlives it.

CREATE TRIGGER data_version_member_insert AFTER INSERT ON incident_members
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_member_update AFTER UPDATE ON incident_members
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_member_delete AFTER DELETE ON incident_members
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_task_insert AFTER INSERT ON incident_tasks
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_task_update AFTER UPDATE ON incident_tasks
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;

CREATE TRIGGER data_version_task_delete AFTER DELETE ON incident_tasks
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'incidents';
END;
