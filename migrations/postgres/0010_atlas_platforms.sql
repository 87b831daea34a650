-- PostgreSQL twin of migrations/sqlite/0010_atlas_platforms.sql: the
-- platforms a technique applies to, per release, in source order.

CREATE TABLE atlas_technique_platforms (
    release_version TEXT COLLATE "C" NOT NULL,
    technique_id    TEXT COLLATE "C" NOT NULL,
    position        BIGINT NOT NULL,
    platform        TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (release_version, technique_id, position),
    FOREIGN KEY (release_version, technique_id)
        REFERENCES atlas_techniques (release_version, id) ON DELETE CASCADE
);
