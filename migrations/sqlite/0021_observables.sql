-- Observables (issue #16): typed, normalised values seen in an incident or
-- one of its steps (hashes, IPs, domains, URLs, accounts, model and dataset
-- names, prompt fingerprints, file names). The same (kind, value) in two
-- incidents links them. `origin` is 'manual' or 'alert' (filled by ingestion).

CREATE TABLE observables (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    step_id     TEXT REFERENCES observations (id) ON DELETE SET NULL,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    origin      TEXT NOT NULL DEFAULT 'manual',
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    UNIQUE (incident_id, kind, value)
);

CREATE INDEX observables_by_value ON observables (kind, value, incident_id);
