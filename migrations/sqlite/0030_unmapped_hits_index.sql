-- The unmapped queue reads only hits with `mapped = FALSE`, a handful among
-- millions; the index over every hit by (mapped, technique) cost each alert
-- an index insert for nothing (issue 15). A partial index holds only the
-- unmapped ones.
DROP INDEX alert_hits_by_mapped;
CREATE INDEX alert_hits_unmapped ON alert_hits (technique_id) WHERE mapped = FALSE;
