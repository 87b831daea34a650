-- PostgreSQL twin of migrations/sqlite/0029_webhooks.sql: webhooks out, the
-- deliveries waiting for the sender (an outbox on the change's own
-- transaction), and every attempt made.

CREATE TABLE webhooks (
    id         TEXT COLLATE "C" PRIMARY KEY,
    url        TEXT COLLATE "C" NOT NULL,
    events     TEXT COLLATE "C" NOT NULL,
    secret     TEXT COLLATE "C" NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_by TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
);

-- `body`: the JSON sent, kept as text (fixed when queued; no SQL reads inside it).
CREATE TABLE webhook_deliveries (
    id              TEXT COLLATE "C" PRIMARY KEY,
    webhook_id      TEXT COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           TEXT COLLATE "C" NOT NULL,
    body            TEXT COLLATE "C" NOT NULL,
    status          TEXT COLLATE "C" NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT COLLATE "C" NOT NULL,
    created_at      TEXT COLLATE "C" NOT NULL,
    delivered_at    TEXT COLLATE "C"
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (webhook_id);

CREATE TABLE webhook_attempts (
    id          TEXT COLLATE "C" PRIMARY KEY,
    delivery_id TEXT COLLATE "C" NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    webhook_id  TEXT COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event       TEXT COLLATE "C" NOT NULL,
    attempt     BIGINT NOT NULL,
    at          TEXT COLLATE "C" NOT NULL,
    status_code BIGINT,
    error       TEXT COLLATE "C" NOT NULL DEFAULT '',
    duration_ms BIGINT NOT NULL
);

CREATE INDEX webhook_attempts_by_hook ON webhook_attempts (webhook_id, at);
