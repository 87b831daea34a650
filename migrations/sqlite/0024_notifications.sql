-- Notifications (issue #16): what each user follows, what they were told
-- (in the app), and the e-mails waiting for the SMTP relay. Derived from the
-- activity events, in the same transaction as each event. Portable SQL:
-- application IDs, RFC 3339 text times, no SQLite-only syntax.

-- Where a user's e-mails go (none: in-app only).
ALTER TABLE users ADD COLUMN email TEXT;

-- A row per kind the user changed from its default (domain::notification).
CREATE TABLE notification_preferences (
    username   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    follow     BOOLEAN NOT NULL,
    by_email   BOOLEAN NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (username, kind)
);

CREATE INDEX notification_preferences_by_kind ON notification_preferences (kind, follow);

-- One notification of one user. `event_id` is the activity event it came
-- from (none for a task falling due); `subject` what it is about (a task ID).
CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    username    TEXT NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    event_id    TEXT REFERENCES incident_events (id) ON DELETE SET NULL,
    subject     TEXT NOT NULL DEFAULT '',
    summary     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);

-- The badge counts a user's unread ones; the inbox lists theirs newest first.
CREATE INDEX notifications_unread ON notifications (username, read_at);
CREATE INDEX notifications_by_user ON notifications (username, created_at);

-- Who has worked on an incident (they are told of what follows).
CREATE INDEX incident_events_by_actor ON incident_events (incident_id, actor);

-- A task's due date its owner was told about, so each due date is told once.
ALTER TABLE incident_tasks ADD COLUMN due_notified_on TEXT;

-- E-mails waiting for (or sent through) the SMTP relay, queued with their
-- notification so a slow or absent relay never holds up a request.
-- `status`: pending, sending (claimed by the sender), sent or failed (after
-- the last attempt, or too old to be worth sending); `attempts` so far.
CREATE TABLE email_outbox (
    id              TEXT PRIMARY KEY,
    notification_id TEXT REFERENCES notifications (id) ON DELETE SET NULL,
    incident_id     TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);

CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
