-- PostgreSQL twin of migrations/sqlite/0014_report_data_version.sql: a
-- change to a retrospective or its mitigation checklist bumps the data
-- version too (data_version_bump, migration 0004).

CREATE TRIGGER data_version_retrospective_insert AFTER INSERT ON incident_retrospectives
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_retrospective_update AFTER UPDATE ON incident_retrospectives
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_retrospective_delete AFTER DELETE ON incident_retrospectives
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_mitigation_insert AFTER INSERT ON incident_mitigations
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_mitigation_update AFTER UPDATE ON incident_mitigations
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
CREATE TRIGGER data_version_mitigation_delete AFTER DELETE ON incident_mitigations
    FOR EACH ROW EXECUTE FUNCTION data_version_bump();
