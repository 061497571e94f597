// Real clients through pgtally, and the analyzer events their traffic becomes: one per
// statement, with its text, protocol, names, parameter hashes, rows, sampled values, errors,
// transaction states and the connection's life.
#include <arpa/inet.h>

#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "analyzer/value_hasher.hpp"
#include "proxy/assembling_observer.hpp"
#include "proxy/wire/byte_order.hpp"
#include "tests/proxy/proxy_fixture.hpp"
#include "tests/proxy/raw_client.hpp"

namespace pgtally::testing {
namespace {

using analyzer::QueryEvent;

class RecordingSink final : public EventSink {
 public:
  void emit(analyzer::Event&& event) override {
    const std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  std::vector<analyzer::Event> events() {
    const std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<QueryEvent> queries() {
    std::vector<QueryEvent> out;
    for (const auto& e : events()) {
      if (const auto* q = std::get_if<QueryEvent>(&e)) out.push_back(*q);
    }
    return out;
  }
  void clear() {
    const std::lock_guard lock(mutex_);
    events_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<analyzer::Event> events_;
};

class Assembly : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    hasher_ = new analyzer::ValueHasher(analyzer::ValueHasher::Key{1, 2});
    sink_ = new RecordingSink();
    Config config = proxy_config();
    config.threads = 1;
    proxy_ = new RunningProxy(config, std::make_shared<AssemblingObserverFactory>(
                                          std::vector<EventSink*>{sink_}, hasher_));
  }
  static void TearDownTestSuite() {
    delete proxy_;
    delete sink_;
    delete hasher_;
  }
  void SetUp() override {
    conn_ = std::make_unique<Connection>(
        connect_ok(proxy_->conninfo(kTrustUser, "sslmode=disable application_name=shop")));
    sink_->clear();
  }
  // Waits until the statements sent so far have been answered and recorded.
  std::vector<QueryEvent> queries_after(std::size_t at_least) {
    std::vector<QueryEvent> out;
    eventually([&] {
      out = sink_->queries();
      return out.size() >= at_least;
    });
    return out;
  }

  // Runs setup SQL and forgets its events, so the test sees only what follows.
  void prepare(const std::string& sql) {
    rows(conn(), sql);
    queries_after(1);
    sink_->clear();
  }

  PGconn* conn() { return conn_->get(); }
  static analyzer::ValueHasher* hasher_;
  static RecordingSink* sink_;
  static RunningProxy* proxy_;
  std::unique_ptr<Connection> conn_;
};
analyzer::ValueHasher* Assembly::hasher_ = nullptr;
RecordingSink* Assembly::sink_ = nullptr;
RunningProxy* Assembly::proxy_ = nullptr;

TEST_F(Assembly, SimpleQueryGivesOneEventPerStatement) {
  prepare("CREATE TEMP TABLE three AS SELECT g FROM generate_series(1, 3) g");
  rows(conn(), "SELECT 1; SELECT g FROM three ORDER BY g /*request_id='r1'*/");
  const auto q = queries_after(2);
  ASSERT_EQ(q.size(), 2U);
  EXPECT_EQ(q[0].text, "SELECT 1");
  EXPECT_EQ(q[0].protocol, analyzer::Protocol::simple);
  EXPECT_EQ(q[0].rows, 1U);
  EXPECT_TRUE(q[0].sampled_values.empty()) << "a constant is no table's column";
  EXPECT_EQ(q[1].text, " SELECT g FROM three ORDER BY g /*request_id='r1'*/");
  EXPECT_EQ(q[1].rows, 3U);
  EXPECT_EQ(q[1].sampled_values,
            (std::vector<analyzer::SampledValue>{{hasher_->hash_text("1"), 0, 0},
                                                 {hasher_->hash_text("2"), 1, 0},
                                                 {hasher_->hash_text("3"), 2, 0}}));
  EXPECT_LE(q[0].start, q[0].end);
  EXPECT_LE(q[0].end, q[1].start);  // the second started when the first finished
}

TEST_F(Assembly, ExtendedProtocolCarriesTextAndParameterHashes) {
  const char* values[] = {"42", "{1,2,3}"};
  Result r(PQexecParams(conn(), "SELECT $1::int, cardinality($2::int[])", 2, nullptr, values,
                        nullptr, nullptr, 0),
           &PQclear);
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK);
  const auto q = queries_after(1);
  ASSERT_EQ(q.size(), 1U);
  EXPECT_EQ(q[0].protocol, analyzer::Protocol::extended);
  EXPECT_EQ(q[0].text, "SELECT $1::int, cardinality($2::int[])");
  ASSERT_EQ(q[0].parameters.size(), 2U);
  EXPECT_EQ(q[0].parameters[0].hash, hasher_->hash_text("42"));
  EXPECT_EQ(q[0].parameters[1].array_length, 3);
  EXPECT_EQ(q[0].parameters[1].elements,
            (std::vector<analyzer::ValueHash>{hasher_->hash_text("1"), hasher_->hash_text("2"),
                                              hasher_->hash_text("3")}));
  EXPECT_EQ(q[0].rows, 1U);
}

TEST_F(Assembly, BinaryIntegersHashAsTheirText) {
  prepare("CREATE TEMP TABLE sevens AS SELECT 7 AS n");
  const std::uint32_t seven = htonl(7);
  const char* values[] = {reinterpret_cast<const char*>(&seven)};
  const int lengths[] = {4};
  const int formats[] = {1};
  const Oid types[] = {23};
  Result r(PQexecParams(conn(), "SELECT n FROM sevens WHERE n = $1", 1, types, values, lengths,
                        formats, 1),
           &PQclear);
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK);
  const auto q = queries_after(1);
  ASSERT_EQ(q.size(), 1U);
  ASSERT_EQ(q[0].parameters.size(), 1U);
  EXPECT_EQ(q[0].parameters[0].format, 1);
  EXPECT_EQ(q[0].parameters[0].hash, hasher_->hash_text("7"));
  // The result came back in binary too (resultFormat 1): still the text's hash.
  const std::vector<analyzer::SampledValue> seven_sampled{{hasher_->hash_text("7"), 0, 0}};
  EXPECT_EQ(q[0].sampled_values, seven_sampled);
}

TEST_F(Assembly, KeyAfterLongTextColumnIsSampledWithItsRowAndColumn) {
  // A belongsTo key placed after a 2 KB TEXT column and the timestamps, as ORMs lay tables out.
  prepare(
      "CREATE TEMP TABLE wide_posts AS SELECT g AS id, repeat('x', 2048) AS body, "
      "timestamptz '2026-01-02 03:04:05.5+00' AS created_at, 100 + g % 3 AS author_id "
      "FROM generate_series(1, 20) g");
  rows(conn(), "SELECT * FROM wide_posts ORDER BY id; SELECT count(*), max(id) FROM wide_posts");
  const auto q = queries_after(2);
  ASSERT_EQ(q.size(), 2U);
  EXPECT_TRUE(q[1].sampled_values.empty()) << "aggregates are no keys";
  EXPECT_EQ(q[0].rows, 20U);
  std::vector<analyzer::SampledValue> authors;
  for (const auto& v : q[0].sampled_values) {
    EXPECT_NE(v.column, 1U) << "a 2 KB text value is not key-like";
    if (v.column == 3) authors.push_back(v);
  }
  ASSERT_EQ(authors.size(), 20U);
  EXPECT_EQ(authors[4].row, 4U);
  EXPECT_EQ(authors[4].hash, hasher_->hash_text("102"));  // 100 + 5 % 3
}

TEST_F(Assembly, IntegerArrayElementsAreSampledInOrder) {
  prepare("CREATE TEMP TABLE tagged AS SELECT 7 AS id, ARRAY[40, NULL, 41]::bigint[] AS tags");
  rows(conn(), "SELECT id, tags FROM tagged");
  const auto q = queries_after(1);
  ASSERT_EQ(q.size(), 1U);
  const std::vector<analyzer::SampledValue> want{{hasher_->hash_text("7"), 0, 0, 0},
                                                 {hasher_->hash_text("40"), 0, 1, 1},
                                                 {hasher_->hash_text("41"), 0, 1, 3}};
  EXPECT_EQ(q[0].sampled_values, want);
}

// Ids held in a jsonb document, in text and in binary format, and in one longer than a DataRow
// is sampled: each id an element of its column, numbered in the document's order; none past
// the sampled bytes.
TEST_F(Assembly, JsonbIdsAreSampledAsElementsOfTheirColumn) {
  prepare(
      "CREATE TEMP TABLE documents AS SELECT 7 AS id, "
      "'{\"related\": [40, 41], \"price\": 2.5, \"owner\": {\"id\": \"42\"}}'::jsonb AS meta, "
      "('{\"pad\": \"' || repeat('x', 9000) || '\", \"owner_id\": 43}')::jsonb AS big");
  // jsonb orders an object's keys by length, then bytes: owner, price, related.
  const std::vector<analyzer::SampledValue> want{{hasher_->hash_text("7"), 0, 0, 0},
                                                 {hasher_->hash_text("42"), 0, 1, 1},
                                                 {hasher_->hash_text("40"), 0, 1, 2},
                                                 {hasher_->hash_text("41"), 0, 1, 3}};
  rows(conn(), "SELECT id, meta FROM documents");
  auto q = queries_after(1);
  ASSERT_EQ(q.size(), 1U);
  EXPECT_EQ(q[0].sampled_values, want) << "text format";

  sink_->clear();
  Result binary(PQexecParams(conn(), "SELECT id, meta FROM documents", 0, nullptr, nullptr, nullptr,
                             nullptr, 1),
                &PQclear);
  ASSERT_EQ(PQresultStatus(binary.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn());
  q = queries_after(1);
  ASSERT_EQ(q.size(), 1U);
  ASSERT_EQ(q[0].sampled_values.size(), want.size()) << "binary format";
  for (std::size_t i = 1; i < want.size(); ++i)
    EXPECT_EQ(q[0].sampled_values[i], want[i]) << "binary format, id " << i;

  sink_->clear();
  rows(conn(), "SELECT big FROM documents");
  q = queries_after(1);
  ASSERT_EQ(q.size(), 1U);
  for (const auto& v : q[0].sampled_values)
    EXPECT_NE(v.hash, hasher_->hash_text("43")) << "beyond the sampled bytes of the row";
}

TEST_F(Assembly, NamedPreparedStatementExecutionsKeepItsText) {
  Result p(PQprepare(conn(), "by_id", "SELECT $1::int AS id", 1, nullptr), &PQclear);
  for (const char* id : {"1", "2", "3"}) {
    const char* values[] = {id};
    Result r(PQexecPrepared(conn(), "by_id", 1, values, nullptr, nullptr, 0), &PQclear);
  }
  const auto q = queries_after(3);
  ASSERT_EQ(q.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(q[i].statement_name, "by_id");
    EXPECT_EQ(q[i].text, "SELECT $1::int AS id");
    EXPECT_EQ(q[i].parameters.at(0).hash, hasher_->hash_text(std::to_string(i + 1)));
  }
}

// pgjdbc past prepareThreshold: a statement is parsed and described once (the statement, or
// the portal of its first execution), then bound and executed with binary integer results and
// no Describe, after other statements have shown the connection other columns. Its rows are
// read with its own columns each time.
TEST_F(Assembly, NamedStatementExecutedWithoutDescribeSamplesWithItsOwnColumns) {
  RawClient client(proxy_->port());
  ASSERT_EQ(client.startup(kTrustUser, kTestDatabase).back().type, 'Z');
  auto until_ready = [&] {
    for (auto m = client.read_message(); m; m = client.read_message()) {
      if (m->type == 'Z') return true;
    }
    return false;
  };
  auto cstr = [](std::string_view text) { return std::string(text) + '\0'; };
  auto u16 = [](std::uint16_t v) {
    return std::string{static_cast<char>(v >> 8U), static_cast<char>(v & 0xffU)};
  };
  const std::string sync = typed_message('S', "");
  const std::string execute = typed_message('E', cstr("") + std::string(4, '\0'));
  // Binds the unnamed portal: no parameters, results id and author_id in binary.
  auto bind = [&](std::string_view statement) {
    return typed_message(
        'B', cstr("") + cstr(statement) + u16(0) + u16(0) + u16(3) + u16(1) + u16(0) + u16(1));
  };
  client.send(typed_message('Q', cstr("CREATE TEMP TABLE jposts AS SELECT g AS id, 'post ' || g "
                                      "AS title, 100 + g AS author_id FROM generate_series(1, 3) "
                                      "g; CREATE TEMP TABLE jnames AS SELECT 'x'::text AS name")));
  ASSERT_TRUE(until_ready());
  const std::string by_statement = "SELECT id, title, author_id FROM jposts ORDER BY id";
  const std::string by_portal = by_statement + " LIMIT 10";
  // Prepared in one pipeline: Parse, Describe, Bind, Execute, Sync.
  client.send(typed_message('P', cstr("S_1") + cstr(by_statement) + u16(0)) +
              typed_message('D', "S" + cstr("S_1")) + bind("S_1") + execute + sync);
  ASSERT_TRUE(until_ready());
  client.send(typed_message('P', cstr("S_2") + cstr(by_portal) + u16(0)) + bind("S_2") +
              typed_message('D', "P" + cstr("")) + execute + sync);
  ASSERT_TRUE(until_ready());
  // Executed again after another statement's columns: Bind, Execute, Sync.
  for (const char* statement : {"S_1", "S_2"}) {
    client.send(typed_message('Q', cstr("SELECT name FROM jnames")));
    ASSERT_TRUE(until_ready());
    std::string run = bind(statement);
    run += execute;
    run += sync;
    client.send(run);
    ASSERT_TRUE(until_ready());
  }

  std::vector<QueryEvent> runs;
  eventually([&] {
    runs.clear();
    for (const auto& q : sink_->queries()) {
      if (q.text == by_statement || q.text == by_portal) runs.push_back(q);
    }
    return runs.size() >= 4;
  });
  ASSERT_EQ(runs.size(), 4U);
  std::vector<analyzer::SampledValue> want;
  for (std::uint16_t row = 0; row < 3; ++row) {
    want.push_back({hasher_->hash_text(std::to_string(row + 1)), row, 0});
    want.push_back({hasher_->hash_text(std::to_string(101 + row)), row, 2});
  }
  for (const auto& run : runs) {
    std::vector<analyzer::SampledValue> keys;
    for (const auto& v : run.sampled_values) {
      if (v.column != 1) keys.push_back(v);  // the title is short text: sampled too
    }
    EXPECT_EQ(keys, want) << run.statement_name << " " << run.text;
  }
}

// A cursor as node-postgres's pg-cursor reads one: Execute with a row limit and Flush, no Sync
// until the end. Each part is an event; all but the last say rows are left, all but the first
// that they read on.
TEST_F(Assembly, PortalReadInPartsGivesAnEventPerPartMarkedSuspendedAndResumed) {
  RawClient client(proxy_->port());
  ASSERT_EQ(client.startup(kTrustUser, kTestDatabase).back().type, 'Z');
  auto cstr = [](std::string_view text) { return std::string(text) + '\0'; };
  auto execute = [&](std::uint32_t max_rows) {
    std::string message = cstr("");
    wire::append_u32(message, max_rows);
    return typed_message('E', message) + typed_message('H', "");
  };
  // Reads up to PortalSuspended or CommandComplete; returns its type.
  auto part_end = [&] {
    for (auto m = client.read_message(); m; m = client.read_message()) {
      if (m->type == 's' || m->type == 'C') return m->type;
    }
    return '?';
  };
  const std::string text = "SELECT g AS id FROM generate_series(1, 5) g";
  client.send(typed_message('P', cstr("") + cstr(text) + std::string(2, '\0')) +
              typed_message('B', cstr("") + cstr("") + std::string(6, '\0')) + execute(2));
  EXPECT_EQ(part_end(), 's');
  client.send(execute(2));
  EXPECT_EQ(part_end(), 's');
  client.send(execute(2));
  EXPECT_EQ(part_end(), 'C');
  client.send(typed_message('S', ""));
  for (auto m = client.read_message(); m && m->type != 'Z'; m = client.read_message()) {
  }
  const auto q = queries_after(3);
  ASSERT_EQ(q.size(), 3U);
  const std::vector<std::pair<bool, bool>> marks = {{true, false}, {true, true}, {false, true}};
  const std::vector<std::uint64_t> rows = {2, 2, 1};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(q[i].text, text);
    EXPECT_EQ(std::make_pair(q[i].suspended, q[i].resumed), marks[i]) << "part " << i;
    EXPECT_EQ(q[i].rows, rows[i]) << "part " << i;
  }
  ASSERT_FALSE(q[1].sampled_values.empty());
  EXPECT_EQ(q[1].sampled_values.front().hash, hasher_->hash_text("3"));
  EXPECT_EQ(q[1].sampled_values.front().row, 0U);
}

TEST_F(Assembly, PipelineErrorCarriesItsSqlstateAndSkippedStatementsGiveNoEvent) {
  ASSERT_EQ(PQenterPipelineMode(conn()), 1);
  for (const char* sql : {"SELECT 1", "SELECT 1/0", "SELECT 3"}) {
    PQsendQueryParams(conn(), sql, 0, nullptr, nullptr, nullptr, nullptr, 0);
  }
  PQpipelineSync(conn());
  for (int seen_sync = 0; seen_sync == 0;) {
    PGresult* r = PQgetResult(conn());
    if (r == nullptr) continue;
    if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) seen_sync = 1;
    PQclear(r);
  }
  PQexitPipelineMode(conn());
  rows(conn(), "SELECT 'after'");
  const auto q = queries_after(3);
  ASSERT_EQ(q.size(), 3U);
  EXPECT_EQ(q[0].text, "SELECT 1");
  EXPECT_FALSE(q[0].error.has_value());
  EXPECT_EQ(q[1].text, "SELECT 1/0");
  ASSERT_TRUE(q[1].error.has_value());
  EXPECT_EQ(q[1].error->sqlstate, "22012");
  EXPECT_EQ(q[2].text, "SELECT 'after'");
}

