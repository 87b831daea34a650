-- PostgreSQL twin of migrations/sqlite/0030_unmapped_hits_index.sql: a
-- partial index holds only the unmapped hits (the queue reads
-- `mapped = FALSE`, which this predicate answers).
DROP INDEX alert_hits_by_mapped;
CREATE INDEX alert_hits_unmapped ON alert_hits (technique_id) WHERE mapped = FALSE;
