-- PostgreSQL twin of migrations/sqlite/0001_atlas.sql (see migrations/README.md):
-- the same tables, columns and indexes. Integers are BIGINT (what i64 decodes
-- from), text compares byte-wise like SQLite's (COLLATE "C"), so ordering and
-- range filters on IDs give the same rows on both backends.

CREATE TABLE atlas_releases (
    version          TEXT COLLATE "C" PRIMARY KEY,
    name             TEXT COLLATE "C" NOT NULL,
    format           TEXT COLLATE "C" NOT NULL,
    source           TEXT COLLATE "C" NOT NULL,
    content_hash     TEXT COLLATE "C" NOT NULL,
    imported_at      TEXT COLLATE "C" NOT NULL,
    is_active        BOOLEAN NOT NULL DEFAULT FALSE,
    has_descriptions BOOLEAN NOT NULL
);

-- At most one active release.
CREATE UNIQUE INDEX atlas_releases_one_active ON atlas_releases (is_active) WHERE is_active;

CREATE TABLE atlas_tactics (
    release_version TEXT COLLATE "C" NOT NULL REFERENCES atlas_releases (version) ON DELETE CASCADE,
    id              TEXT COLLATE "C" NOT NULL,
    position        BIGINT NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    description     TEXT COLLATE "C",
    attack_id       TEXT COLLATE "C",
    attack_url      TEXT COLLATE "C",
    PRIMARY KEY (release_version, id)
);

CREATE TABLE atlas_techniques (
    release_version TEXT COLLATE "C" NOT NULL REFERENCES atlas_releases (version) ON DELETE CASCADE,
    id              TEXT COLLATE "C" NOT NULL,
    position        BIGINT NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    description     TEXT COLLATE "C",
    parent_id       TEXT COLLATE "C",
    maturity        TEXT COLLATE "C",
    attack_id       TEXT COLLATE "C",
    attack_url      TEXT COLLATE "C",
    PRIMARY KEY (release_version, id)
);

CREATE INDEX atlas_techniques_by_id ON atlas_techniques (id);

CREATE TABLE atlas_technique_tactics (
    release_version TEXT COLLATE "C" NOT NULL,
    technique_id    TEXT COLLATE "C" NOT NULL,
    tactic_id       TEXT COLLATE "C" NOT NULL,
    position        BIGINT NOT NULL,
    PRIMARY KEY (release_version, technique_id, tactic_id),
    FOREIGN KEY (release_version, technique_id)
        REFERENCES atlas_techniques (release_version, id) ON DELETE CASCADE,
    FOREIGN KEY (release_version, tactic_id)
        REFERENCES atlas_tactics (release_version, id) ON DELETE CASCADE
);

CREATE TABLE atlas_mitigations (
    release_version TEXT COLLATE "C" NOT NULL REFERENCES atlas_releases (version) ON DELETE CASCADE,
    id              TEXT COLLATE "C" NOT NULL,
    position        BIGINT NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    description     TEXT COLLATE "C",
    PRIMARY KEY (release_version, id)
);

CREATE TABLE atlas_mitigation_techniques (
    release_version TEXT COLLATE "C" NOT NULL,
    mitigation_id   TEXT COLLATE "C" NOT NULL,
    position        BIGINT NOT NULL,
    technique_id    TEXT COLLATE "C" NOT NULL,
    usage           TEXT COLLATE "C",
    PRIMARY KEY (release_version, mitigation_id, position),
    FOREIGN KEY (release_version, mitigation_id)
        REFERENCES atlas_mitigations (release_version, id) ON DELETE CASCADE
);

CREATE TABLE atlas_case_studies (
    release_version           TEXT COLLATE "C" NOT NULL REFERENCES atlas_releases (version) ON DELETE CASCADE,
    id                        TEXT COLLATE "C" NOT NULL,
    position                  BIGINT NOT NULL,
    name                      TEXT COLLATE "C" NOT NULL,
    summary                   TEXT COLLATE "C",
    incident_date             TEXT COLLATE "C",
    incident_date_granularity TEXT COLLATE "C",
    target                    TEXT COLLATE "C",
    actor                     TEXT COLLATE "C",
    reporter                  TEXT COLLATE "C",
    case_study_type           TEXT COLLATE "C",
    PRIMARY KEY (release_version, id)
);

CREATE TABLE atlas_case_study_references (
    release_version TEXT COLLATE "C" NOT NULL,
    case_study_id   TEXT COLLATE "C" NOT NULL,
    position        BIGINT NOT NULL,
    title           TEXT COLLATE "C",
    url             TEXT COLLATE "C",
    PRIMARY KEY (release_version, case_study_id, position),
    FOREIGN KEY (release_version, case_study_id)
        REFERENCES atlas_case_studies (release_version, id) ON DELETE CASCADE
);

CREATE TABLE atlas_case_study_steps (
    release_version TEXT COLLATE "C" NOT NULL,
    case_study_id   TEXT COLLATE "C" NOT NULL,
    position        BIGINT NOT NULL,
    tactic_id       TEXT COLLATE "C" NOT NULL,
    technique_id    TEXT COLLATE "C" NOT NULL,
    description     TEXT COLLATE "C",
    PRIMARY KEY (release_version, case_study_id, position),
    FOREIGN KEY (release_version, case_study_id)
        REFERENCES atlas_case_studies (release_version, id) ON DELETE CASCADE
);
