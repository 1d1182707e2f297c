-- Shared by the benchmarks' generators (run inside their transaction, after they fill the temp table
-- `orgs (id, path, n)` with the units to spread people over, n = 0, 1, …): :people people, công chức
-- in position VT-CVTH (group CMNV), coded :'prefix' followed by their number on :digits digits and named
-- :'name' followed by it (:'folded': the name without diacritics, for the search text); they stay in the temp table `gen_people (id, n, org, path)` for the tasks.
CREATE TEMP TABLE gen_people AS
  SELECT gen_random_uuid() AS id, g AS n, o.id AS org, o.path AS path
  FROM generate_series(1, :people) g JOIN orgs o ON o.n = g % (SELECT count(*) FROM orgs);
INSERT INTO people (id, code, full_name, search_text, staff_kind, organization_id, scope_path, position_id, leadership_rank,
                    party_member, email, phone, active_from, active_to, active, updated_at)
SELECT p.id, :'prefix' || lpad(p.n::text, :digits, '0'), :'name' || ' ' || p.n,
       lower(:'prefix') || lpad(p.n::text, :digits, '0') || ' ' || :'folded' || ' ' || p.n,
       'cong-chuc', p.org, p.path, (SELECT id FROM positions WHERE code = 'VT-CVTH'), 'khong', false, '', '', '', '', true, now()
FROM gen_people p;
