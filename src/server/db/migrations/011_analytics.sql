-- District analytics (issue 7): indexes for the reads that walk a whole district wave.

-- The research export reads each school wave's students in id order, in keyset batches
-- (WHERE school_id = $1 AND id > $2 ORDER BY id LIMIT n): without this, every batch would scan the
-- whole students table.
CREATE INDEX students_school_id ON students (school_id, id);

-- A student's cases by opening time (the research export: the first case of a wave's period).
CREATE INDEX cases_student_opened ON cases (student_id, opened_at);

-- Case follow-up per school: alerts raised and cases opened in a wave's period, acknowledged or closed
-- or not (the existing partial indexes cover only the open ones).
CREATE INDEX alerts_school_created_all ON alerts (school_id, created_at);
CREATE INDEX cases_school_opened ON cases (school_id, opened_at);
