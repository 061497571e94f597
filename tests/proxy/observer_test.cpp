// What an observer of the relay sees: every message in both directions, in order, with its
// type, length and the head it asked for; the session's start, refusals and close reason.
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "proxy/observer.hpp"
#include "proxy/wire/byte_order.hpp"
#include "tests/proxy/proxy_fixture.hpp"

namespace pgtally::testing {
namespace {

struct Record {
  analyzer::ConnectionId connection;
  std::string what;  // "C Q 14 SELECT 1", "S Z 5 I", "started user=...", "closed 0"
};

class Recorder {
 public:
  void add(analyzer::ConnectionId id, std::string what) {
    const std::lock_guard lock(mutex_);
    records_.push_back({id, std::move(what)});
  }
  std::vector<std::string> of(analyzer::ConnectionId id) {
    const std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& r : records_) {
      if (r.connection == id) out.push_back(r.what);
    }
    return out;
  }
  std::vector<analyzer::ConnectionId> connections() {
    const std::lock_guard lock(mutex_);
    std::vector<analyzer::ConnectionId> out;
    for (const auto& r : records_) {
      if (out.empty() || out.back() != r.connection) out.push_back(r.connection);
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<Record> records_;
};

class RecordingObserver final : public SessionObserver {
 public:
  RecordingObserver(Recorder& recorder, analyzer::ConnectionId id) : recorder_(recorder), id_(id) {}
  [[nodiscard]] std::uint32_t head_wanted(wire::Direction, char type,
                                          std::uint32_t) const noexcept override {
    return type == 'Q' ? 64 : (type == 'Z' ? 1 : 0);
  }
  void on_started(const SessionStarted& started) noexcept override {
    std::string params;
    for (const auto& [k, v] : started.startup_parameters) {
      if (k == "user" || k == "database") params += fmt::format(" {}={}", k, v);
    }
    recorder_.add(id_, "started" + params);
  }
  void on_message(const MessageSeen& m) noexcept override {
    std::string head(wire::as_chars(m.head));
    if (!head.empty() && head.back() == '\0') head.pop_back();
    recorder_.add(
        id_, fmt::format("{} {} {}{}", m.direction == wire::Direction::client_to_server ? 'C' : 'S',
                         m.type, m.length, head.empty() ? "" : " " + head));
  }
  void on_refused(analyzer::Refuser by, analyzer::TimePoint) noexcept override {
    recorder_.add(id_, by == analyzer::Refuser::pgtally ? "refused by pgtally" : "refused");
  }
  void on_closed(analyzer::CloseReason reason, analyzer::TimePoint) noexcept override {
    recorder_.add(id_, fmt::format("closed {}", static_cast<int>(reason)));
  }

 private:
  Recorder& recorder_;
  analyzer::ConnectionId id_;
};

class RecordingFactory final : public ObserverFactory {
 public:
  explicit RecordingFactory(Recorder& recorder) : recorder_(recorder) {}
  std::unique_ptr<SessionObserver> create(analyzer::ConnectionId id, std::size_t) override {
    return std::make_unique<RecordingObserver>(recorder_, id);
  }

 private:
  Recorder& recorder_;
};

bool contains(const std::vector<std::string>& seen, const std::string& what) {
  return std::find(seen.begin(), seen.end(), what) != seen.end();
}

TEST(Observer, SeesEveryMessageWithTheHeadItAskedFor) {
  Recorder recorder;
  {
    RunningProxy proxy(proxy_config(), std::make_shared<RecordingFactory>(recorder));
    auto conn = connect_ok(proxy.conninfo(kTrustUser, "sslmode=disable"));
    rows(conn.get(), "SELECT 1");
    rows(conn.get(), "BEGIN");
    rows(conn.get(), "SELECT 2");
    rows(conn.get(), "COMMIT");
    conn.reset();
    // The session ends on the client's Terminate, not on the proxy's shutdown.
    EXPECT_TRUE(eventually([&] {
      const auto ids = recorder.connections();
      return !ids.empty() && recorder.of(ids[0]).back().rfind("closed", 0) == 0;
    }));
  }
  const auto ids = recorder.connections();
  ASSERT_EQ(ids.size(), 1U);
  const auto seen = recorder.of(ids[0]);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front(), fmt::format("started user={} database={}", kTrustUser, kTestDatabase));
  EXPECT_TRUE(contains(seen, "C Q 13 SELECT 1"));
  EXPECT_TRUE(contains(seen, "S Z 5 T"));  // inside BEGIN ... COMMIT
  EXPECT_TRUE(contains(seen, "S D 11"));   // a DataRow, no head asked for
  EXPECT_TRUE(contains(seen, "C X 4"));
  EXPECT_EQ(seen.back(),
            fmt::format("closed {}", static_cast<int>(analyzer::CloseReason::client_terminated)));
  // ReadyForQuery statuses in order: after startup, SELECT 1, BEGIN, SELECT 2, COMMIT.
  std::string statuses;
  for (const auto& s : seen) {
    if (s.rfind("S Z 5 ", 0) == 0) statuses += s.back();
  }
  EXPECT_EQ(statuses, "IITTI");
}

TEST(Observer, HearsOfClientsRefusedByTheLimit) {
  Recorder recorder;
  Config config = proxy_config();
  config.max_client_conn = 1;
  RunningProxy proxy(config, std::make_shared<RecordingFactory>(recorder));
  auto first = connect_ok(proxy.conninfo(kTrustUser, "sslmode=disable"));
  auto second = connect(proxy.conninfo(kTrustUser, "sslmode=disable"));
  EXPECT_NE(PQstatus(second.get()), CONNECTION_OK);
  second.reset();
  first.reset();
  EXPECT_TRUE(eventually([&] {
    for (const auto id : recorder.connections()) {
      if (contains(recorder.of(id), "refused by pgtally")) return true;
    }
    return false;
  }));
}

}  // namespace
}  // namespace pgtally::testing
