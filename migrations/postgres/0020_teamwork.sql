-- PostgreSQL twin of migrations/sqlite/0020_teamwork.sql: owner and
-- participants, the activity timeline, comments and tasks.

CREATE TABLE incident_members (
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    username    TEXT COLLATE "C" NOT NULL,
    is_owner    BOOLEAN NOT NULL DEFAULT FALSE,
    added_at    TEXT COLLATE "C" NOT NULL,
    added_by    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (incident_id, username)
);

CREATE UNIQUE INDEX incident_members_one_owner ON incident_members (incident_id) WHERE is_owner;
CREATE INDEX incident_members_by_user ON incident_members (username, incident_id);

CREATE TABLE incident_events (
    id          TEXT COLLATE "C" PRIMARY KEY,
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    at          TEXT COLLATE "C" NOT NULL,
    actor       TEXT COLLATE "C" NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    subject     TEXT COLLATE "C" NOT NULL DEFAULT '',
    old_value   TEXT COLLATE "C" NOT NULL DEFAULT '',
    new_value   TEXT COLLATE "C" NOT NULL DEFAULT '',
    UNIQUE (incident_id, seq)
);

CREATE TABLE incident_comments (
    id          TEXT COLLATE "C" PRIMARY KEY,
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    author      TEXT COLLATE "C" NOT NULL,
    body        TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL,
    edited_at   TEXT COLLATE "C",
    removed_at  TEXT COLLATE "C",
    removed_by  TEXT COLLATE "C"
);

CREATE INDEX incident_comments_by_incident ON incident_comments (incident_id, created_at);

CREATE TABLE incident_tasks (
    id            TEXT COLLATE "C" PRIMARY KEY,
    incident_id   TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    title         TEXT COLLATE "C" NOT NULL,
    owner         TEXT COLLATE "C",
    due_on        TEXT COLLATE "C",
    status        TEXT COLLATE "C" NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    mitigation_id TEXT COLLATE "C",
    step_id       TEXT COLLATE "C" REFERENCES observations (id) ON DELETE SET NULL,
    origin        TEXT COLLATE "C" NOT NULL DEFAULT 'manual',
    origin_key    TEXT COLLATE "C",
    created_at    TEXT COLLATE "C" NOT NULL,
    created_by    TEXT COLLATE "C" NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL,
    done_at       TEXT COLLATE "C",
    done_by       TEXT COLLATE "C",
    UNIQUE (incident_id, origin, origin_key)
);

CREATE INDEX incident_tasks_by_incident ON incident_tasks (incident_id, created_at);
CREATE INDEX incident_tasks_by_owner ON incident_tasks (owner, status, due_on);
CREATE INDEX incident_tasks_by_due ON incident_tasks (status, due_on);
