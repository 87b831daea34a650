-- PostgreSQL twin of migrations/sqlite/0013_list_order_indexes.sql: indexes
-- in the exact orders of the incident list. `(occurred_at IS NULL)` sorts
-- false first on both backends, so undated incidents come last on both.

CREATE INDEX incidents_by_occurred_desc ON incidents ((occurred_at IS NULL), occurred_at DESC, id);
CREATE INDEX incidents_by_occurred_asc ON incidents ((occurred_at IS NULL), occurred_at, id);
CREATE INDEX incidents_by_updated_desc ON incidents (updated_at DESC, id);
CREATE INDEX incidents_by_title ON incidents (LOWER(title), id);
