-- Waves: once opened (frozen_at set), a wave's battery, tier policy, season, school year and school can
-- never change, and it never goes back to draft. The application refuses such a change with 409; this
-- trigger holds even for a write that bypasses it.

CREATE FUNCTION waves_frozen_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.frozen_at IS NOT NULL AND (
       NEW.frozen_at IS DISTINCT FROM OLD.frozen_at
    OR NEW.batteries IS DISTINCT FROM OLD.batteries
    OR NEW.policy_version IS DISTINCT FROM OLD.policy_version
    OR NEW.season IS DISTINCT FROM OLD.season
    OR NEW.school_year IS DISTINCT FROM OLD.school_year
    OR NEW.school_id IS DISTINCT FROM OLD.school_id
    OR NEW.status = 'draft') THEN
    RAISE EXCEPTION 'wave % is frozen: its battery and policy cannot change', OLD.id USING ERRCODE = '55000';
  END IF;
  IF OLD.frozen_at IS NULL AND NEW.status <> 'draft' AND NEW.frozen_at IS NULL THEN
    RAISE EXCEPTION 'wave % must be frozen when it leaves draft', OLD.id USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER waves_frozen BEFORE UPDATE ON waves FOR EACH ROW EXECUTE FUNCTION waves_frozen_guard();

-- Code lookups per wave and student (issue, revoke, slips).
CREATE INDEX access_codes_wave_student ON access_codes (wave_id, student_id, issued_at);
