-- Alerts from SIEMs, correlated into incidents, and what the steps they feed
-- need beyond a hand-written step. Portable SQL (SQLite and PostgreSQL).

-- Correlation rules: alerts with the same values of `key_fields` (a
-- comma-separated list of dotted field names) join one open incident while
-- its last alert is at most `idle_seconds` old. Tried in `position` order.
CREATE TABLE correlation_rules (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    key_fields   TEXT NOT NULL,
    idle_seconds INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);

-- The incidents opened by correlation, with the key and the event span that
-- decide whether the next alert joins them.
CREATE TABLE alert_correlations (
    incident_id     TEXT PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    rule_name       TEXT NOT NULL,
    correlation_key TEXT NOT NULL,
    first_event_at  TEXT NOT NULL,
    last_event_at   TEXT NOT NULL,
    -- The highest severity an alert brought; an analyst may still edit the incident's.
    max_severity    TEXT NOT NULL
);

CREATE INDEX alert_correlations_by_key ON alert_correlations (rule_name, correlation_key);

-- Every accepted alert, once per (source, alert_id): sending it again is a duplicate.
CREATE TABLE alerts (
    id              TEXT PRIMARY KEY,
    source          TEXT NOT NULL,
    -- The sender's ID, or `sha256:…` of the content when it sent none.
    alert_id        TEXT NOT NULL,
    shape           TEXT NOT NULL,
    event_at        TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    received_by     TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL DEFAULT '',
    severity        TEXT,
    rule_name       TEXT NOT NULL,
    correlation_key TEXT NOT NULL,
    incident_id     TEXT REFERENCES incidents (id) ON DELETE SET NULL,
    raw             TEXT NOT NULL,
    UNIQUE (source, alert_id)
);

CREATE INDEX alerts_by_received ON alerts (received_at);
CREATE INDEX alerts_by_incident ON alerts (incident_id);

-- The ATLAS techniques an alert names. `mapped` is false while the technique
-- is unknown to the active release (the unmapped queue); a later release
-- import that knows it maps it.
CREATE TABLE alert_hits (
    alert_id     TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    raw_id       TEXT NOT NULL,
    technique_id TEXT NOT NULL,
    tactic_id    TEXT,
    step_id      TEXT REFERENCES observations (id) ON DELETE SET NULL,
    mapped       BOOLEAN NOT NULL,
    PRIMARY KEY (alert_id, position)
);

CREATE INDEX alert_hits_by_step ON alert_hits (step_id);
CREATE INDEX alert_hits_by_mapped ON alert_hits (mapped, technique_id);

-- What a step fed by alerts or an unordered import carries: how many alerts
-- folded into it and when they were seen, and, while its tactic is still to
-- be confirmed, the candidate tactics (space-separated; the step's own
-- tactic_id is '' until an analyst picks one).
CREATE TABLE step_triage (
    step_id           TEXT PRIMARY KEY REFERENCES observations (id) ON DELETE CASCADE,
    alert_count       INTEGER NOT NULL DEFAULT 0,
    first_seen        TEXT,
    last_seen         TEXT,
    -- The first alerts folded in, one `source:id` a line (at most 20), as evidence.
    alert_sample      TEXT NOT NULL DEFAULT '',
    candidate_tactics TEXT NOT NULL DEFAULT ''
);

CREATE INDEX step_triage_to_confirm ON step_triage (candidate_tactics);

-- Incidents imported in bulk: upserted by (source, external_id). `order_unknown`
-- marks steps placed in matrix order from an unordered technique list;
-- `content_hash` is the hash of the record last imported, so that importing
-- the same record again writes nothing.
CREATE TABLE incident_origins (
    incident_id   TEXT PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    order_unknown BOOLEAN NOT NULL DEFAULT FALSE,
    content_hash  TEXT NOT NULL DEFAULT '',
    UNIQUE (source, external_id)
);
