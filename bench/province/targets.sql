-- What each of the load's users opens (bench/province/driver.py reads it, one line each, tab-separated): the sign-in,
-- its role, the person's code, the person's newest task, the person's unit (a leader's report) and whether the
-- person has a result in :'month' (the result explanation).
SELECT u.username, g.role, p.code,
       coalesce((SELECT t.id::text FROM tasks t WHERE t.assignee_id = p.id ORDER BY t.due_on DESC LIMIT 1), ''),
       (SELECT o.code FROM organizations o WHERE o.id = p.organization_id),
       EXISTS (SELECT 1 FROM score_inputs s WHERE s.person_id = p.id AND s.period = :'month')
FROM users u JOIN people p ON p.id = u.person_id JOIN role_grants g ON g.user_id = u.id
WHERE u.username LIKE 'prov%' ORDER BY 1;
