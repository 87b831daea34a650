-- Indexes in the exact orders of the incident list (issue 14), so a page —
-- by OFFSET or after a keyset cursor — walks an index instead of sorting
-- every incident: newest first (the default), oldest first, recently
-- updated and by title. Expression indexes: SQLite and PostgreSQL alike.

CREATE INDEX incidents_by_occurred_desc ON incidents ((occurred_at IS NULL), occurred_at DESC, id);
CREATE INDEX incidents_by_occurred_asc ON incidents ((occurred_at IS NULL), occurred_at, id);
CREATE INDEX incidents_by_updated_desc ON incidents (updated_at DESC, id);
CREATE INDEX incidents_by_title ON incidents (LOWER(title), id);
