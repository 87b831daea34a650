-- Webhooks out (issue #17, item 6): the hooks admins register, the
-- deliveries waiting for (or done by) the sender, and every attempt made.
-- A delivery is queued on the transaction of the change it tells of (an
-- outbox), so nothing is lost and nothing is sent for a rolled-back change.
-- Portable SQL: application IDs, RFC 3339 text times.

-- `events`: the event names subscribed to, space-separated. `secret`: kept
-- as given out (the sender signs every body with it; a hash would not do).
CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,
    secret     TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- One event to one hook. `status`: pending, sending (claimed by the
-- sender), delivered or failed (after the last attempt); `body` the JSON
-- sent, fixed when queued so every attempt sends (and signs) the same bytes.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (webhook_id);

-- The delivery log: each attempt, its HTTP status (none: no answer) or
-- error, and how long it took.
CREATE TABLE webhook_attempts (
    id          TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    webhook_id  TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event       TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    at          TEXT NOT NULL,
    status_code INTEGER,
    error       TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL
);

CREATE INDEX webhook_attempts_by_hook ON webhook_attempts (webhook_id, at);
