-- The province at scale for the reports benchmark (issue 19): :agencies new agencies under the province
-- (blocks and levels in turn), each with :units_each offices, so that with the demonstration's the tree
-- holds about 1 500 units; :people people spread over every leaf unit; :per tasks each in each of the
-- twelve months :first … :last (ISO dates of the first day of the first month and the last day of the
-- last); a monthly period opened for every agency for each month (run.sh then computes and stores them).
-- PostgreSQL only (generate_series, gen_random_uuid).
BEGIN;
CREATE TEMP TABLE new_agencies AS SELECT gen_random_uuid() AS id, g AS n FROM generate_series(1, :agencies) g;
INSERT INTO organizations (id, code, name, search_text, block, level, parent_id, path, sort_order, active, updated_at, is_agency)
SELECT a.id, 'BCQ-' || lpad(a.n::text, 3, '0'), 'Cơ quan thử tải ' || a.n, 'bcq-' || lpad(a.n::text, 3, '0') || ' co quan thu tai ' || a.n,
       (ARRAY['dang', 'chinh-quyen', 'mat-tran-doan-the', 'su-nghiep'])[1 + a.n % 4], CASE WHEN a.n % 3 = 0 THEN 'xa' ELSE 'tinh' END,
       r.id, r.path || a.id || '/', 100 + a.n, true, now(), true
FROM new_agencies a CROSS JOIN (SELECT id, path FROM organizations WHERE parent_id IS NULL) r;
CREATE TEMP TABLE new_units AS
  SELECT gen_random_uuid() AS id, a.id AS parent, a.n AS an, u AS un FROM new_agencies a CROSS JOIN generate_series(1, :units_each) u;
INSERT INTO organizations (id, code, name, search_text, block, level, parent_id, path, sort_order, active, updated_at, is_agency)
SELECT u.id, o.code || '-' || lpad(u.un::text, 2, '0'), 'Phòng ' || u.un || ', ' || o.name,
       lower(o.code) || '-' || lpad(u.un::text, 2, '0') || ' phong ' || u.un, o.block, o.level, o.id, o.path || u.id || '/', u.un, true,
       now(), false
FROM new_units u JOIN organizations o ON o.id = u.parent;

\set prefix 'BC-'
\ir ../lib/leaf-people.sql
-- Task t of a month m (0 … 11) is numbered m × per + t, due on a day of that month.
CREATE TEMP TABLE gen_due AS
  SELECT p.n, m * :per + t AS t,
         to_char(LEAST((date_trunc('month', :'first'::date) + make_interval(months => m))::date + (p.n * 7 + t * 13) % 28,
                       :'last'::date), 'YYYY-MM-DD') AS due
  FROM gen_people p CROSS JOIN generate_series(0, 11) m CROSS JOIN generate_series(1, :per) t;
\ir ../lib/tasks.sql
INSERT INTO evaluation_periods (id, code, kind, organization_id, scope_path, state, dirty, computed_at, people, opened_by,
                                created_at, updated_at)
SELECT gen_random_uuid(), to_char(date_trunc('month', :'first'::date) + make_interval(months => m), 'YYYY-MM'), 'month', o.id, o.path,
       'mo', true, NULL, 0, 'bench', now(), now()
FROM organizations o CROSS JOIN generate_series(0, 11) m WHERE o.active AND o.is_agency
ON CONFLICT DO NOTHING;
COMMIT;
