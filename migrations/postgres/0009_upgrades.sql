-- PostgreSQL twin of migrations/sqlite/0009_upgrades.sql: moving incidents
-- to a newer ATLAS release (overrides, applied upgrades, step history and
-- the steps flagged for review).

CREATE TABLE atlas_successor_overrides (
    technique_id TEXT COLLATE "C" PRIMARY KEY,
    successor_id TEXT COLLATE "C",
    release      TEXT COLLATE "C" NOT NULL DEFAULT '',
    note         TEXT COLLATE "C" NOT NULL DEFAULT '',
    updated_at   TEXT COLLATE "C" NOT NULL,
    updated_by   TEXT COLLATE "C" NOT NULL DEFAULT ''
);

-- `report`: JSON, kept as text (no SQL reads inside it).
CREATE TABLE atlas_upgrades (
    id         TEXT COLLATE "C" PRIMARY KEY,
    at         TEXT COLLATE "C" NOT NULL,
    actor      TEXT COLLATE "C" NOT NULL,
    to_release TEXT COLLATE "C" NOT NULL,
    incidents  BIGINT NOT NULL,
    steps      BIGINT NOT NULL,
    flagged    BIGINT NOT NULL,
    summary    TEXT COLLATE "C" NOT NULL,
    report     TEXT COLLATE "C" NOT NULL
);

CREATE INDEX atlas_upgrades_by_at ON atlas_upgrades (at);

CREATE TABLE step_history (
    id               TEXT COLLATE "C" PRIMARY KEY,
    step_id          TEXT COLLATE "C" NOT NULL REFERENCES observations (id) ON DELETE CASCADE,
    incident_id      TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    upgrade_id       TEXT COLLATE "C" NOT NULL REFERENCES atlas_upgrades (id),
    at               TEXT COLLATE "C" NOT NULL,
    change           TEXT COLLATE "C" NOT NULL,
    from_release     TEXT COLLATE "C" NOT NULL,
    to_release       TEXT COLLATE "C" NOT NULL,
    old_tactic_id    TEXT COLLATE "C" NOT NULL,
    old_technique_id TEXT COLLATE "C" NOT NULL,
    new_technique_id TEXT COLLATE "C" NOT NULL,
    note             TEXT COLLATE "C" NOT NULL DEFAULT ''
);

CREATE INDEX step_history_by_incident ON step_history (incident_id, at);

CREATE TABLE step_reviews (
    step_id         TEXT COLLATE "C" PRIMARY KEY REFERENCES observations (id) ON DELETE CASCADE,
    incident_id     TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    upgrade_id      TEXT COLLATE "C" NOT NULL REFERENCES atlas_upgrades (id),
    tactic_id       TEXT COLLATE "C" NOT NULL,
    technique_id    TEXT COLLATE "C" NOT NULL,
    reason          TEXT COLLATE "C" NOT NULL,
    message         TEXT COLLATE "C" NOT NULL,
    catalog_release TEXT COLLATE "C",
    created_at      TEXT COLLATE "C" NOT NULL
);

CREATE INDEX step_reviews_by_incident ON step_reviews (incident_id);
