-- ATLAS knowledge base: every stored release keeps its own rows, keyed by
-- (release_version, ATLAS ID), so a technique that vanished from a newer
-- release is still found in the older one. Portable SQL (SQLite and PostgreSQL).

CREATE TABLE atlas_releases (
    version          TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    format           TEXT NOT NULL,
    source           TEXT NOT NULL,
    content_hash     TEXT NOT NULL,
    imported_at      TEXT NOT NULL,
    is_active        BOOLEAN NOT NULL DEFAULT FALSE,
    has_descriptions BOOLEAN NOT NULL
);

-- At most one active release.
CREATE UNIQUE INDEX atlas_releases_one_active ON atlas_releases (is_active) WHERE is_active;

CREATE TABLE atlas_tactics (
    release_version TEXT NOT NULL REFERENCES atlas_releases (version) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    description     TEXT,
    attack_id       TEXT,
    attack_url      TEXT,
    PRIMARY KEY (release_version, id)
);

CREATE TABLE atlas_techniques (
    release_version TEXT NOT NULL REFERENCES atlas_releases (version) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    description     TEXT,
    parent_id       TEXT,
    maturity        TEXT,
    attack_id       TEXT,
    attack_url      TEXT,
    PRIMARY KEY (release_version, id)
);

CREATE INDEX atlas_techniques_by_id ON atlas_techniques (id);

CREATE TABLE atlas_technique_tactics (
    release_version TEXT NOT NULL,
    technique_id    TEXT NOT NULL,
    tactic_id       TEXT NOT NULL,
    position        INTEGER NOT NULL,
    PRIMARY KEY (release_version, technique_id, tactic_id),
    FOREIGN KEY (release_version, technique_id)
        REFERENCES atlas_techniques (release_version, id) ON DELETE CASCADE,
    FOREIGN KEY (release_version, tactic_id)
        REFERENCES atlas_tactics (release_version, id) ON DELETE CASCADE
);

CREATE TABLE atlas_mitigations (
    release_version TEXT NOT NULL REFERENCES atlas_releases (version) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    description     TEXT,
    PRIMARY KEY (release_version, id)
);

CREATE TABLE atlas_mitigation_techniques (
    release_version TEXT NOT NULL,
    mitigation_id   TEXT NOT NULL,
    position        INTEGER NOT NULL,
    technique_id    TEXT NOT NULL,
    usage           TEXT,
    PRIMARY KEY (release_version, mitigation_id, position),
    FOREIGN KEY (release_version, mitigation_id)
        REFERENCES atlas_mitigations (release_version, id) ON DELETE CASCADE
);

CREATE TABLE atlas_case_studies (
    release_version           TEXT NOT NULL REFERENCES atlas_releases (version) ON DELETE CASCADE,
    id                        TEXT NOT NULL,
    position                  INTEGER NOT NULL,
    name                      TEXT NOT NULL,
    summary                   TEXT,
    incident_date             TEXT,
    incident_date_granularity TEXT,
    target                    TEXT,
    actor                     TEXT,
    reporter                  TEXT,
    case_study_type           TEXT,
    PRIMARY KEY (release_version, id)
);

CREATE TABLE atlas_case_study_references (
    release_version TEXT NOT NULL,
    case_study_id   TEXT NOT NULL,
    position        INTEGER NOT NULL,
    title           TEXT,
    url             TEXT,
    PRIMARY KEY (release_version, case_study_id, position),
    FOREIGN KEY (release_version, case_study_id)
        REFERENCES atlas_case_studies (release_version, id) ON DELETE CASCADE
);

CREATE TABLE atlas_case_study_steps (
    release_version TEXT NOT NULL,
    case_study_id   TEXT NOT NULL,
    position        INTEGER NOT NULL,
    tactic_id       TEXT NOT NULL,
    technique_id    TEXT NOT NULL,
    description     TEXT,
    PRIMARY KEY (release_version, case_study_id, position),
    FOREIGN KEY (release_version, case_study_id)
        REFERENCES atlas_case_studies (release_version, id) ON DELETE CASCADE
);
