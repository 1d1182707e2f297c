-- The floor: one hand-written aggregation over the same rows a full recompute reads — per person,
-- the tasks due in the quarter (proposals and declined ones left out) with the sums the scores are
-- made of (assigned, completed in the quarter, weighted by errors, weighted by delays) and the counts,
-- over the converted quantity each task stores (`tasks.units`).
SELECT t.assignee_id,
       count(*) FILTER (WHERE t.state <> 'da-huy') AS counted,
       sum(u.units) FILTER (WHERE t.state <> 'da-huy') AS assigned,
       sum(u.units) FILTER (WHERE c.done) AS done,
       sum(u.units * greatest(0, 1 - 0.25 * (t.major_errors - t.exempt_errors))) FILTER (WHERE c.done) AS quality,
       sum(u.units * greatest(0, 1 - 0.25 * t.delays)) FILTER (WHERE c.done) AS on_time,
       count(*) FILTER (WHERE c.done AND t.delays = 0) AS on_time_count
FROM tasks t JOIN people p ON p.id = t.assignee_id
CROSS JOIN LATERAL (SELECT t.units::numeric AS units) u
CROSS JOIN LATERAL (SELECT t.state = 'hoan-thanh' AND t.completed_on <> '' AND t.completed_on <= :'last' AS done) c
WHERE p.active AND t.due_on >= :'first' AND t.due_on <= :'last' AND t.state NOT IN ('cho-duyet', 'khong-duyet')
GROUP BY t.assignee_id;
