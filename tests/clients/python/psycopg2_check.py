"""psycopg2 through pgtally: parameterized queries, executemany and execute_values, a
transaction rolled back, COPY in and out (copy_expert), large objects (fast-path calls), a named
cursor, a cancelled query and an error. Connection parameters come from the libpq environment
(PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). Prints deterministic lines; exits non-zero on
anything unexpected."""

import decimal
import io
import sys
import threading
import time

import psycopg2
import psycopg2.errors
import psycopg2.extras

SCHEMA = "clients_psycopg2"


def cancel_a_running_query() -> None:
    """Cancels pg_sleep from another thread: psycopg2 sends a CancelRequest with the session's
    key."""
    sleeper = psycopg2.connect("")
    watcher = psycopg2.connect("")
    watcher.autocommit = True
    pid = sleeper.get_backend_pid()
    outcome = []

    def sleep() -> None:
        try:
            sleeper.cursor().execute("SELECT pg_sleep(60)")
            outcome.append("not cancelled")
        except psycopg2.errors.QueryCanceled as e:
            outcome.append(e.pgcode)

    thread = threading.Thread(target=sleep)
    thread.start()
    deadline = time.monotonic() + 60
    cur = watcher.cursor()
    while True:
        cur.execute(
            "SELECT count(*) = 1 FROM pg_stat_activity WHERE pid = %s AND state = 'active'"
            " AND query LIKE 'SELECT pg_sleep%%'",
            (pid,),
        )
        if cur.fetchone()[0]:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("pg_sleep never became active")
        time.sleep(0.02)  # poll interval
    sleeper.cancel()
    thread.join()
    print("cancelled:", outcome)
    sleeper.close()
    watcher.close()


def main() -> int:
    conn = psycopg2.connect("", application_name="pgtally-psycopg2-check")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET client_min_messages = warning")
    cur.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    cur.execute(f"CREATE SCHEMA {SCHEMA}")
    cur.execute(f"SET search_path = {SCHEMA}")
    cur.execute(
        "CREATE TABLE events (id int PRIMARY KEY, kind text NOT NULL, weight numeric(8, 3),"
        " labels text[])"
    )

    cur.execute(
        "SELECT %s::int + 1, upper(%s), %s::numeric * 2, %s IS NULL, %s",
        (41, "hello", decimal.Decimal("1.25"), None, ["x", "y"]),
    )
    print("params:", cur.fetchone())
    cur.execute("SELECT %(a)s * %(b)s AS product", {"a": 6, "b": 7})
    print("named params:", cur.fetchone())

    cur.executemany(
        "INSERT INTO events VALUES (%s, %s, %s, %s)",
        [(i, f"kind-{i % 3}", decimal.Decimal(i) / 8, [str(i)]) for i in range(1, 31)],
    )
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO events (id, kind, weight) VALUES %s",
        [(i, "bulk", decimal.Decimal(i)) for i in range(31, 231)],
        page_size=50,
    )
    cur.execute("SELECT count(*), sum(weight) FROM events")
    print("inserted:", cur.fetchone())

    # A transaction rolled back, then one committed.
    conn.autocommit = False
    cur.execute("DELETE FROM events WHERE kind = 'bulk'")
    cur.execute("SELECT count(*) FROM events")
    print("inside:", cur.fetchone())
    conn.rollback()
    cur.execute("SELECT count(*) FROM events")
    print("after rollback:", cur.fetchone())
    with conn:
        cur.execute("UPDATE events SET labels = '{committed}' WHERE id > 225")
    cur.execute("SELECT count(*) FROM events WHERE labels = '{committed}'")
    print("committed:", cur.fetchone())
    conn.commit()

    # COPY in and out.
    data = io.StringIO("".join(f"{i}\tcopied\t{i}.5\t\\N\n" for i in range(1000, 1300)))
    cur.copy_expert("COPY events FROM STDIN", data)
    print("copy in:", cur.rowcount)
    out = io.StringIO()
    cur.copy_expert(
        "COPY (SELECT id, kind, weight FROM events WHERE id % 100 = 0 ORDER BY id)"
        " TO STDOUT WITH (FORMAT csv)",
        out,
    )
    print("copy out:", out.getvalue().splitlines())
    conn.commit()

    # A named cursor: DECLARE ... and FETCH in batches on the server.
    with conn.cursor(name="events_cursor") as named:
        named.itersize = 64
        named.execute("SELECT id FROM events ORDER BY id")
        ids = [row[0] for row in named]
    print("named cursor:", len(ids), ids[0], ids[-1], sum(ids))
    conn.commit()

    # Large objects: libpq's lo_* calls are fast-path FunctionCall messages.
    conn.autocommit = False
    blob = bytes(range(256)) * 300
    lo = conn.lobject(0, "wb")
    lo.write(blob)
    oid = lo.oid
    lo.close()
    lo = conn.lobject(oid, "rb")
    lo.seek(1000)
    middle = lo.read(16)
    lo.seek(0)
    whole = lo.read()
    lo.close()
    print("large object:", len(whole), whole == blob, middle.hex())
    lo = conn.lobject(oid, "wb")
    lo.truncate(10)
    lo.unlink()
    conn.commit()

    cancel_a_running_query()

    # An error, then the connection still works.
    conn.autocommit = True
    try:
        cur.execute("INSERT INTO events (id, kind) VALUES (1, 'again')")
        print("unexpected: duplicate insert succeeded")
        return 1
    except psycopg2.errors.UniqueViolation as e:
        print("error:", e.pgcode, e.diag.constraint_name)
    cur.execute("SELECT count(*) FROM events")
    print("after error:", cur.fetchone())
    cur.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    conn.close()
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
