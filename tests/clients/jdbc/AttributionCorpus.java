// The blog app of tests/clients/node/attribution_corpus.js on pgjdbc from threads: each user is a
// thread, and every query borrows whichever pooled connection is free and returns it at once (a
// DataSource in auto-commit, as a repository without a transaction uses it), so one request's
// queries spread over connections and each connection serves many requests back to back. pgjdbc
// switches a statement to a named server-side one after prepareThreshold (5) executions on a
// connection and then binds its parameters in binary. Every query carries a sqlcommenter
// request_id and route: the ground truth pgtally reads but ignores under --ignore-tags.
//
// Usage: java -cp postgresql.jar AttributionCorpus.java URL USER PASSWORD USERS POOL REQUESTS
// Prints `requests: N` and `statements: N` on success; exits non-zero on any error.
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

public class AttributionCorpus {
  static final String SCHEMA = "attribution_corpus_jdbc";
  static final int BLOGS = 5;
  static final int POSTS_PER_BLOG = 12;

  static BlockingQueue<Connection> pool;
  static final AtomicInteger statements = new AtomicInteger();
  static final AtomicInteger requests = new AtomicInteger();

  // One request's query function: tags every statement, counts it, and runs it on a connection
  // borrowed for that statement alone. Returns the rows as lists of their columns.
  record Request(String id, String route) {
    List<List<Object>> q(String sql, Object... params) throws Exception {
      statements.incrementAndGet();
      String tag = " /*request_id='" + id + "',route='"
          + URLEncoder.encode(route, StandardCharsets.UTF_8) + "'*/";
      Connection c = pool.take();
      try (PreparedStatement s = c.prepareStatement(sql + tag)) {
        for (int i = 0; i < params.length; ++i) {
          if (params[i] instanceof Integer[] keys) {
            s.setArray(i + 1, c.createArrayOf("int4", keys));
          } else {
            s.setObject(i + 1, params[i]);
          }
        }
        List<List<Object>> rows = new ArrayList<>();
        if (!s.execute()) return rows;
        try (ResultSet rs = s.getResultSet()) {
          int columns = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            List<Object> row = new ArrayList<>();
            for (int col = 1; col <= columns; ++col) row.add(rs.getObject(col));
            rows.add(row);
          }
        }
        return rows;
      } finally {
        pool.put(c);
      }
    }
  }

  static int key(List<Object> row, int column) {
    return ((Number) row.get(column)).intValue();
  }

  static void route(Request q, int n) throws Exception {
    switch (q.route()) {
      case "/posts-lazy" -> {
        for (List<Object> p : q.q("SELECT id, title FROM posts WHERE blog_id = ? ORDER BY id LIMIT 10",
                 1 + n % BLOGS)) {
          q.q("SELECT id, body FROM comments WHERE post_id = ?", key(p, 0));
        }
      }
      case "/posts-nested" -> {
        for (List<Object> p : q.q("SELECT id, title FROM posts WHERE blog_id = ? ORDER BY id LIMIT 6",
                 1 + (n + 2) % BLOGS)) {
          for (List<Object> c : q.q("SELECT id, author_id FROM comments WHERE post_id = ?", key(p, 0))) {
            q.q("SELECT id, name FROM users WHERE id = ?", key(c, 1));
          }
        }
      }
      case "/posts-join" -> q.q("SELECT p.id, p.title, c.id AS comment_id, c.body FROM posts p "
              + "LEFT JOIN comments c ON c.post_id = p.id WHERE p.blog_id = ? ORDER BY p.id, c.id",
          1 + n % BLOGS);
      case "/posts-batch" -> {
        List<Integer> ids = new ArrayList<>();
        for (List<Object> p : q.q("SELECT id, title FROM posts WHERE blog_id = ? ORDER BY id LIMIT 10",
                 1 + (n + 1) % BLOGS)) {
          ids.add(key(p, 0));
        }
        q.q("SELECT id, post_id, body FROM comments WHERE post_id = ANY(?)",
            (Object) ids.toArray(new Integer[0]));
      }
      case "/posts-separate" -> {
        List<Object> ids = new ArrayList<>();
        for (List<Object> p : q.q("SELECT id, title FROM posts WHERE blog_id = ? ORDER BY id LIMIT 10",
                 1 + (n + 3) % BLOGS)) {
          ids.add(key(p, 0));
        }
        String marks = String.join(", ", java.util.Collections.nCopies(ids.size(), "?"));
        q.q("SELECT id, post_id, body FROM comments WHERE post_id IN (" + marks + ")", ids.toArray());
      }
      case "/posts-page" -> q.q("SELECT id, title FROM posts ORDER BY id LIMIT 10 OFFSET ?", 10 * (n % 5));
      case "/posts-keyset" -> {
        int after = n % 20;
        for (int page = 0; page < 3; ++page) {
          List<List<Object>> rows = q.q("SELECT id, title FROM posts WHERE id > ? ORDER BY id LIMIT 5", after);
          after = key(rows.get(rows.size() - 1), 0);
        }
      }
      case "/authors" -> {
        // belongsTo, lazily: the author key stands after the long body and the timestamps.
        for (List<Object> p : q.q("SELECT id, title, body, created_at, author_id FROM posts "
                 + "WHERE blog_id = ? ORDER BY id LIMIT 12", 1 + (n + 4) % BLOGS)) {
          q.q("SELECT id, name FROM users WHERE id = ?", key(p, 4));
        }
      }
      case "/dashboard" -> {
        List<CompletableFuture<Void>> counts = new ArrayList<>();
        for (String table : List.of("posts", "comments", "users", "orders")) {
          counts.add(CompletableFuture.runAsync(() -> {
            try {
              q.q("SELECT count(*) FROM " + table);
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
          }));
        }
        CompletableFuture.allOf(counts.toArray(new CompletableFuture[0])).join();
      }
      case "/checkout" -> {
        int order = key(q.q("INSERT INTO orders (user_id) VALUES (?) RETURNING id", 1).get(0), 0);
        for (int i = 0; i < 6; ++i) {
          q.q("INSERT INTO order_items (order_id, product_id, qty) VALUES (?, ?, ?)", order,
              1 + (n + i) % 20, 1 + i % 3);
        }
      }
      default -> throw new IllegalArgumentException(q.route());
    }
  }

  static final String[] ROUTES = {"/posts-lazy", "/posts-nested", "/posts-join", "/posts-batch",
      "/posts-separate", "/posts-page", "/posts-keyset", "/authors", "/dashboard", "/checkout"};

  static void setup(String url, String user, String password) throws Exception {
    try (Connection c = DriverManager.getConnection(url, user, password);
        Statement s = c.createStatement()) {
      s.execute("SET client_min_messages = warning");
      s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
      s.execute("CREATE SCHEMA " + SCHEMA);
      s.execute("SET search_path = " + SCHEMA);
      s.execute("CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL)");
      s.execute("CREATE TABLE posts (id serial PRIMARY KEY, blog_id int NOT NULL, "
          + "title text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), "
          + "author_id int NOT NULL REFERENCES users)");
      s.execute("CREATE TABLE comments (id serial PRIMARY KEY, post_id int NOT NULL "
          + "REFERENCES posts, author_id int NOT NULL REFERENCES users, body text NOT NULL)");
      s.execute("CREATE TABLE orders (id serial PRIMARY KEY, user_id int NOT NULL)");
      s.execute("CREATE TABLE order_items (id serial PRIMARY KEY, order_id int NOT NULL "
          + "REFERENCES orders, product_id int NOT NULL, qty int NOT NULL)");
      s.execute("INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, 30) g");
      s.execute("INSERT INTO posts (blog_id, title, body, author_id) "
          + "SELECT b, 'post ' || p, repeat('x', 2048), 1 + ((b * 3 + p % 3) % 30) "
          + "FROM generate_series(1, " + BLOGS + ") b, generate_series(1, " + POSTS_PER_BLOG
          + ") p ORDER BY b, p");
      s.execute("INSERT INTO comments (post_id, author_id, body) "
          + "SELECT p.id, 1 + ((p.id * 7 + k) % 30), 'comment ' || k FROM posts p, "
          + "generate_series(1, 3) k ORDER BY p.id, k");
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 6) {
      System.err.println("usage: AttributionCorpus URL USER PASSWORD USERS POOL REQUESTS_PER_USER");
      System.exit(2);
    }
    String url = args[0];
    int users = Integer.parseInt(args[3]);
    int poolSize = Integer.parseInt(args[4]);
    int perUser = Integer.parseInt(args[5]);
    setup(url, args[1], args[2]);
    pool = new ArrayBlockingQueue<>(poolSize);
    String pooled = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA;
    for (int i = 0; i < poolSize; ++i) pool.put(DriverManager.getConnection(pooled, args[1], args[2]));

    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (int u = 0; u < users; ++u) {
      final int user = u;
      Thread t = new Thread(() -> {
        try {
          for (int r = 0; r < perUser; ++r) {
            int n = user * 7 + r;
            Request q = new Request("u" + user + "-r" + r, ROUTES[n % ROUTES.length]);
            q.q("SELECT id, name FROM users WHERE id = ?", 1);  // the session's user
            route(q, n);
            requests.incrementAndGet();
          }
        } catch (Exception e) {
          errors.add("user " + user + ": " + e);
        }
      });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) t.join();
    for (Connection c : pool) c.close();
    if (!errors.isEmpty()) {
      errors.forEach(System.err::println);
      System.exit(1);
    }
    System.out.println("requests: " + requests.get());
    System.out.println("statements: " + statements.get());
  }
}
