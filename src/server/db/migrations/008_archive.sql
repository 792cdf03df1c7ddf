-- The growth record's lifecycle (issue 6): records received from other schools (档案转接) and the marker
-- of a destroyed record (保密消档). The retention period is the setting `retention.purge_after_months`
-- (src/server/features/archive/purge.ts; 36 when absent). No row is inserted here: a restore loads the
-- settings table from the dump into a freshly migrated database.

-- A record received from another school, attached read-only to a student of this school chosen by the
-- counselor who imported it. Everything the other school sent (names, notes, scores) is in payload_enc,
-- encrypted under this installation's key with the context `record_imports.payload_enc:<id>`. One bundle
-- is imported once per school (export_id).
CREATE TABLE record_imports (
  id text PRIMARY KEY,
  school_id text NOT NULL REFERENCES schools(id),
  student_id text NOT NULL REFERENCES students(id),
  export_id text NOT NULL,
  from_school_code text NOT NULL,
  from_school_name text NOT NULL,
  exported_at timestamptz NOT NULL,
  -- the sender's signing key, as checked at import (SHA-256 of its public key)
  signer_fingerprint text NOT NULL,
  payload_enc text NOT NULL,
  imported_by text NOT NULL REFERENCES accounts(id),
  imported_at timestamptz NOT NULL,
  UNIQUE (school_id, export_id)
);
CREATE INDEX record_imports_student ON record_imports (student_id, imported_at);

-- Set when the student's personal data was destroyed (src/server/features/archive/purge.ts). The row
-- stays as a tombstone: the de-identified results that the district's aggregates count (school, grade,
-- gender, key-population categories, wave, tier, scores) still hang on it.
ALTER TABLE students ADD COLUMN purged_at timestamptz;

-- The retention clock starts when a student leaves or graduates (left_at). The roster import sets both
-- the status `left` and left_at; a row that left without a date (none is written today) gets the time
-- of its last change, so that no record is kept for ever by accident.
UPDATE students SET left_at = updated_at WHERE status <> 'enrolled' AND left_at IS NULL;
