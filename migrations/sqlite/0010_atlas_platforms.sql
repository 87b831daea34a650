-- Platforms a technique applies to (format 6.0.0: Predictive AI, Generative AI,
-- Agentic AI, Enterprise), per release, in the order the source lists them.
-- Portable SQL (SQLite and PostgreSQL).

CREATE TABLE atlas_technique_platforms (
    release_version TEXT NOT NULL,
    technique_id    TEXT NOT NULL,
    position        INTEGER NOT NULL,
    platform        TEXT NOT NULL,
    PRIMARY KEY (release_version, technique_id, position),
    FOREIGN KEY (release_version, technique_id)
        REFERENCES atlas_techniques (release_version, id) ON DELETE CASCADE
);
