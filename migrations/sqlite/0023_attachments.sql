-- Attachments (issue #16): files on an incident or one of its steps. The
-- content is kept once per SHA-256 in `attachment_blobs`, however many
-- attachments hold it; `attachments` says what was attached where, by whom.
-- Portable SQL: application IDs, RFC 3339 text times. BYTEA is PostgreSQL's
-- binary type; SQLite takes the name as it is and stores a bound blob
-- unchanged (only text values are ever converted by a column's affinity).

CREATE TABLE attachment_blobs (
    sha256     TEXT PRIMARY KEY,
    size       BIGINT NOT NULL,
    content    BYTEA NOT NULL,
    created_at TEXT NOT NULL
);

-- `file_name` is the name given, made safe to show (no path, no control
-- characters); `media_type` the type the uploader declared, shown but never
-- used to serve the file. A removed attachment keeps its row (name, hash,
-- who removed it and when); its content goes once no attachment holds it.
CREATE TABLE attachments (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    step_id     TEXT REFERENCES observations (id) ON DELETE SET NULL,
    file_name   TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    removed_at  TEXT,
    removed_by  TEXT
);

CREATE INDEX attachments_by_incident ON attachments (incident_id, uploaded_at);
CREATE INDEX attachments_by_sha256 ON attachments (sha256);
