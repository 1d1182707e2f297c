-- Multiplies the demonstration data to the load test's scale: :people extra people spread over every
-- unit (position VT-CVTH, group CMNV), :per tasks each (300 000 for 5 000 people), in every state with
-- due dates around today; 50 sign-ins tai01…tai50 (the demo password), the first ten of them leaders of
-- their unit (for the unit board). PostgreSQL only (generate_series, gen_random_uuid).
BEGIN;
CREATE TEMP TABLE orgs AS
  SELECT id, path, row_number() OVER (ORDER BY path) - 1 AS n FROM organizations WHERE active;
\set prefix 'TAI-'
\set digits 5
\set name 'Cán bộ tải'
\set folded 'can bo tai'
\ir ../lib/people.sql
INSERT INTO tasks (id, code, title, search_text, description, source, doc_number, doc_date, doc_issuer, product_id, product_code,
                   product_name, product_unit, factor, complexity, complexity_factor, quantity, units, assignee_id, organization_id, scope_path,
                   assigner_user_id, assigner_name, proposer_user_id, parent_id, batch_id, recurrence_key, start_on, due_on, priority,
                   state, percent, major_errors, exempt_errors, delays, submitted_on, requested_due, completed_on, verdict,
                   creation_token, version, created_at, updated_at)
SELECT gen_random_uuid(), 'NV-T-' || p.n || '-' || t, 'Nhiệm vụ tải ' || t || ' của cán bộ ' || p.n,
       'nv-t-' || p.n || '-' || t || ' nhiem vu tai ' || t, '', 'ke-hoach', '', '', '', NULL, 'SP-CM-01',
       'Văn bản tham mưu', 'Văn bản', '1', '', '', '1', '1', p.id, p.org, p.path, NULL, 'Lãnh đạo', NULL, NULL, NULL, NULL,
       to_char(current_date + (t % 60 - 40), 'YYYY-MM-DD'), to_char(current_date + (t % 60 - 30), 'YYYY-MM-DD'), 'binh-thuong',
       (ARRAY['da-giao','dang-thuc-hien','cho-nghiem-thu','hoan-thanh','hoan-thanh','hoan-thanh','da-huy','xin-gia-han'])[1 + t % 8],
       (t * 7) % 100, 0, 0, 0, '', '', '', '', 'tai-' || p.n || '-' || t, 1, now(), now()
FROM gen_people p CROSS JOIN generate_series(1, :per) t;
INSERT INTO users (id, username, password_hash, person_id, scope_path, must_change_password, failed_attempts, active, updated_at)
SELECT gen_random_uuid(), 'tai' || lpad(p.n::text, 2, '0'), (SELECT password_hash FROM users WHERE username = 'canbo'),
       p.id, p.path, false, 0, true, now()
FROM gen_people p WHERE p.n <= 50;
INSERT INTO role_grants (id, user_id, role, organization_id, scope_path, granted_by, created_at)
SELECT gen_random_uuid(), u.id, CASE WHEN p.n <= 10 THEN 'lanh-dao' ELSE 'can-bo' END, p.org, p.path, 'bench', now()
FROM gen_people p JOIN users u ON u.person_id = p.id;
COMMIT;
ANALYZE;
