-- Alerts in time, the counselor's cases (the closed loop) and check-in notices to homeroom teachers
-- (issue 6). Free text (case reasons, notes, hospitals, outcomes) lives in *_enc columns only.

-- One alert per critical source (a response or an observation): a retried submit never raises twice.
CREATE TABLE alerts (
  id text PRIMARY KEY,
  school_id text NOT NULL REFERENCES schools(id),
  student_id text NOT NULL REFERENCES students(id),
  source text NOT NULL CHECK (source IN ('response', 'observation')),
  source_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('acute', 'critical')),
  -- which items were critical ([{instrument, item}]), never an answer value or a score
  items jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text REFERENCES accounts(id),
  escalated_at timestamptz,
  case_id text,
  UNIQUE (source, source_id),
  CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
);
CREATE INDEX alerts_open ON alerts (school_id, created_at) WHERE acknowledged_at IS NULL;

-- A case follows one flagged student: state is the last step taken (cases/steps.ts is the machine).
CREATE TABLE cases (
  id text PRIMARY KEY,
  school_id text NOT NULL REFERENCES schools(id),
  student_id text NOT NULL REFERENCES students(id),
  tier text NOT NULL CHECK (tier IN ('red', 'orange')),
  reason_enc text NOT NULL,
  state text NOT NULL CHECK (state IN ('opened', 'acknowledged', 'interviewed', 'planned', 'referred', 'following-up', 'returned', 'closed')),
  plan text CHECK (plan IN ('monitor', 'school-support', 'consultation', 'referral')),
  assigned_to text NOT NULL REFERENCES accounts(id),
  opened_by text NOT NULL REFERENCES accounts(id),
  opened_at timestamptz NOT NULL,
  -- when the next step is due; null when nothing is due (closed, or no date set)
  due_at timestamptz,
  escalated_at timestamptz,
  closed_at timestamptz,
  alert_id text REFERENCES alerts(id),
  policy_version text NOT NULL,
  updated_at timestamptz NOT NULL
);
-- At most one open case per student.
CREATE UNIQUE INDEX cases_one_open ON cases (student_id) WHERE state <> 'closed';
CREATE INDEX cases_due ON cases (school_id, due_at) WHERE state <> 'closed';
CREATE INDEX cases_assignee ON cases (assigned_to, due_at) WHERE state <> 'closed';

-- alerts.case_id is not a foreign key: cases.alert_id already references alerts, and backup/restore
-- orders tables by their foreign keys (no cycles).

-- The steps of a case, append-only in the application. `data` holds only enumerations, dates and flags;
-- every free text of the step (notes, hospital, outcome, reason, return plan) is in notes_enc.
CREATE TABLE case_steps (
  id text PRIMARY KEY,
  case_id text NOT NULL REFERENCES cases(id),
  seq integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('open', 'acknowledge', 'interview', 'plan', 'referral', 'follow-up', 'close', 'return')),
  at timestamptz NOT NULL,
  by_account text NOT NULL REFERENCES accounts(id),
  data jsonb NOT NULL DEFAULT '{}',
  notes_enc text,
  UNIQUE (case_id, seq)
);

-- "Please check in with" notices a counselor releases to a student's homeroom teacher (yellow tier):
-- the row names the student and the class only; never a score, tier or reason.
CREATE TABLE checkin_notices (
  id text PRIMARY KEY,
  school_id text NOT NULL REFERENCES schools(id),
  student_id text NOT NULL REFERENCES students(id),
  class_id text NOT NULL REFERENCES classes(id),
  created_by text NOT NULL REFERENCES accounts(id),
  created_at timestamptz NOT NULL,
  due_at timestamptz NOT NULL,
  done_at timestamptz
);
CREATE INDEX checkin_notices_class ON checkin_notices (class_id, created_at);
CREATE UNIQUE INDEX checkin_notices_one_open ON checkin_notices (student_id) WHERE done_at IS NULL;
