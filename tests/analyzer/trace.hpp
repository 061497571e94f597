// Builds analyzer event traces for tests: connections, queries (simple and extended protocol,
// tagged with a sqlcommenter comment or not), sampled result values, transaction states, with
// an explicit clock that only moves when the trace says so.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "analyzer/event.hpp"
#include "analyzer/value_hasher.hpp"

namespace pgtally::analyzer::testing {

using namespace std::chrono_literals;

struct QueryOptions {
  std::string request;               // request_id tag; empty: untagged
  std::string route = "/posts";      // route tag when tagged
  std::vector<std::string> results;  // sampled result values (text form), row by row
  std::uint16_t columns = 1;         // values per row in `results`
  std::vector<std::string> array;    // one more column in row 0: an int[] value's elements
  std::chrono::microseconds duration = 1ms;
  std::chrono::microseconds gap = 1ms;  // idle time after the statement
  std::uint64_t rows = 1;
  std::string statement_name;  // extended protocol
  bool omit_text = false;      // Execute of a named statement: no text
  std::string sqlstate;        // error
  bool suspended = false;      // a cursor's part: rows are left
  bool resumed = false;        // a cursor's later part
};

// An extended-protocol parameter: text value, or an array of text elements.
struct Param {
  std::string value;
  std::vector<std::string> array;
  bool is_array = false;
  static Param of(std::string v) { return Param{std::move(v), {}, false}; }
  static Param arr(std::vector<std::string> elements) {
    return Param{{}, std::move(elements), true};
  }
};

class Trace {
 public:
  explicit Trace(const ValueHasher& hasher) : hasher_(hasher) {}

  ClientGroup group{"app", "shop", "web", "10.0.0.1"};
  std::vector<Event> events;
  TimePoint now = TimePoint{} + std::chrono::hours(1);

  Trace& open(ConnectionId c) {
    events.emplace_back(
        ConnectionOpened{c, static_cast<std::int32_t>(1000 + c), group, Source::proxy, now});
    return *this;
  }
  Trace& close(ConnectionId c) {
    events.emplace_back(ConnectionClosed{c, CloseReason::client_terminated, now});
    return *this;
  }
  Trace& tx(ConnectionId c, TxState state) {
    events.emplace_back(TransactionStateChanged{c, state, now});
    return *this;
  }
  Trace& advance(std::chrono::microseconds d) {
    now += d;
    return *this;
  }

  // Simple protocol.
  Trace& q(ConnectionId c, const std::string& sql, const QueryOptions& o = {}) {
    QueryEvent e = base(c, sql, o);
    e.protocol = Protocol::simple;
    push(std::move(e), o);
    return *this;
  }
  // Extended protocol with Bind parameters.
  Trace& x(ConnectionId c, const std::string& sql, std::initializer_list<Param> params,
           const QueryOptions& o = {}) {
    QueryEvent e = base(c, sql, o);
    e.protocol = Protocol::extended;
    e.statement_name = o.statement_name;
    if (o.omit_text) e.text.clear();
    for (const Param& p : params) {
      Parameter bp;
      if (p.is_array) {
        bp.array_length = static_cast<std::int32_t>(p.array.size());
        std::string joined = "{";
        for (std::size_t i = 0; i < p.array.size(); ++i) {
          if (i > 0) joined += ",";
          joined += p.array[i];
          if (bp.elements.size() < 64) bp.elements.push_back(hasher_.hash_text(p.array[i]));
        }
        joined += "}";
        bp.hash = hasher_.hash_text(joined);
      } else {
        bp.hash = hasher_.hash_text(p.value);
      }
      e.parameters.push_back(std::move(bp));
    }
    push(std::move(e), o);
    return *this;
  }
  // Several statements running at the same time (Promise.all): each starts at `now`.
  Trace& concurrent_start() {
    concurrent_ = true;
    concurrent_start_ = now;
    return *this;
  }
  Trace& concurrent_end(std::chrono::microseconds after) {
    concurrent_ = false;
    now = concurrent_start_ + after;
    return *this;
  }

 private:
  QueryEvent base(ConnectionId c, const std::string& sql, const QueryOptions& o) const {
    QueryEvent e;
    e.connection = c;
    e.text = sql;
    if (!o.request.empty()) {
      e.text += " /*request_id='" + o.request + "',route='" + escape(o.route) + "'*/";
    }
    e.start = concurrent_ ? concurrent_start_ : now;
    e.end = e.start + o.duration;
    e.rows = o.rows;
    const std::size_t per_row = o.columns == 0 ? 1 : o.columns;
    for (std::size_t i = 0; i < o.results.size(); ++i) {
      e.sampled_values.push_back({hasher_.hash_text(o.results[i]),
                                  static_cast<std::uint16_t>(i / per_row),
                                  static_cast<std::uint16_t>(i % per_row)});
    }
    for (std::size_t i = 0; i < o.array.size(); ++i) {
      e.sampled_values.push_back({hasher_.hash_text(o.array[i]), 0,
                                  static_cast<std::uint16_t>(per_row),
                                  static_cast<std::uint16_t>(i + 1)});
    }
    if (!o.sqlstate.empty()) e.error = ServerError{o.sqlstate, "ERROR", "", "", ""};
    e.suspended = o.suspended;
    e.resumed = o.resumed;
    return e;
  }
  static std::string escape(const std::string& s) {
    std::string out;
    for (const char c : s) {
      if (c == '/') {
        out += "%2F";
      } else {
        out.push_back(c);
      }
    }
    return out;
  }
  void push(QueryEvent e, const QueryOptions& o) {
    if (!concurrent_) now = e.end + o.gap;
    events.emplace_back(std::move(e));
  }

  const ValueHasher& hasher_;
  bool concurrent_ = false;
  TimePoint concurrent_start_;
};

inline std::vector<std::string> ids(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i)
    out.push_back(std::to_string(i));
  return out;
}

}  // namespace pgtally::analyzer::testing
