-- Moving incidents to a newer ATLAS release. Portable SQL (SQLite and PostgreSQL).

-- The admin's changes to the successor table shipped with atlasview
-- (catalog/successors.json). A NULL successor hides a shipped entry: the
-- technique is treated as retired without a successor.
CREATE TABLE atlas_successor_overrides (
    technique_id TEXT PRIMARY KEY,
    successor_id TEXT,
    release      TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT ''
);

-- One row per applied upgrade, with its full report (JSON) so the admin page
-- can show it later. Dry runs are never stored.
CREATE TABLE atlas_upgrades (
    id         TEXT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    to_release TEXT NOT NULL,
    incidents  INTEGER NOT NULL,
    steps      INTEGER NOT NULL,
    flagged    INTEGER NOT NULL,
    summary    TEXT NOT NULL,
    report     TEXT NOT NULL
);

CREATE INDEX atlas_upgrades_by_at ON atlas_upgrades (at);

-- What an upgrade did to a step: its tactic and technique before and after
-- (a remapped step keeps its old technique ID here).
CREATE TABLE step_history (
    id               TEXT PRIMARY KEY,
    step_id          TEXT NOT NULL REFERENCES observations (id) ON DELETE CASCADE,
    incident_id      TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    upgrade_id       TEXT NOT NULL REFERENCES atlas_upgrades (id),
    at               TEXT NOT NULL,
    change           TEXT NOT NULL,
    from_release     TEXT NOT NULL,
    to_release       TEXT NOT NULL,
    old_tactic_id    TEXT NOT NULL,
    old_technique_id TEXT NOT NULL,
    new_technique_id TEXT NOT NULL,
    note             TEXT NOT NULL DEFAULT ''
);

CREATE INDEX step_history_by_incident ON step_history (incident_id, at);

-- Steps an upgrade flagged for review: the technique no longer serves the
-- step's tactic, or it was retired without a successor (then
-- `catalog_release` is the release whose catalog still describes it). The
-- flag holds while the step keeps the tactic and technique it had then.
CREATE TABLE step_reviews (
    step_id         TEXT PRIMARY KEY REFERENCES observations (id) ON DELETE CASCADE,
    incident_id     TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    upgrade_id      TEXT NOT NULL REFERENCES atlas_upgrades (id),
    tactic_id       TEXT NOT NULL,
    technique_id    TEXT NOT NULL,
    reason          TEXT NOT NULL,
    message         TEXT NOT NULL,
    catalog_release TEXT,
    created_at      TEXT NOT NULL
);

CREATE INDEX step_reviews_by_incident ON step_reviews (incident_id);
