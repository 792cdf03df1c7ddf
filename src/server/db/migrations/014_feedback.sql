-- Feedback (反馈) of a case step (issue 6): a fixed template message to the homeroom teacher (shown
-- among their notices until read) or to the guardians (told by the counselor, recorded as sent). The
-- row holds the template id only: the words are the template's, never a score, a tier or a note.
CREATE TABLE case_feedback (
  id text PRIMARY KEY,
  case_id text NOT NULL REFERENCES cases(id),
  school_id text NOT NULL REFERENCES schools(id),
  student_id text NOT NULL REFERENCES students(id),
  -- the homeroom class it went to (homeroom feedback); null for guardians
  class_id text REFERENCES classes(id),
  audience text NOT NULL CHECK (audience IN ('homeroom', 'guardian')),
  template text NOT NULL,
  sent_by text NOT NULL REFERENCES accounts(id),
  sent_at timestamptz NOT NULL,
  read_at timestamptz,
  CHECK ((audience = 'homeroom') = (class_id IS NOT NULL)),
  UNIQUE (case_id, template)
);
CREATE INDEX case_feedback_class ON case_feedback (class_id, sent_at) WHERE audience = 'homeroom';
