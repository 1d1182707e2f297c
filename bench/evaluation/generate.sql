-- A province-scale quarter for the evaluation benchmark (issue 6): :people people spread over the
-- demonstration's leaf units (công chức, group CMNV), :per tasks each, all due in the quarter
-- :first … :last (ISO dates): about 70 % completed in the quarter (one in seven a day late, one in
-- eleven with a major error, some exempted), 10 % awaiting acceptance, 15 % in progress, 5 % cancelled;
-- three products with different conversion factors and complexities, quantities 1–3. Then the quarter
-- opened for every agency. PostgreSQL only (generate_series, gen_random_uuid).
BEGIN;
\set prefix 'DG-'
\ir ../lib/leaf-people.sql
CREATE TEMP TABLE gen_due AS
  SELECT p.n, t, to_char(:'first'::date + ((p.n * 7 + t * 13) % (:'last'::date - :'first'::date + 1)), 'YYYY-MM-DD') AS due
  FROM gen_people p CROSS JOIN generate_series(1, :per) t;
\ir ../lib/tasks.sql
INSERT INTO evaluation_periods (id, code, kind, organization_id, scope_path, state, dirty, computed_at, people, opened_by,
                                created_at, updated_at)
SELECT gen_random_uuid(), :'quarter', 'quarter', o.id, o.path, 'mo', true, NULL, 0, 'bench', now(), now()
FROM organizations o WHERE o.active AND o.is_agency
ON CONFLICT DO NOTHING;
COMMIT;
