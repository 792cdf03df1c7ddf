-- XinQing core schema: schools, classes, students, accounts and sessions, waves, consent, access codes,
-- responses and results, observations, idempotency keys, lockouts and the audit log.
-- Ids are text (random UUIDs made by the application). Columns ending in _enc hold AES-256-GCM tokens
-- (src/server/crypto); columns ending in _hash hold keyed HMACs for lookups on encrypted values.
-- Lists are jsonb (pass them as JSON.stringify(value)) so rows read the same on PGlite and PostgreSQL.

CREATE TABLE settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE schools (
  id text PRIMARY KEY,
  code text NOT NULL UNIQUE,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE classes (
  id text PRIMARY KEY,
  school_id text NOT NULL REFERENCES schools(id),
  grade smallint NOT NULL CHECK (grade BETWEEN 1 AND 12),
  label text NOT NULL,
  UNIQUE (school_id, grade, label)
);

CREATE TABLE students (
  id text PRIMARY KEY,
  school_id text NOT NULL REFERENCES schools(id),
  class_id text NOT NULL REFERENCES classes(id),
  student_no_hash text NOT NULL,
  student_no_enc text NOT NULL,
  name_enc text NOT NULL,
  gender text CHECK (gender IN ('male', 'female')),
  grade smallint NOT NULL CHECK (grade BETWEEN 1 AND 12),
  birth_year smallint,
  birth_date_enc text,
  guardian_name_enc text,
  guardian_phone_enc text,
  key_population jsonb NOT NULL DEFAULT '[]',
  status text NOT NULL DEFAULT 'enrolled' CHECK (status IN ('enrolled', 'left', 'graduated')),
  left_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (school_id, student_no_hash)
);
CREATE INDEX students_class ON students (class_id);

CREATE TABLE accounts (
  id text PRIMARY KEY,
  username text NOT NULL UNIQUE,
  display_name_enc text,
  password_hash text,
  role text NOT NULL CHECK (role IN ('admin', 'analyst', 'school-lead', 'counselor', 'homeroom', 'subject', 'peer')),
  school_id text REFERENCES schools(id),
  -- a peer monitor (心理委员) is a student with an account of their own
  student_id text REFERENCES students(id),
  disabled boolean NOT NULL DEFAULT false,
  password_changed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (role IN ('admin', 'analyst') OR school_id IS NOT NULL)
);

-- Which classes a teacher or peer monitor works with, and how.
CREATE TABLE account_classes (
  account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  class_id text NOT NULL REFERENCES classes(id),
  relation text NOT NULL CHECK (relation IN ('homeroom', 'subject', 'peer')),
  PRIMARY KEY (account_id, class_id, relation)
);

-- One-time links that let a new account set its password (the first admin's is printed at first start).
CREATE TABLE setup_tokens (
  token_hash text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);

CREATE TABLE waves (
  id text PRIMARY KEY,
  school_id text NOT NULL REFERENCES schools(id),
  school_year text NOT NULL CHECK (school_year ~ '^[0-9]{4}-[0-9]{4}$'),
  season text NOT NULL CHECK (season IN ('spring', 'autumn')),
  opens_at timestamptz NOT NULL,
  closes_at timestamptz NOT NULL,
  batteries jsonb NOT NULL,
  policy_version text NOT NULL,
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
  frozen_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (closes_at > opens_at),
  UNIQUE (school_id, school_year, season)
);

-- Sessions: staff (account_id) or a student bound to one wave and one access code.
CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  account_id text REFERENCES accounts(id) ON DELETE CASCADE,
  student_id text REFERENCES students(id),
  wave_id text REFERENCES waves(id),
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  CHECK ((account_id IS NULL) <> (student_id IS NULL))
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE consents (
  wave_id text NOT NULL REFERENCES waves(id),
  student_id text NOT NULL REFERENCES students(id),
  status text NOT NULL CHECK (status IN ('consented', 'opted-out', 'pending')),
  source text NOT NULL CHECK (source IN ('roster', 'school', 'import')),
  updated_at timestamptz NOT NULL,
  updated_by text REFERENCES accounts(id),
  PRIMARY KEY (wave_id, student_id)
);

CREATE TABLE access_codes (
  id text PRIMARY KEY,
  wave_id text NOT NULL REFERENCES waves(id),
  student_id text NOT NULL REFERENCES students(id),
  code_hash text NOT NULL UNIQUE,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'used', 'revoked')),
  issued_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz
);
CREATE UNIQUE INDEX access_codes_one_active ON access_codes (wave_id, student_id) WHERE status = 'active';

-- Failed attempts by key (an address for code entry, an account or address for login), shared by every
-- app instance on PostgreSQL so a lockout holds across them.
CREATE TABLE lockouts (
  key text PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0,
  window_started_at timestamptz NOT NULL,
  locked_until timestamptz
);

CREATE TABLE responses (
  id text PRIMARY KEY,
  wave_id text NOT NULL REFERENCES waves(id),
  student_id text NOT NULL REFERENCES students(id),
  battery_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('in-progress', 'submitted', 'declined')),
  -- choice answers by instrument and item; free text lives encrypted in text_enc
  answers jsonb NOT NULL DEFAULT '{}',
  text_enc text,
  pages jsonb NOT NULL DEFAULT '[]',
  current_page integer NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  submitted_at timestamptz,
  UNIQUE (wave_id, student_id)
);

-- The scoring library's output for a submitted response, with the policy version that made the tier.
CREATE TABLE results (
  response_id text PRIMARY KEY REFERENCES responses(id),
  scores jsonb NOT NULL,
  validity jsonb NOT NULL,
  tier text NOT NULL CHECK (tier IN ('none', 'yellow', 'orange', 'red')),
  reasons jsonb NOT NULL,
  policy_version text NOT NULL,
  computed_at timestamptz NOT NULL
);

CREATE TABLE observations (
  id text PRIMARY KEY,
  school_id text NOT NULL REFERENCES schools(id),
  student_id text NOT NULL REFERENCES students(id),
  author_id text NOT NULL REFERENCES accounts(id),
  role text NOT NULL CHECK (role IN ('homeroom', 'subject', 'peer', 'counselor')),
  instrument text NOT NULL,
  answers jsonb NOT NULL,
  note_enc text,
  score jsonb,
  created_at timestamptz NOT NULL
);
CREATE INDEX observations_student ON observations (student_id, created_at);

-- A retried write with the same key gets the first answer back instead of writing twice.
CREATE TABLE idempotency_keys (
  key text NOT NULL,
  scope text NOT NULL,
  status_code integer NOT NULL,
  body jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);

-- Append-only for the application: every read of a student's record by staff, and every change of
-- consequence. No content, only who, what, when and why.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  actor_id text,
  actor_role text NOT NULL,
  action text NOT NULL,
  school_id text,
  student_id text,
  subject text,
  context jsonb NOT NULL DEFAULT '{}',
  address text
);
CREATE INDEX audit_log_student ON audit_log (student_id, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '42501';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
