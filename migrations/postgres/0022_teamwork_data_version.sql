-- PostgreSQL twin of migrations/sqlite/0022_teamwork_data_version.sql: a
-- change to an incident's members or tasks bumps the data version too.

CREATE TRIGGER data_version_member_insert AFTER INSERT ON incident_members
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_member_update AFTER UPDATE ON incident_members
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_member_delete AFTER DELETE ON incident_members
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_task_insert AFTER INSERT ON incident_tasks
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_task_update AFTER UPDATE ON incident_tasks
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_task_delete AFTER DELETE ON incident_tasks
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
