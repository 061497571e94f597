-- A custom pgbench script: random account, random amount (span set with -D span=...), read
-- back and logged, in one transaction. Variables become parameters under -M extended/prepared.
\set aid random(1, 100000 * :scale)
\set delta random(-:span, :span)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :aid, :delta, CURRENT_TIMESTAMP);
END;
