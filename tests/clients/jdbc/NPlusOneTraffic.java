// An application's two ways to render a product list, as JDBC sends them: the lazy loop (one
// lookup per product: the N+1) and the eager twin (one batched lookup). pgjdbc prepares a
// statement on the server after prepareThreshold executions and then sends its parameters in
// binary, so the lazy loop exercises both encodings. Tags follow sqlcommenter, unless the
// request id is "-" (untagged: each request is its own transaction).
// Usage: java -cp postgresql.jar NPlusOneTraffic.java URL USER PASSWORD LAZY_ID EAGER_ID
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

public class NPlusOneTraffic {
  static String tag(String sql, String requestId, String route) {
    if (requestId.equals("-")) return sql;
    return sql + " /*request_id='" + requestId + "',route='" + route.replace("/", "%2F") + "'*/";
  }

  static List<Long> categoryIds(Connection c, String requestId, String route) throws Exception {
    List<Long> ids = new ArrayList<>();
    try (PreparedStatement list = c.prepareStatement(
            tag("SELECT id, category_id FROM jdbc_products ORDER BY id LIMIT 20", requestId, route));
        ResultSet rs = list.executeQuery()) {
      while (rs.next()) ids.add(rs.getLong(2));
    }
    return ids;
  }

  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection(args[0], args[1], args[2])) {
      c.setAutoCommit(args[3].equals("-") ? false : true);
      int lookups = 0;
      // GET /jdbc-products, lazily.
      for (Long category : categoryIds(c, args[3], "/jdbc-products")) {
        try (PreparedStatement one = c.prepareStatement(
                tag("SELECT id, name FROM jdbc_categories WHERE id = ?", args[3], "/jdbc-products"))) {
          one.setLong(1, category);
          try (ResultSet rs = one.executeQuery()) {
            while (rs.next()) lookups++;
          }
        }
      }
      if (!c.getAutoCommit()) c.commit();
      // GET /jdbc-products-eager: the same page in two queries.
      List<Long> ids = categoryIds(c, args[4], "/jdbc-products-eager");
      int eager = 0;
      try (PreparedStatement all = c.prepareStatement(
              tag("SELECT id, name FROM jdbc_categories WHERE id = ANY(?)", args[4],
                  "/jdbc-products-eager"))) {
        Array keys = c.createArrayOf("bigint", ids.toArray());
        all.setArray(1, keys);
        try (ResultSet rs = all.executeQuery()) {
          while (rs.next()) eager++;
        }
      }
      if (!c.getAutoCommit()) c.commit();
      System.out.println("lazy lookups: " + lookups + ", eager rows: " + eager);
    }
  }
}
