-- Shared by the benchmarks' generators (after people.sql): one task for each row of the temp table
-- `gen_due (n, t, due)`: person n of gen_people, the person's task number t, due on the ISO date `due`.
-- About 70 % completed on the due date (one in seven a day late, one in eleven with a major error, some
-- exempted), 10 % awaiting acceptance, 15 % in progress, 5 % cancelled; three products with different
-- conversion factors and complexities, quantities 1–3; the converted quantity stored as the application
-- stores it (`units`).
INSERT INTO tasks (id, code, title, search_text, description, source, doc_number, doc_date, doc_issuer, product_id, product_code,
                   product_name, product_unit, factor, complexity, complexity_factor, quantity, units, assignee_id, organization_id, scope_path,
                   assigner_user_id, assigner_name, proposer_user_id, parent_id, batch_id, recurrence_key, start_on, due_on, priority,
                   state, percent, major_errors, exempt_errors, delays, submitted_on, requested_due, completed_on, verdict,
                   creation_token, version, created_at, updated_at)
SELECT gen_random_uuid(), 'NV-DG-' || p.n || '-' || t, 'Nhiệm vụ ' || t || ' của cán bộ ' || p.n, '', '',
       CASE WHEN t % 4 = 0 THEN 'thuong-xuyen' ELSE 'ke-hoach' END, '', '', '', NULL,
       (ARRAY['SP-CM-01', 'SP-CM-03', 'SP-CM-08'])[1 + t % 3], 'Sản phẩm', 'Văn bản', (ARRAY['1', '2', '0.5'])[1 + t % 3],
       CASE WHEN t % 3 = 1 THEN (ARRAY['Trung bình', 'Phức tạp'])[1 + (t / 3) % 2] ELSE '' END,
       CASE WHEN t % 3 = 1 THEN (ARRAY['1', '1.5'])[1 + (t / 3) % 2] ELSE '' END,
       (1 + (p.n + t) % 3)::text,
       -- units: the converted quantity the application stores (quantity × factor × complexity factor).
       ((1 + (p.n + t) % 3) * (ARRAY[1, 2, 0.5])[1 + t % 3] * CASE WHEN t % 3 = 1 THEN (ARRAY[1, 1.5])[1 + (t / 3) % 2] ELSE 1 END)::text,
       p.id, p.org, p.path, NULL, 'Lãnh đạo', NULL, NULL, NULL, NULL,
       d.due, d.due, 'binh-thuong', s.state, CASE WHEN s.state = 'hoan-thanh' THEN 100 ELSE 50 END,
       CASE WHEN s.state = 'hoan-thanh' AND t % 11 = 0 THEN 1 ELSE 0 END,
       CASE WHEN s.state = 'hoan-thanh' AND t % 22 = 0 THEN 1 ELSE 0 END,
       CASE WHEN s.state = 'hoan-thanh' AND t % 7 = 0 THEN 1 ELSE 0 END,
       '', '', CASE WHEN s.state = 'hoan-thanh' THEN d.due ELSE '' END, CASE WHEN s.state = 'hoan-thanh' THEN 'dat' ELSE '' END,
       'dg-' || p.n || '-' || t, 1, now(), now()
FROM gen_due d JOIN gen_people p ON p.n = d.n
CROSS JOIN LATERAL (SELECT CASE WHEN (p.n + t) % 20 = 0 THEN 'da-huy' WHEN (p.n + t) % 20 < 4 THEN 'dang-thuc-hien'
                                WHEN (p.n + t) % 20 < 6 THEN 'cho-nghiem-thu' ELSE 'hoan-thanh' END AS state) s;
