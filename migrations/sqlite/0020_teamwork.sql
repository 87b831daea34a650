-- Working an incident as a team (issue #16): who owns it and who takes part,
-- what happened to it (the activity timeline), what was said (comments) and
-- what is left to do (tasks). Portable SQL: application IDs, RFC 3339 text
-- times, no SQLite-only syntax.

-- The owner (at most one per incident, `is_owner`) and the participants.
CREATE TABLE incident_members (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    username    TEXT NOT NULL,
    is_owner    BOOLEAN NOT NULL DEFAULT FALSE,
    added_at    TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    PRIMARY KEY (incident_id, username)
);

CREATE UNIQUE INDEX incident_members_one_owner ON incident_members (incident_id) WHERE is_owner;
CREATE INDEX incident_members_by_user ON incident_members (username, incident_id);

-- Every change to an incident as one readable event, written in the same
-- transaction as the change. `seq` orders an incident's events (times may tie).
-- `subject` is what the event is about: a field name, a step, comment or task ID.
CREATE TABLE incident_events (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    old_value   TEXT NOT NULL DEFAULT '',
    new_value   TEXT NOT NULL DEFAULT '',
    UNIQUE (incident_id, seq)
);

-- Comments (Markdown). A removed comment keeps its row, without its text:
-- the timeline says who removed it and when.
CREATE TABLE incident_comments (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    edited_at   TEXT,
    removed_at  TEXT,
    removed_by  TEXT
);

CREATE INDEX incident_comments_by_incident ON incident_comments (incident_id, created_at);

-- Follow-up work. `origin` is 'manual' or 'retrospective' (an item of the
-- retrospective's "Actions" list, kept once by its text in `origin_key`).
CREATE TABLE incident_tasks (
    id            TEXT PRIMARY KEY,
    incident_id   TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    owner         TEXT,
    due_on        TEXT,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    mitigation_id TEXT,
    step_id       TEXT REFERENCES observations (id) ON DELETE SET NULL,
    origin        TEXT NOT NULL DEFAULT 'manual',
    origin_key    TEXT,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    done_at       TEXT,
    done_by       TEXT,
    UNIQUE (incident_id, origin, origin_key)
);

CREATE INDEX incident_tasks_by_incident ON incident_tasks (incident_id, created_at);
CREATE INDEX incident_tasks_by_owner ON incident_tasks (owner, status, due_on);
CREATE INDEX incident_tasks_by_due ON incident_tasks (status, due_on);
