-- PostgreSQL twin of migrations/sqlite/0005_retrospectives.sql: the
-- post-incident review (optimistic version) and its mitigation checklist.

CREATE TABLE incident_retrospectives (
    incident_id TEXT COLLATE "C" PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    went_well   TEXT COLLATE "C" NOT NULL DEFAULT '',
    to_improve  TEXT COLLATE "C" NOT NULL DEFAULT '',
    actions     TEXT COLLATE "C" NOT NULL DEFAULT '',
    version     BIGINT NOT NULL DEFAULT 1,
    updated_at  TEXT COLLATE "C" NOT NULL,
    updated_by  TEXT COLLATE "C" NOT NULL DEFAULT ''
);

CREATE TABLE incident_mitigations (
    incident_id   TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    mitigation_id TEXT COLLATE "C" NOT NULL,
    in_place      BOOLEAN NOT NULL DEFAULT FALSE,
    note          TEXT COLLATE "C" NOT NULL DEFAULT '',
    updated_at    TEXT COLLATE "C" NOT NULL,
    updated_by    TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, mitigation_id)
);
