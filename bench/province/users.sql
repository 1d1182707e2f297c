-- The province-scale load's 200 sign-ins (after bench/reports/generate.sql): prov001…prov200, the demo password,
-- people of the generated agencies spread over the province; the first :leaders lead their unit (lãnh đạo: the
-- unit board, the reports), the others are staff (cán bộ: their list, a task, their result). Then what each opens:
-- `load_targets (username, role, person_code, task_id, agency_code)`, printed by run.sh for the driver.
BEGIN;
CREATE TEMP TABLE chosen AS
  SELECT p.id, p.code, p.organization_id, p.scope_path, row_number() OVER (ORDER BY p.code) AS n
  FROM people p WHERE p.code LIKE 'BC-%' AND p.code::text ~ '^BC-[0-9]+$' AND (substr(p.code, 4)::int % :step) = 0
  ORDER BY p.code LIMIT 200;
INSERT INTO users (id, username, password_hash, person_id, scope_path, must_change_password, failed_attempts, active, updated_at)
SELECT gen_random_uuid(), 'prov' || lpad(c.n::text, 3, '0'), (SELECT password_hash FROM users WHERE username = 'canbo'),
       c.id, c.scope_path, false, 0, true, now()
FROM chosen c;
INSERT INTO role_grants (id, user_id, role, organization_id, scope_path, granted_by, created_at)
SELECT gen_random_uuid(), u.id, CASE WHEN c.n <= :leaders THEN 'lanh-dao' ELSE 'can-bo' END, c.organization_id, c.scope_path, 'bench', now()
FROM chosen c JOIN users u ON u.person_id = c.id;
COMMIT;
