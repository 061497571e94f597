SELECT u.id, 'it''s', E'a\'b', $$x$$, $t$y$t$, B'101', X'ff', U&'d' FROM users u WHERE u.id IN (1, -2, 3.5e1) AND u.tag = ANY('{a,"b c"}') ORDER BY 1 LIMIT 10 OFFSET $1 -- c
/* a /* nested */ b */