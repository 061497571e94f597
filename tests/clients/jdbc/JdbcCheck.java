// pgjdbc through pgtally: plain statements, a PreparedStatement run often enough that pgjdbc
// switches to a named server-side statement and binary results (prepareThreshold = 5), a batch
// insert, a transaction rolled back, an error, several column types, a cursor read in chunks
// (PortalSuspended), COPY through CopyManager and a cancelled query. Prints deterministic
// lines; exits non-zero on anything unexpected.
//
//   java -cp /usr/share/java/postgresql.jar JdbcCheck.java <jdbc-url> <user> <password>

import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

public class JdbcCheck {
  private static final String SCHEMA = "clients_jdbc";
  private static String url;
  private static Properties props;

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: JdbcCheck <jdbc-url> <user> <password>");
      System.exit(2);
    }
    Properties props = new Properties();
    props.setProperty("user", args[1]);
    props.setProperty("password", args[2]);
    props.setProperty("ApplicationName", "pgtally-jdbc-check");
    url = args[0];
    JdbcCheck.props = props;
    try (Connection conn = DriverManager.getConnection(url, props)) {
      run(conn);
    }
    System.out.println("done");
  }

  private static void run(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("SET client_min_messages = warning");
      st.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
      st.execute("CREATE SCHEMA " + SCHEMA);
      st.execute("SET search_path = " + SCHEMA);
      st.execute(
          "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2),"
              + " opened date, tags text[], payload bytea, ref uuid)");
      int inserted =
          st.executeUpdate(
              "INSERT INTO accounts VALUES"
                  + " (1, 'ada', 100.00, '2020-01-02', '{a,b}', '\\x0001ff',"
                  + " '00000000-0000-0000-0000-000000000001'),"
                  + " (2, 'grace', 250.50, '2021-03-04', NULL, NULL, NULL)");
      System.out.println("plain insert: " + inserted);
      print("plain select", st.executeQuery("SELECT * FROM accounts ORDER BY id"));
    }

    // One PreparedStatement, many executions: after prepareThreshold (5) pgjdbc uses a named
    // server-side statement, and once it knows the types, binary results.
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT ?::int * 2 AS doubled, ?::text || '!' AS shout, ?::numeric + 0.5 AS half,"
                + " ?::bigint AS big, now() IS NOT NULL AS has_now")) {
      for (int i = 1; i <= 12; i++) {
        ps.setInt(1, i);
        ps.setString(2, "v" + i);
        ps.setBigDecimal(3, new BigDecimal(i + ".25"));
        ps.setLong(4, 10_000_000_000L + i);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          System.out.println(
              "prepared " + i + ": " + rs.getInt(1) + " " + rs.getString(2) + " "
                  + rs.getBigDecimal(3) + " " + rs.getLong(4) + " " + rs.getBoolean(5));
        }
      }
      boolean serverPrepared = ps.unwrap(org.postgresql.PGStatement.class).isUseServerPrepare();
      System.out.println("server-side prepared: " + serverPrepared);
    }
    try (Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%doubled%'"
                    + " AND NOT from_sql")) {
      rs.next();
      System.out.println("named statements on the server: " + rs.getInt(1));
    }

    // Batch insert through a PreparedStatement.
    try (PreparedStatement ins =
        conn.prepareStatement("INSERT INTO accounts (id, owner, balance) VALUES (?, ?, ?)")) {
      for (int i = 10; i < 60; i++) {
        ins.setInt(1, i);
        ins.setString(2, "owner-" + i);
        ins.setBigDecimal(3, new BigDecimal(i).multiply(new BigDecimal("1.5")));
        ins.addBatch();
      }
      int[] counts = ins.executeBatch();
      int sum = 0;
      for (int c : counts) sum += c;
      System.out.println("batch: " + counts.length + " statements, " + sum + " rows");
    }

    // A transaction rolled back leaves nothing behind.
    conn.setAutoCommit(false);
    try (Statement st = conn.createStatement()) {
      st.executeUpdate("UPDATE accounts SET balance = 0");
      st.executeUpdate("DELETE FROM accounts WHERE id >= 10");
      print("inside transaction", st.executeQuery("SELECT count(*), sum(balance) FROM accounts"));
      conn.rollback();
      print("after rollback", st.executeQuery("SELECT count(*), sum(balance) FROM accounts"));
      conn.commit();
    }
    conn.setAutoCommit(true);

    // An error the driver reports, after which the connection still works.
    try (Statement st = conn.createStatement()) {
      st.executeUpdate("INSERT INTO accounts (id, owner) VALUES (1, 'again')");
      System.out.println("unexpected: duplicate insert succeeded");
      System.exit(1);
    } catch (SQLException e) {
      System.out.println("error: " + e.getSQLState());
    }
    try (PreparedStatement ps = conn.prepareStatement("SELECT owner FROM accounts WHERE id = ?")) {
      ps.setInt(1, 2);
      print("after error", ps.executeQuery());
    }

    // Reading the same rows many times through one statement, so binary decoding of these
    // column types (numeric, date, arrays, bytea, uuid) is exercised too.
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT * FROM accounts WHERE id <= ? ORDER BY id")) {
      for (int i = 0; i < 8; i++) {
        ps.setInt(1, 2);
        ResultSet rs = ps.executeQuery();
        if (i == 7) print("typed rows", rs);
        else rs.close();
      }
    }
    // A cursor read in chunks: with autocommit off and a fetch size, pgjdbc sends Execute with a
    // row limit and the server answers PortalSuspended until the rows run out.
    conn.setAutoCommit(false);
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT g, md5(g::text) FROM generate_series(1, ?) AS g")) {
      ps.setFetchSize(100);
      ps.setInt(1, 2500);
      long count = 0;
      long sum = 0;
      String last = null;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          count++;
          sum += rs.getInt(1);
          last = rs.getString(2);
        }
      }
      System.out.println("fetched in chunks: " + count + " rows, sum " + sum + ", last " + last);
    }
    conn.commit();
    conn.setAutoCommit(true);

    // COPY in and out through pgjdbc's CopyManager.
    CopyManager copy = conn.unwrap(PGConnection.class).getCopyAPI();
    StringBuilder data = new StringBuilder();
    for (int i = 1000; i < 3000; i++) {
      data.append(i).append("\tcopied-").append(i).append('\t').append(i).append(".75\n");
    }
    try {
      long in =
          copy.copyIn(
              "COPY accounts (id, owner, balance) FROM STDIN", new StringReader(data.toString()));
      System.out.println("copy in: " + in);
      StringWriter out = new StringWriter();
      long outRows =
          copy.copyOut(
              "COPY (SELECT id, owner, balance FROM accounts WHERE id % 500 = 0 ORDER BY id)"
                  + " TO STDOUT WITH (FORMAT csv)",
              out);
      System.out.println("copy out: " + outRows + " rows: " + out.toString().replace("\n", " | "));
    } catch (java.io.IOException e) {
      throw new SQLException(e);
    }

    // Cancel a running query from another thread: pgjdbc sends a CancelRequest on a new
    // connection with the key the server gave this session.
    int pid = conn.unwrap(PGConnection.class).getBackendPID();
    try (Statement sleeper = conn.createStatement();
        Connection watcher = DriverManager.getConnection(url, props)) {
      Thread canceller =
          new Thread(
              () -> {
                try {
                  waitUntilActive(watcher, pid);
                  sleeper.cancel();
                } catch (SQLException e) {
                  e.printStackTrace();
                }
              });
      canceller.start();
      try {
        sleeper.execute("SELECT pg_sleep(60)");
        System.out.println("unexpected: pg_sleep was not cancelled");
        System.exit(1);
      } catch (SQLException e) {
        System.out.println("cancelled: " + e.getSQLState());
      }
      try {
        canceller.join();
      } catch (InterruptedException e) {
        throw new SQLException(e);
      }
    }

    try (Statement st = conn.createStatement()) {
      print("totals", st.executeQuery("SELECT count(*), sum(balance), max(owner) FROM accounts"));
      st.execute("DROP SCHEMA " + SCHEMA + " CASCADE");
    }
  }

  // Polls pg_stat_activity until the backend `pid` runs pg_sleep; fails after 60 seconds.
  private static void waitUntilActive(Connection watcher, int pid) throws SQLException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    try (PreparedStatement ps =
        watcher.prepareStatement(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ? AND state = 'active'"
                + " AND query LIKE 'SELECT pg_sleep%'")) {
      ps.setInt(1, pid);
      while (true) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getInt(1) == 1) return;
        }
        if (System.nanoTime() > deadline) throw new SQLException("pg_sleep never became active");
        try {
          Thread.sleep(20); // poll interval
        } catch (InterruptedException e) {
          throw new SQLException(e);
        }
      }
    }
  }

  private static void print(String label, ResultSet rs) throws SQLException {
    try (rs) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        StringBuilder line = new StringBuilder(label).append(":");
        for (int c = 1; c <= md.getColumnCount(); c++) {
          Object value = rs.getObject(c);
          line.append(' ').append(md.getColumnLabel(c)).append('=');
          if (value instanceof byte[]) {
            for (byte b : (byte[]) value) line.append(String.format("%02x", b));
          } else if (value instanceof java.sql.Array) {
            line.append(java.util.Arrays.toString((Object[]) ((java.sql.Array) value).getArray()));
          } else {
            line.append(value);
          }
        }
        System.out.println(line);
      }
    }
  }
}
