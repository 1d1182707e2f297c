-- Shared by the evaluation and reports generators: :people people coded :'prefix' and six digits, named
-- "Cán bộ n", spread over every active leaf unit (people.sql, which leaves them in `gen_people`).
CREATE TEMP TABLE orgs AS
  SELECT o.id, o.path, row_number() OVER (ORDER BY o.path) - 1 AS n FROM organizations o
  WHERE o.active AND NOT EXISTS (SELECT 1 FROM organizations c WHERE c.parent_id = o.id);
\set digits 6
\set name 'Cán bộ'
\set folded 'can bo'
\ir people.sql
