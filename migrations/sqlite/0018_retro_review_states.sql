-- The mitigation checklist of a retrospective gets three states: in place,
-- not in place, and not reviewed (issue #13). Before, the form sent only the
-- ticked rows and every other row shown was saved as "not in place", so an
-- unticked box meant either "checked, it was not in place" or "nobody looked".
--
-- `state` is now the truth ('in_place', 'not_in_place', 'unreviewed');
-- `in_place` is kept in step for readers of the old column.
--
-- Existing rows: ticked rows stay "in place" and unticked ones stay "not in
-- place" (nothing recorded is thrown away). The unticked rows without a note
-- cannot be told apart from boxes nobody touched, so they are flagged
-- `unconfirmed`: the page shows them as "not in place (unconfirmed)" and
-- preselects no choice, so the next save leaves them as they are until
-- someone picks a state; choosing any state clears the flag. An unticked row
-- with a note was looked at (someone wrote about it) and is not flagged.

ALTER TABLE incident_mitigations
    ADD COLUMN state TEXT NOT NULL DEFAULT 'unreviewed'
    CHECK (state IN ('in_place', 'not_in_place', 'unreviewed'));

ALTER TABLE incident_mitigations
    ADD COLUMN unconfirmed BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE incident_mitigations
SET state = CASE WHEN in_place THEN 'in_place' ELSE 'not_in_place' END,
    unconfirmed = (NOT in_place AND note = '');
