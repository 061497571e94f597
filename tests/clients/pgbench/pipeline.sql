-- A custom pgbench script in pipeline mode (extended or prepared protocol only): the whole
-- transaction is sent before any result is read.
\set aid random(1, 100000 * :scale)
\set delta random(-:span, :span)
\startpipeline
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :aid, :delta, CURRENT_TIMESTAMP);
END;
\endpipeline
