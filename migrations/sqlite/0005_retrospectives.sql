-- The post-incident review of an incident: the team's notes (what went well,
-- what to improve, actions; Markdown) and, per ATLAS mitigation that
-- addresses an observed technique, whether it was in place.
--
-- One optimistic version per retrospective: every save names the version it
-- was made from and bumps it, so a stale save is refused (409) instead of
-- silently overwriting a colleague's notes or ticks. The checklist keeps who
-- changed each row last and when. Both go with their incident.

CREATE TABLE incident_retrospectives (
    incident_id TEXT PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    went_well   TEXT NOT NULL DEFAULT '',
    to_improve  TEXT NOT NULL DEFAULT '',
    actions     TEXT NOT NULL DEFAULT '',
    version     INTEGER NOT NULL DEFAULT 1,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE incident_mitigations (
    incident_id   TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    mitigation_id TEXT NOT NULL,
    in_place      BOOLEAN NOT NULL DEFAULT FALSE,
    note          TEXT NOT NULL DEFAULT '',
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, mitigation_id)
);
