-- PostgreSQL twin of migrations/sqlite/0006_alerts.sql: alerts, correlation
-- rules, and what the steps they feed carry. Idempotence under concurrent
-- writers rests on the same unique constraints (alerts (source, alert_id),
-- incident_origins (source, external_id)) and ON CONFLICT.

CREATE TABLE correlation_rules (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT COLLATE "C" NOT NULL UNIQUE,
    key_fields   TEXT COLLATE "C" NOT NULL,
    idle_seconds BIGINT NOT NULL,
    position     BIGINT NOT NULL,
    created_at   TEXT COLLATE "C" NOT NULL
);

CREATE TABLE alert_correlations (
    incident_id     TEXT COLLATE "C" PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    rule_name       TEXT COLLATE "C" NOT NULL,
    correlation_key TEXT COLLATE "C" NOT NULL,
    first_event_at  TEXT COLLATE "C" NOT NULL,
    last_event_at   TEXT COLLATE "C" NOT NULL,
    -- The highest severity an alert brought; an analyst may still edit the incident's.
    max_severity    TEXT COLLATE "C" NOT NULL
);

CREATE INDEX alert_correlations_by_key ON alert_correlations (rule_name, correlation_key);

-- Every accepted alert, once per (source, alert_id): sending it again is a duplicate.
CREATE TABLE alerts (
    id              TEXT COLLATE "C" PRIMARY KEY,
    source          TEXT COLLATE "C" NOT NULL,
    -- The sender's ID, or `sha256:…` of the content when it sent none.
    alert_id        TEXT COLLATE "C" NOT NULL,
    shape           TEXT COLLATE "C" NOT NULL,
    event_at        TEXT COLLATE "C" NOT NULL,
    received_at     TEXT COLLATE "C" NOT NULL,
    received_by     TEXT COLLATE "C" NOT NULL DEFAULT '',
    title           TEXT COLLATE "C" NOT NULL DEFAULT '',
    severity        TEXT COLLATE "C",
    rule_name       TEXT COLLATE "C" NOT NULL,
    correlation_key TEXT COLLATE "C" NOT NULL,
    incident_id     TEXT COLLATE "C" REFERENCES incidents (id) ON DELETE SET NULL,
    -- The alert as received (JSON, kept as text: no SQL reads inside it).
    raw             TEXT COLLATE "C" NOT NULL,
    UNIQUE (source, alert_id)
);

CREATE INDEX alerts_by_received ON alerts (received_at);
CREATE INDEX alerts_by_incident ON alerts (incident_id);

CREATE TABLE alert_hits (
    alert_id     TEXT COLLATE "C" NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    raw_id       TEXT COLLATE "C" NOT NULL,
    technique_id TEXT COLLATE "C" NOT NULL,
    tactic_id    TEXT COLLATE "C",
    step_id      TEXT COLLATE "C" REFERENCES observations (id) ON DELETE SET NULL,
    mapped       BOOLEAN NOT NULL,
    PRIMARY KEY (alert_id, position)
);

CREATE INDEX alert_hits_by_step ON alert_hits (step_id);
CREATE INDEX alert_hits_by_mapped ON alert_hits (mapped, technique_id);

CREATE TABLE step_triage (
    step_id           TEXT COLLATE "C" PRIMARY KEY REFERENCES observations (id) ON DELETE CASCADE,
    alert_count       BIGINT NOT NULL DEFAULT 0,
    first_seen        TEXT COLLATE "C",
    last_seen         TEXT COLLATE "C",
    -- The first alerts folded in, one `source:id` a line (at most 20), as evidence.
    alert_sample      TEXT COLLATE "C" NOT NULL DEFAULT '',
    candidate_tactics TEXT COLLATE "C" NOT NULL DEFAULT ''
);

CREATE INDEX step_triage_to_confirm ON step_triage (candidate_tactics);

CREATE TABLE incident_origins (
    incident_id   TEXT COLLATE "C" PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    source        TEXT COLLATE "C" NOT NULL,
    external_id   TEXT COLLATE "C" NOT NULL,
    order_unknown BOOLEAN NOT NULL DEFAULT FALSE,
    content_hash  TEXT COLLATE "C" NOT NULL DEFAULT '',
    UNIQUE (source, external_id)
);
