// Streaming parents on pgjdbc: each request reads a list of posts with a fetch size of 4 (pgjdbc
// then keeps the portal open inside a transaction and fetches 4 rows per Execute), and while the
// list is still open looks rows up on the pool's other connections, in auto-commit. /posts-fetch
// looks up each row's comments (an N+1 whose parent has not completed), /posts-fetch-batch each
// fetched part's comments at once (no N+1). Every query carries a sqlcommenter request_id and
// route: the ground truth pgtally reads but ignores under --ignore-tags.
//
// Usage: java -cp postgresql.jar FetchSizeCorpus.java URL USER PASSWORD USERS POOL REQUESTS
// (POOL > USERS: a list holds its connection while the lookups need another). Prints
// `requests: N` and `statements: N` on success; exits non-zero on any error.
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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

public class FetchSizeCorpus {
  static final String SCHEMA = "fetch_size_corpus";
  static final int BLOGS = 4;
  static final int POSTS_PER_BLOG = 12;
  static final int FETCH = 4;

  static BlockingQueue<Connection> pool;
  static final AtomicInteger requests = new AtomicInteger();

  static String tag(String id, String route) {
    return " /*request_id='" + id + "',route='" + URLEncoder.encode(route, StandardCharsets.UTF_8)
        + "'*/";
  }

  // A lookup on a connection borrowed for it alone.
  static void lookup(String sql, Object key) throws Exception {
    Connection c = pool.take();
    try (PreparedStatement s = c.prepareStatement(sql)) {
      if (key instanceof Integer[] keys) {
        s.setArray(1, c.createArrayOf("int4", keys));
      } else {
        s.setObject(1, key);
      }
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          rs.getObject(1);
        }
      }
    } finally {
      pool.put(c);
    }
  }

  static void request(String id, String route, int n) throws Exception {
    String tag = tag(id, route);
    Connection c = pool.take();
    try {
      c.setAutoCommit(false);
      try (PreparedStatement s = c.prepareStatement(
               "SELECT id, title FROM posts WHERE blog_id = ? ORDER BY id" + tag)) {
        s.setFetchSize(FETCH);
        s.setInt(1, 1 + n % BLOGS);
        List<Integer> part = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            int post = rs.getInt(1);
            if (route.equals("/posts-fetch")) {
              lookup("SELECT id, body FROM comments WHERE post_id = ?" + tag, post);
              continue;
            }
            part.add(post);
            if (part.size() == FETCH) {
              lookup("SELECT id, post_id, body FROM comments WHERE post_id = ANY(?)" + tag,
                  part.toArray(new Integer[0]));
              part.clear();
            }
          }
        }
      }
      c.commit();
      c.setAutoCommit(true);
    } finally {
      pool.put(c);
    }
  }

  static void setup(String url, String user, String password) throws Exception {
    try (Connection c = DriverManager.getConnection(url, user, password);
        Statement s = c.createStatement()) {
      s.execute("SET client_min_messages = warning");
      s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
      s.execute("CREATE SCHEMA " + SCHEMA);
      s.execute("SET search_path = " + SCHEMA);
      s.execute("CREATE TABLE posts (id serial PRIMARY KEY, blog_id int NOT NULL, "
          + "title text NOT NULL)");
      s.execute("CREATE TABLE comments (id serial PRIMARY KEY, post_id int NOT NULL "
          + "REFERENCES posts, body text NOT NULL)");
      s.execute("INSERT INTO posts (blog_id, title) SELECT b, 'post ' || p "
          + "FROM generate_series(1, " + BLOGS + ") b, generate_series(1, " + POSTS_PER_BLOG
          + ") p ORDER BY b, p");
      s.execute("INSERT INTO comments (post_id, body) SELECT p.id, 'comment ' || k "
          + "FROM posts p, generate_series(1, 3) k ORDER BY p.id, k");
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 6) {
      System.err.println("usage: FetchSizeCorpus URL USER PASSWORD USERS POOL REQUESTS_PER_USER");
      System.exit(2);
    }
    String url = args[0];
    int users = Integer.parseInt(args[3]);
    int poolSize = Integer.parseInt(args[4]);
    int perUser = Integer.parseInt(args[5]);
    if (poolSize <= users) {
      System.err.println("POOL must exceed USERS: a list holds its connection");
      System.exit(2);
    }
    setup(url, args[1], args[2]);
    pool = new ArrayBlockingQueue<>(poolSize);
    String pooled = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA;
    for (int i = 0; i < poolSize; ++i) pool.put(DriverManager.getConnection(pooled, args[1], args[2]));

    String[] routes = {"/posts-fetch", "/posts-fetch-batch"};
    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (int u = 0; u < users; ++u) {
      final int user = u;
      Thread t = new Thread(() -> {
        try {
          for (int r = 0; r < perUser; ++r) {
            int n = user * 3 + r;
            request("u" + user + "-r" + r, routes[n % routes.length], n);
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
  }
}
