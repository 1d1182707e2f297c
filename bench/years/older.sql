-- Older years for bench/years (after bench/reports/generate.sql made the province and its last twelve months):
-- :per tasks in each of the :months months before :first for every generated person (code BC-…), numbered after
-- the first year's (lib/tasks.sql), all of them closed long ago (completed, or cancelled) as old work is.
BEGIN;
CREATE TEMP TABLE gen_people AS
  SELECT p.id, substr(p.code, 4)::int AS n, p.organization_id AS org, p.scope_path AS path FROM people p
  WHERE p.code ~ '^BC-[0-9]+$';
CREATE TEMP TABLE gen_due AS
  SELECT p.n, (12 + m) * :per + t AS t,
         to_char((date_trunc('month', :'first'::date) - make_interval(months => m + 1))::date + (p.n * 7 + t * 13) % 28,
                 'YYYY-MM-DD') AS due
  FROM gen_people p CROSS JOIN generate_series(0, :months - 1) m CROSS JOIN generate_series(1, :per) t;
\ir ../lib/tasks.sql
UPDATE tasks SET state = 'hoan-thanh', percent = 100, completed_on = due_on, verdict = 'dat'
WHERE due_on < :'first' AND state NOT IN ('hoan-thanh', 'da-huy');
COMMIT;
