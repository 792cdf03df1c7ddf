-- Observations and the watch list (issue 6).
--
-- observations.score (001) holds the screener's score result (null for unscored forms); `evidence` holds
-- the rest of what scoring/fuse.ts summarizeObservation extracts: critical and concern item ids and the
-- key-population categories a teacher recorded. Free text (the note and any text item) is in note_enc.
ALTER TABLE observations ADD COLUMN evidence jsonb NOT NULL DEFAULT '{"critical": [], "concerns": []}';
-- The watch list reads a school's observations of a time window.
CREATE INDEX observations_school_created ON observations (school_id, created_at);

-- A counselor's tier override, kept beside the computed tier it overrode: the computed tier, its reasons
-- and the policy version that made it are stored with the override, and the written reason (encrypted,
-- context `tier_overrides.reason_enc:<id>`). Rows are only ever added: the latest row of a student is the
-- override in force; the earlier ones are its history.
CREATE TABLE tier_overrides (
  id text PRIMARY KEY,
  school_id text NOT NULL REFERENCES schools(id),
  student_id text NOT NULL REFERENCES students(id),
  tier text NOT NULL CHECK (tier IN ('none', 'yellow', 'orange', 'red')),
  reason_enc text NOT NULL,
  computed_tier text NOT NULL CHECK (computed_tier IN ('none', 'yellow', 'orange', 'red')),
  computed_reasons jsonb NOT NULL,
  policy_version text NOT NULL,
  author_id text NOT NULL REFERENCES accounts(id),
  created_at timestamptz NOT NULL
);
CREATE INDEX tier_overrides_student ON tier_overrides (student_id, created_at);
CREATE INDEX tier_overrides_school ON tier_overrides (school_id);
