-- Student responses (issue 5): save ordering and replay of a finished submit.

-- The highest autosave sequence number applied (src/shared/responses.ts): a late save with a lower or
-- equal number changes nothing.
ALTER TABLE responses ADD COLUMN save_seq integer NOT NULL DEFAULT 0;

-- The session a finishing call (submit, decline) came from. The call deletes the session (kiosk hygiene);
-- a retry of the same call from the same browser, whose reply was lost, still finds its first reply by
-- session hash and key, and nothing else.
ALTER TABLE idempotency_keys ADD COLUMN session_hash text;
CREATE INDEX idempotency_keys_session ON idempotency_keys (session_hash, key) WHERE session_hash IS NOT NULL;

-- A submit or decline ends every session of the student for the wave (kiosk hygiene: another PC where
-- the student started is signed out too); without this index that is a scan of all sessions.
CREATE INDEX sessions_student ON sessions (student_id, wave_id) WHERE student_id IS NOT NULL;
