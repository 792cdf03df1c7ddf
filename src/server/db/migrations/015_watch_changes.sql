-- The watch list's change log (issue 6: "recomputed when any input changes"). Every statement that
-- changes an input of a school's watch list adds rows naming the school and the students it changed,
-- from triggers, so no writer can forget it: the roster, submits, observations, overrides, cases and
-- waves (the school's tier policy), from the server, the CLI or an import alike. A null student_id
-- stands for every student of the school (a class renamed, a wave's policy). The watch list kept between
-- reads (src/server/features/watchlist/kept.ts) reads it to know which schools, and in them which
-- students, to compute again.
--
-- Rows are only added, except when kept.ts folds rows it has accounted for into one with a new id (and
-- a null student), so a school's (number of rows, latest id) changes whenever a change becomes visible
-- and never comes back to an earlier value. Ids alone would not do: a transaction that took a lower id
-- may commit after one that took a higher id.
CREATE TABLE watch_changes (
  id bigserial PRIMARY KEY,
  school_id text NOT NULL,
  student_id text
);
CREATE INDEX watch_changes_school ON watch_changes (school_id, id);

-- One statement trigger per input table and operation. Its argument is the query of the (school,
-- student) of the changed rows, with %1$I for the transition table that holds them (changed_new,
-- changed_old).
CREATE FUNCTION watch_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed text := CASE TG_OP
    WHEN 'INSERT' THEN format(TG_ARGV[0], 'changed_new')
    WHEN 'DELETE' THEN format(TG_ARGV[0], 'changed_old')
    ELSE format(TG_ARGV[0], 'changed_new') || ' UNION ' || format(TG_ARGV[0], 'changed_old')
  END;
BEGIN
  EXECUTE 'INSERT INTO watch_changes (school_id, student_id) SELECT DISTINCT school_id, student_id FROM (' || changed || ') AS s (school_id, student_id)';
  RETURN NULL;
END $$;

DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES
    ('students', 'SELECT school_id, id FROM %1$I'),
    ('classes', 'SELECT school_id, NULL::text FROM %1$I'),
    ('observations', 'SELECT school_id, student_id FROM %1$I'),
    ('tier_overrides', 'SELECT school_id, student_id FROM %1$I'),
    ('cases', 'SELECT school_id, student_id FROM %1$I'),
    ('waves', 'SELECT school_id, NULL::text FROM %1$I'),
    -- only submitted responses are read: an autosave of answers in progress changes nothing
    ('responses', 'SELECT w.school_id, n.student_id FROM %1$I n JOIN waves w ON w.id = n.wave_id WHERE n.status = ''submitted'''),
    ('results', 'SELECT w.school_id, r.student_id FROM %1$I n JOIN responses r ON r.id = n.response_id JOIN waves w ON w.id = r.wave_id')
  ) AS x (tbl, changed) LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION watch_changed(%L)', t.tbl || '_watch_insert', t.tbl, t.changed);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION watch_changed(%L)', t.tbl || '_watch_update', t.tbl, t.changed);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION watch_changed(%L)', t.tbl || '_watch_delete', t.tbl, t.changed);
  END LOOP;
END $$;
