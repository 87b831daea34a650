-- PostgreSQL twin of migrations/sqlite/0026_tag_counts.sql: how many
-- incidents carry each tag, kept in the write's own transaction. The tag
-- typeahead reads a prefix range (`tag >= $1 AND tag < $1 || U+10FFFF`):
-- COLLATE "C" orders by bytes (code points), as SQLite does.
-- (ON CONFLICT … SET needs the table's name on the existing row's column
-- here: PostgreSQL finds a bare `incidents` ambiguous with `excluded`.)

CREATE TABLE tag_counts (
    tag       TEXT COLLATE "C" PRIMARY KEY,
    incidents BIGINT NOT NULL
);

CREATE INDEX tag_counts_by_use ON tag_counts (incidents DESC, tag);

INSERT INTO tag_counts (tag, incidents)
SELECT tag, COUNT(*) FROM incident_tags GROUP BY tag;

CREATE FUNCTION tag_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE tag_counts SET incidents = incidents - 1 WHERE tag = OLD.tag;
        DELETE FROM tag_counts WHERE tag = OLD.tag AND incidents <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO tag_counts (tag, incidents) VALUES (NEW.tag, 1)
        ON CONFLICT (tag) DO UPDATE SET incidents = tag_counts.incidents + 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tag_counts_insert AFTER INSERT ON incident_tags
    FOR EACH ROW EXECUTE FUNCTION tag_counts_change();

-- Also fired by the cascade when an incident is deleted.
CREATE TRIGGER tag_counts_delete AFTER DELETE ON incident_tags
    FOR EACH ROW EXECUTE FUNCTION tag_counts_change();

-- Tags are written by insert and delete; an update (none today) counts as both.
CREATE TRIGGER tag_counts_update AFTER UPDATE OF tag ON incident_tags
    FOR EACH ROW EXECUTE FUNCTION tag_counts_change();
