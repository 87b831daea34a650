-- PostgreSQL twin of migrations/sqlite/0002_incidents.sql: incidents and
-- their ordered observations. Times stay RFC 3339 UTC text, as in SQLite, so
-- they sort and range-filter as text on both (COLLATE "C": byte order).

CREATE TABLE incidents (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    title                TEXT COLLATE "C" NOT NULL,
    summary              TEXT COLLATE "C" NOT NULL DEFAULT '',
    kind                 TEXT COLLATE "C" NOT NULL,
    severity             TEXT COLLATE "C" NOT NULL,
    status               TEXT COLLATE "C" NOT NULL,
    occurred_at          TEXT COLLATE "C",
    occurred_precision   TEXT COLLATE "C",
    detected_at          TEXT COLLATE "C",
    detected_precision   TEXT COLLATE "C",
    resolved_at          TEXT COLLATE "C",
    resolved_precision   TEXT COLLATE "C",
    target               TEXT COLLATE "C" NOT NULL DEFAULT '',
    actor                TEXT COLLATE "C" NOT NULL DEFAULT '',
    reporter             TEXT COLLATE "C" NOT NULL DEFAULT '',
    atlas_release        TEXT COLLATE "C" NOT NULL,
    -- Where an imported incident came from (e.g. the case study ID), for idempotent re-import.
    source_ref           TEXT COLLATE "C" UNIQUE,
    created_at           TEXT COLLATE "C" NOT NULL,
    updated_at           TEXT COLLATE "C" NOT NULL,
    version              BIGINT NOT NULL DEFAULT 1
);

CREATE INDEX incidents_by_occurred ON incidents (occurred_at);
CREATE INDEX incidents_by_updated ON incidents (updated_at);
CREATE INDEX incidents_by_status ON incidents (status, severity);

CREATE TABLE incident_tags (
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tag         TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (incident_id, tag)
);

CREATE INDEX incident_tags_by_tag ON incident_tags (tag);

CREATE TABLE incident_references (
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    title       TEXT COLLATE "C" NOT NULL DEFAULT '',
    url         TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, position)
);

CREATE TABLE observations (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    incident_id        TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position           BIGINT NOT NULL,
    tactic_id          TEXT COLLATE "C" NOT NULL,
    technique_id       TEXT COLLATE "C" NOT NULL,
    observed_at        TEXT COLLATE "C",
    observed_precision TEXT COLLATE "C",
    description        TEXT COLLATE "C" NOT NULL DEFAULT '',
    evidence           TEXT COLLATE "C" NOT NULL DEFAULT '',
    confidence         BIGINT,
    outcome            TEXT COLLATE "C" NOT NULL DEFAULT 'unknown',
    source             TEXT COLLATE "C" NOT NULL DEFAULT 'manual',
    created_at         TEXT COLLATE "C" NOT NULL,
    updated_at         TEXT COLLATE "C" NOT NULL
);

CREATE INDEX observations_by_incident ON observations (incident_id, position);
CREATE INDEX observations_by_technique ON observations (technique_id, tactic_id);
