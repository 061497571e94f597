-- psql through pgtally: several statements per line, meta-commands that run their own
-- queries (\d, \gset, \gdesc), \copy in and out (one rejected by the server halfway), a
-- notice, errors that psql reports and goes on after, a transaction rolled back, and large
-- objects (fast-path function calls). Prints only deterministic output.
\set ON_ERROR_STOP 0
\pset pager off
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS clients_psql CASCADE;
CREATE SCHEMA clients_psql;
SET search_path = clients_psql;
RESET client_min_messages;

CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(8, 2), tags text[]);
INSERT INTO items VALUES (1, 'apple', 0.50, '{fruit}'), (2, 'bread', 2.25, '{bakery,fresh}');
INSERT INTO items VALUES (3, 'cheese', 7.10, NULL); SELECT count(*) AS after_three FROM items;

\copy items FROM stdin
4	dates	3.30	{fruit,dried}
5	eggs	2.00	\N
6	flour, white	1.15	{bakery}
\.

\copy items (id, name, price) FROM stdin WITH (FORMAT csv, HEADER true)
id,name,price
7,"grapes, red",4.20
8,"honey ""raw""",9.99
\.

-- A row the server rejects in the middle of a \copy: the whole COPY fails, nothing is added.
\copy items (id, name, price) FROM stdin
9	ink	1.00
ten	pens	2.00
11	paper	3.00
\.

SELECT id, name, price, tags FROM items ORDER BY id;
\copy (SELECT id, name, price FROM items ORDER BY id) TO stdout WITH (FORMAT csv, HEADER true)
\copy items TO stdout

SELECT count(*) AS item_count, sum(price) AS total FROM items \gset
\echo items: :item_count total: :total
SELECT name FROM items WHERE price > :total / :item_count ORDER BY name;
SELECT id, name, price FROM items WHERE id = 1 \gdesc
\d items

DO $$ BEGIN RAISE NOTICE 'items now: %', (SELECT count(*) FROM items); END $$;

INSERT INTO items VALUES (1, 'duplicate', 0, NULL);
SELECT 1 / 0 AS boom;
SELECT 'still connected' AS after_errors;

BEGIN;
UPDATE items SET price = price * 2;
SELECT sum(price) AS doubled FROM items;
SAVEPOINT before_bad;
INSERT INTO items VALUES (NULL, 'no id', 1, NULL);
ROLLBACK TO SAVEPOINT before_bad;
SELECT count(*) AS inside FROM items;
ROLLBACK;
SELECT sum(price) AS after_rollback FROM items;

PREPARE by_id (int) AS SELECT name FROM items WHERE id = $1;
EXECUTE by_id(2);
EXECUTE by_id(8);
DEALLOCATE by_id;

SELECT generate_series(1, 3) AS n \g
\x on
SELECT id, name FROM items WHERE id IN (1, 2) ORDER BY id;
\x off
SELECT string_agg(name, ',' ORDER BY id) AS names FROM items \gset
\echo :names

-- Large objects: \lo_import and \lo_export go through libpq's fast-path function calls.
\set QUIET on
\lo_import psql/script.sql
SELECT length(lo_get(:LASTOID)) AS imported_bytes, md5(lo_get(:LASTOID)) AS imported_md5;
\lo_export :LASTOID /dev/stdout
\lo_unlink :LASTOID
\set QUIET off
DROP SCHEMA clients_psql CASCADE;
