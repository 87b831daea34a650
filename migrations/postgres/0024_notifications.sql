-- PostgreSQL twin of migrations/sqlite/0024_notifications.sql: what each
-- user follows, their notifications, and the e-mail outbox.

ALTER TABLE users ADD COLUMN email TEXT COLLATE "C";

CREATE TABLE notification_preferences (
    username   TEXT COLLATE "C" NOT NULL,
    kind       TEXT COLLATE "C" NOT NULL,
    follow     BOOLEAN NOT NULL,
    by_email   BOOLEAN NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (username, kind)
);

CREATE INDEX notification_preferences_by_kind ON notification_preferences (kind, follow);

CREATE TABLE notifications (
    id          TEXT COLLATE "C" PRIMARY KEY,
    username    TEXT COLLATE "C" NOT NULL,
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind        TEXT COLLATE "C" NOT NULL,
    event_id    TEXT COLLATE "C" REFERENCES incident_events (id) ON DELETE SET NULL,
    subject     TEXT COLLATE "C" NOT NULL DEFAULT '',
    summary     TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL,
    read_at     TEXT COLLATE "C"
);

CREATE INDEX notifications_unread ON notifications (username, read_at);
CREATE INDEX notifications_by_user ON notifications (username, created_at);

CREATE INDEX incident_events_by_actor ON incident_events (incident_id, actor);

ALTER TABLE incident_tasks ADD COLUMN due_notified_on TEXT COLLATE "C";

CREATE TABLE email_outbox (
    id              TEXT COLLATE "C" PRIMARY KEY,
    notification_id TEXT COLLATE "C" REFERENCES notifications (id) ON DELETE SET NULL,
    incident_id     TEXT COLLATE "C" NOT NULL,
    to_address      TEXT COLLATE "C" NOT NULL,
    subject         TEXT COLLATE "C" NOT NULL,
    body            TEXT COLLATE "C" NOT NULL,
    status          TEXT COLLATE "C" NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT COLLATE "C" NOT NULL,
    last_error      TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at      TEXT COLLATE "C" NOT NULL,
    sent_at         TEXT COLLATE "C"
);

CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
