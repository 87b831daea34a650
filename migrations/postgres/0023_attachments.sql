-- PostgreSQL twin of migrations/sqlite/0023_attachments.sql: files on an
-- incident or a step, their content kept once per SHA-256 (BYTEA).

CREATE TABLE attachment_blobs (
    sha256     TEXT COLLATE "C" PRIMARY KEY,
    size       BIGINT NOT NULL,
    content    BYTEA NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE attachments (
    id          TEXT COLLATE "C" PRIMARY KEY,
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    step_id     TEXT COLLATE "C" REFERENCES observations (id) ON DELETE SET NULL,
    file_name   TEXT COLLATE "C" NOT NULL,
    media_type  TEXT COLLATE "C" NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT COLLATE "C" NOT NULL,
    uploaded_at TEXT COLLATE "C" NOT NULL,
    uploaded_by TEXT COLLATE "C" NOT NULL,
    removed_at  TEXT COLLATE "C",
    removed_by  TEXT COLLATE "C"
);

CREATE INDEX attachments_by_incident ON attachments (incident_id, uploaded_at);
CREATE INDEX attachments_by_sha256 ON attachments (sha256);