TEST_F(Assembly, ConnectionAndTransactionEvents) {
  rows(conn(), "BEGIN");
  rows(conn(), "SELECT 1");
  rows(conn(), "COMMIT");
  const int pid = PQbackendPID(conn());
  conn_.reset();
  std::vector<analyzer::Event> events;
  ASSERT_TRUE(eventually([&] {
    events = sink_->events();
    return !events.empty() && std::holds_alternative<analyzer::ConnectionClosed>(events.back());
  }));
  std::string states;
  for (const auto& e : events) {
    if (const auto* t = std::get_if<analyzer::TransactionStateChanged>(&e)) {
      states += t->state == analyzer::TxState::in_transaction ? 'T' : 'I';
    }
  }
  EXPECT_EQ(states, "TI");
  EXPECT_EQ(std::get<analyzer::ConnectionClosed>(events.back()).reason,
            analyzer::CloseReason::client_terminated);
  // The opening was recorded when the connection was made, before this test's clear().
  (void)pid;
}

TEST(AssemblyOpening, NamesTheBackendAndTheClientGroup) {
  analyzer::ValueHasher hasher(analyzer::ValueHasher::Key{3, 4});
  RecordingSink sink;
  Config config = proxy_config();
  config.threads = 1;
  RunningProxy proxy(
      config, std::make_shared<AssemblingObserverFactory>(std::vector<EventSink*>{&sink}, &hasher));
  auto conn = connect_ok(proxy.conninfo(kTrustUser, "sslmode=disable application_name=shop"));
  std::optional<analyzer::ConnectionOpened> opened;
  ASSERT_TRUE(eventually([&] {
    for (const auto& e : sink.events()) {
      if (const auto* o = std::get_if<analyzer::ConnectionOpened>(&e)) opened = *o;
    }
    return opened.has_value();
  }));
  EXPECT_EQ(opened->backend_pid, PQbackendPID(conn.get()));
  EXPECT_EQ(opened->group.user, kTrustUser);
  EXPECT_EQ(opened->group.database, kTestDatabase);
  EXPECT_EQ(opened->group.application_name, "shop");
  EXPECT_EQ(opened->group.client_address, "127.0.0.1");
}

}  // namespace
}  // namespace pgtally::testing
