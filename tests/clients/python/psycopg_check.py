"""psycopg 3 through pgtally: parameterized queries (text and binary), executemany, a
transaction rolled back, COPY in and out (cursor.copy), server-side prepared statements
(prepare=True), binary COPY, pipelines (one with an error), a cancelled query and an
error. Connection parameters come from the libpq environment
(PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). Prints deterministic lines; exits non-zero
on anything unexpected."""

import decimal
import logging
import sys
import threading
import time

import psycopg
from psycopg import errors

SCHEMA = "clients_psycopg"


def cancel_a_running_query() -> None:
    """Cancels pg_sleep from another thread: psycopg sends a CancelRequest with the session's key."""
    with psycopg.connect("") as sleeper, psycopg.connect("") as watcher:
        pid = sleeper.info.backend_pid
        outcome = []

        def sleep() -> None:
            try:
                sleeper.execute("SELECT pg_sleep(60)")
                outcome.append("not cancelled")
            except errors.QueryCanceled as e:
                outcome.append(e.sqlstate)

        thread = threading.Thread(target=sleep)
        thread.start()
        watcher.autocommit = True
        deadline = time.monotonic() + 60
        while not watcher.execute(
            "SELECT count(*) = 1 FROM pg_stat_activity WHERE pid = %s AND state = 'active'"
            " AND query LIKE 'SELECT pg_sleep%%'",
            (pid,),
        ).fetchone()[0]:
            if time.monotonic() > deadline:
                raise RuntimeError("pg_sleep never became active")
            time.sleep(0.02)  # poll interval
        sleeper.cancel()
        thread.join()
        print("cancelled:", outcome)


def main() -> int:
    with psycopg.connect("", application_name="pgtally-psycopg-check") as conn:
        conn.autocommit = True
        conn.execute("SET client_min_messages = warning")
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        conn.execute(f"SET search_path = {SCHEMA}")
        conn.execute(
            "CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL,"
            " amount numeric(10, 2), paid boolean, note text)"
        )

        with conn.cursor() as cur:
            cur.execute(
                "SELECT %s::int + 1, upper(%s), %s::numeric * 2, %s::text IS NULL",
                (41, "hello", decimal.Decimal("1.25"), None),
            )
            print("params:", cur.fetchone())
            cur.execute("SELECT %(a)s::int * %(b)s::int AS product", {"a": 6, "b": 7})
            print("named params:", cur.fetchone())
            cur.execute("SELECT %s::int[], %s::text", ([1, 2, 3], "binary"), binary=True)
            print("binary:", cur.fetchone())

            cur.executemany(
                "INSERT INTO orders VALUES (%s, %s, %s, %s, %s)",
                [
                    (i, f"customer-{i % 4}", decimal.Decimal(i) * 3, i % 2 == 0, None)
                    for i in range(1, 21)
                ],
            )
            cur.execute("SELECT count(*), sum(amount) FROM orders")
            print("executemany:", cur.fetchone())

        # Server-side prepared statement: prepare=True makes psycopg Parse a named statement.
        for i in range(1, 11):
            row = conn.execute(
                "SELECT customer, amount FROM orders WHERE id = %s", (i,), prepare=True
            ).fetchone()
            print("prepared", i, row)
        named = conn.execute(
            "SELECT count(*) FROM pg_prepared_statements"
            " WHERE statement LIKE 'SELECT customer, amount FROM orders%%' AND NOT from_sql"
        ).fetchone()[0]
        print("named statements on the server:", named)

        # A transaction rolled back.
        with conn.transaction():
            conn.execute("UPDATE orders SET amount = 0")
            print("inside:", conn.execute("SELECT sum(amount) FROM orders").fetchone())
            raise psycopg.Rollback()
        print("after rollback:", conn.execute("SELECT sum(amount) FROM orders").fetchone())
        with conn.transaction():
            conn.execute("UPDATE orders SET note = 'committed' WHERE id <= 3")
        print("committed:", conn.execute("SELECT count(note) FROM orders").fetchone())

        # COPY in (rows) and out (text).
        with conn.cursor() as cur:
            with cur.copy("COPY orders (id, customer, amount, paid) FROM STDIN") as copy:
                for i in range(100, 400):
                    copy.write_row((i, f"bulk-{i}", decimal.Decimal(i) / 4, None))
            print("copy in:", cur.rowcount)
            with cur.copy(
                "COPY (SELECT id, customer, amount FROM orders WHERE id % 50 = 0 ORDER BY id)"
                " TO STDOUT"
            ) as copy:
                for row in copy.rows():
                    print("copy out:", row)

        # A pipeline: several queries sent before reading any result.
        with conn.pipeline():
            cursors = [conn.execute("SELECT %s::int * 10", (i,)) for i in range(5)]
        print("pipeline:", [c.fetchone()[0] for c in cursors])

        # A COPY the client abandons: psycopg sends CopyFail and the server rolls it back.
        with conn.cursor() as cur:
            try:
                with cur.copy("COPY orders (id, customer) FROM STDIN") as copy:
                    copy.write_row((900, "never stored"))
                    raise ValueError("client gave up")
            except errors.QueryCanceled as e:
                print("copy abandoned:", e.sqlstate)
            except ValueError as e:
                print("copy abandoned:", e)
            print(
                "after abandoned copy:",
                conn.execute("SELECT count(*) FROM orders WHERE id = 900").fetchone(),
            )

        # Binary COPY out and back in.
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE orders_copy (LIKE orders)")
            with cur.copy(
                "COPY (SELECT * FROM orders ORDER BY id) TO STDOUT (FORMAT BINARY)"
            ) as out:
                blocks = list(out)
            with cur.copy("COPY orders_copy FROM STDIN (FORMAT BINARY)") as into:
                for block in blocks:
                    into.write(block)
            print("binary copy:", cur.rowcount)
            cur.execute("SELECT count(*), sum(amount) FROM orders_copy")
            print("binary copy rows:", cur.fetchone())

        # A pipeline with an error in the middle: the queries after it are skipped until Sync.
        # Whether psycopg sees the error while still queueing or only at the end of the block
        # depends on when the results arrive; either way the same exception reaches the caller,
        # but in the first case psycopg also logs "error ignored terminating <Pipeline ...>", which
        # is silenced here so the output does not depend on timing.
        logging.getLogger("psycopg").setLevel(logging.ERROR)
        try:
            with conn.pipeline():
                first = conn.execute("SELECT 'before'")
                conn.execute("SELECT 1 / 0")
                conn.execute("SELECT 'skipped'")
        except errors.DivisionByZero as e:
            print("pipeline error:", e.sqlstate, first.fetchone())
        print("after pipeline error:", conn.execute("SELECT 'ok'").fetchone())

        cancel_a_running_query()

        # An error, then the connection still works.
        try:
            conn.execute("INSERT INTO orders (id, customer) VALUES (1, 'again')")
            print("unexpected: duplicate insert succeeded")
            return 1
        except errors.UniqueViolation as e:
            print("error:", e.sqlstate, e.diag.constraint_name)
        print("after error:", conn.execute("SELECT count(*) FROM orders").fetchone())
        conn.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
