-- PostgreSQL twin of migrations/sqlite/0018_retro_review_states.sql: the
-- mitigation checklist's three states ('in_place', 'not_in_place',
-- 'unreviewed'), `in_place` kept in step, and the old unticked rows without
-- a note flagged `unconfirmed`.

ALTER TABLE incident_mitigations
    ADD COLUMN state TEXT COLLATE "C" NOT NULL DEFAULT 'unreviewed'
    CHECK (state IN ('in_place', 'not_in_place', 'unreviewed'));

ALTER TABLE incident_mitigations
    ADD COLUMN unconfirmed BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE incident_mitigations
SET state = CASE WHEN in_place THEN 'in_place' ELSE 'not_in_place' END,
    unconfirmed = (NOT in_place AND note = '');
