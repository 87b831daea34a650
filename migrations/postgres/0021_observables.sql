-- PostgreSQL twin of migrations/sqlite/0021_observables.sql: typed,
-- normalised values seen in an incident or one of its steps.

CREATE TABLE observables (
    id          TEXT COLLATE "C" PRIMARY KEY,
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    step_id     TEXT COLLATE "C" REFERENCES observations (id) ON DELETE SET NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    value       TEXT COLLATE "C" NOT NULL,
    origin      TEXT COLLATE "C" NOT NULL DEFAULT 'manual',
    created_at  TEXT COLLATE "C" NOT NULL,
    created_by  TEXT COLLATE "C" NOT NULL,
    UNIQUE (incident_id, kind, value)
);

CREATE INDEX observables_by_value ON observables (kind, value, incident_id);
