"""The blog app of tests/clients/node/attribution_corpus.js on psycopg2 from threads, as a
thread-per-request web server with a connection pool drives it: each user is a thread, a request
holds one pooled connection from its first query to its last (psycopg2 sends its parameters
inlined in the SQL text), and the pool is smaller than the number of users, so each connection
serves request after request with no pause. Every query carries a sqlcommenter request_id and
route: the ground truth pgtally reads but ignores under --ignore-tags.

Usage: python3 attribution_corpus.py USERS POOL REQUESTS_PER_USER
Connection from the libpq environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). Prints
`requests: N` and `statements: N` on success; exits non-zero on any error."""

import queue
import sys
import threading
import urllib.parse

import psycopg2

SCHEMA = "attribution_corpus_psycopg2"
BLOGS = 5
POSTS_PER_BLOG = 12
LONG_BODY = "x" * 2048


class Request:
    """One request's query function: tags every statement and counts it."""

    def __init__(self, conn, request_id, route, counter):
        self.cur = conn.cursor()
        self.tag = " /*request_id='%s',route='%s'*/" % (
            request_id,
            urllib.parse.quote(route, safe=""),
        )
        self.counter = counter

    def __call__(self, sql, params=None):
        self.counter.add_statement()
        # With parameters, psycopg2 reads every % in the text: the tag's escapes are doubled.
        tag = self.tag if params is None else self.tag.replace("%", "%%")
        self.cur.execute(sql + tag, params)
        return self.cur.fetchall() if self.cur.description is not None else []


def posts_lazy(q, n):
    posts = q("SELECT id, title FROM posts WHERE blog_id = %s ORDER BY id LIMIT 10",
              (1 + n % BLOGS,))
    for post_id, _ in posts:
        q("SELECT id, body FROM comments WHERE post_id = %s", (post_id,))


def posts_nested(q, n):
    posts = q("SELECT id, title FROM posts WHERE blog_id = %s ORDER BY id LIMIT 6",
              (1 + (n + 2) % BLOGS,))
    for post_id, _ in posts:
        comments = q("SELECT id, author_id FROM comments WHERE post_id = %s", (post_id,))
        for _, author_id in comments:
            q("SELECT id, name FROM users WHERE id = %s", (author_id,))


def posts_join(q, n):
    q("SELECT p.id, p.title, c.id AS comment_id, c.body FROM posts p "
      "LEFT JOIN comments c ON c.post_id = p.id WHERE p.blog_id = %s ORDER BY p.id, c.id",
      (1 + n % BLOGS,))


def posts_batch(q, n):
    posts = q("SELECT id, title FROM posts WHERE blog_id = %s ORDER BY id LIMIT 10",
              (1 + (n + 1) % BLOGS,))
    # psycopg2 sends a list as ARRAY[...].
    q("SELECT id, post_id, body FROM comments WHERE post_id = ANY(%s)", ([p[0] for p in posts],))


def posts_separate(q, n):
    posts = q("SELECT id, title FROM posts WHERE blog_id = %s ORDER BY id LIMIT 10",
              (1 + (n + 3) % BLOGS,))
    # ... and a tuple as an IN list.
    q("SELECT id, post_id, body FROM comments WHERE post_id IN %s", (tuple(p[0] for p in posts),))


def posts_page(q, n):
    q("SELECT id, title FROM posts ORDER BY id LIMIT 10 OFFSET %s", (10 * (n % 5),))


def posts_keyset(q, n):
    after = n % 20
    for _ in range(3):
        rows = q("SELECT id, title FROM posts WHERE id > %s ORDER BY id LIMIT 5", (after,))
        after = rows[-1][0]


def authors(q, n):
    # belongsTo, lazily: the author key stands after the long body and the timestamps.
    posts = q("SELECT id, title, body, created_at, author_id FROM posts "
              "WHERE blog_id = %s ORDER BY id LIMIT 12", (1 + (n + 4) % BLOGS,))
    for post in posts:
        q("SELECT id, name FROM users WHERE id = %s", (post[4],))


def dashboard(q, n):
    # One connection cannot run queries in parallel: a thread-per-request app's dashboard is
    # four unrelated counts one after another.
    for table in ("posts", "comments", "users", "orders"):
        q("SELECT count(*) FROM %s" % table)


def checkout(q, n):
    [(order_id,)] = q("INSERT INTO orders (user_id) VALUES (%s) RETURNING id", (1,))
    for i in range(6):
        q("INSERT INTO order_items (order_id, product_id, qty) VALUES (%s, %s, %s)",
          (order_id, 1 + (n + i) % 20, 1 + i % 3))


ROUTES = [
    ("/posts-lazy", posts_lazy),
    ("/posts-nested", posts_nested),
    ("/posts-join", posts_join),
    ("/posts-batch", posts_batch),
    ("/posts-separate", posts_separate),
    ("/posts-page", posts_page),
    ("/posts-keyset", posts_keyset),
    ("/authors", authors),
    ("/dashboard", dashboard),
    ("/checkout", checkout),
]


def setup():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET client_min_messages = warning")
    cur.execute("DROP SCHEMA IF EXISTS %s CASCADE" % SCHEMA)
    cur.execute("CREATE SCHEMA %s" % SCHEMA)
    cur.execute("SET search_path = %s" % SCHEMA)
    cur.execute("CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL)")
    cur.execute("CREATE TABLE posts (id serial PRIMARY KEY, blog_id int NOT NULL, "
                "title text NOT NULL, body text NOT NULL, "
                "created_at timestamptz NOT NULL DEFAULT now(), "
                "author_id int NOT NULL REFERENCES users)")
    cur.execute("CREATE TABLE comments (id serial PRIMARY KEY, post_id int NOT NULL "
                "REFERENCES posts, author_id int NOT NULL REFERENCES users, body text NOT NULL)")
    cur.execute("CREATE TABLE orders (id serial PRIMARY KEY, user_id int NOT NULL)")
    cur.execute("CREATE TABLE order_items (id serial PRIMARY KEY, order_id int NOT NULL "
                "REFERENCES orders, product_id int NOT NULL, qty int NOT NULL)")
    cur.execute("INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, 30) g")
    # Three authors per blog, so a belongsTo loop sees each author several times.
    cur.execute("INSERT INTO posts (blog_id, title, body, author_id) "
                "SELECT b, 'post ' || p, %s, 1 + ((b * 3 + p %% 3) %% 30) "
                f"FROM generate_series(1, {BLOGS}) b, generate_series(1, {POSTS_PER_BLOG}) p "
                "ORDER BY b, p", (LONG_BODY,))
    cur.execute("INSERT INTO comments (post_id, author_id, body) "
                "SELECT p.id, 1 + ((p.id * 7 + k) % 30), 'comment ' || k FROM posts p, "
                "generate_series(1, 3) k ORDER BY p.id, k")
    conn.close()


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.statements = 0
        self.requests = 0

    def add_statement(self):
        with self.lock:
            self.statements += 1

    def add_request(self):
        with self.lock:
            self.requests += 1


def main():
    try:
        users, pool_size, per_user = (int(a) for a in sys.argv[1:4])
        if users <= 0 or pool_size <= 0 or per_user <= 0:
            raise ValueError
    except ValueError:
        print("usage: python3 attribution_corpus.py USERS POOL REQUESTS_PER_USER",
              file=sys.stderr)
        return 2
    setup()
    pool = queue.Queue()
    for _ in range(pool_size):
        conn = psycopg2.connect(options="-c search_path=%s" % SCHEMA)
        conn.autocommit = True
        pool.put(conn)
    counter = Counter()
    errors = []

    def user(u):
        try:
            for r in range(per_user):
                n = u * 7 + r
                route, handler = ROUTES[n % len(ROUTES)]
                conn = pool.get()
                try:
                    q = Request(conn, "u%d-r%d" % (u, r), route, counter)
                    q("SELECT id, name FROM users WHERE id = %s", (1,))  # the session's user
                    handler(q, n)
                finally:
                    pool.put(conn)
                counter.add_request()
        except Exception as e:  # reported below: the run fails
            errors.append("user %d: %r" % (u, e))

    threads = [threading.Thread(target=user, args=(u,)) for u in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    while not pool.empty():
        pool.get().close()
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print("requests: %d" % counter.requests)
    print("statements: %d" % counter.statements)
    return 0


if __name__ == "__main__":
    sys.exit(main())
