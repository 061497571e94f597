// Turns the relayed messages of one connection into analyzer events: one QueryEvent per
// statement (simple and extended protocol, pipelines), with its timing, rows, sampled result
// values and error, plus connection and transaction-state events. Pure: no I/O, no clock; the
// session's observer feeds it on the relay thread and hands the events to the analyzer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/event.hpp"
#include "analyzer/fifo.hpp"
#include "analyzer/value_hasher.hpp"
#include "proxy/observer.hpp"
#include "proxy/wire/query_messages.hpp"

namespace pgtally {

struct AssemblerLimits {
  std::uint32_t max_text_bytes = 64 * 1024;  // of a Query or Parse: the rest is cut
  std::uint32_t max_bind_bytes = 16 * 1024;  // of a Bind: later values are not hashed
  std::uint32_t max_row_bytes = 8 * 1024;    // of a DataRow: later columns are not sampled
  std::size_t max_sampled_rows = 256;        // per statement (or fetch batch)
  std::size_t max_sampled_values = 2048;     // per statement: 16 bytes each
  std::uint32_t max_key_bytes = 64;          // a longer text value is not key-like: skipped
  std::size_t max_statements = 256;          // named prepared statements remembered
  std::size_t max_pending = 1024;            // statements sent and not yet answered
  std::size_t max_array_elements = 64;       // element hashes kept per array parameter
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(analyzer::Event&& event) = 0;
};

class EventAssembler {
 public:
  // `hasher` null: value sampling off (no parameter or result hashes).
  EventAssembler(analyzer::ConnectionId connection, const analyzer::ValueHasher* hasher,
                 AssemblerLimits limits = {});

  [[nodiscard]] std::uint32_t head_wanted(wire::Direction direction, char type,
                                          std::uint32_t length) const;
  void started(const SessionStarted& started, EventSink& sink);
  void message(const MessageSeen& message, EventSink& sink);
  void refused(analyzer::Refuser refused_by, analyzer::TimePoint at, EventSink& sink);
  void closed(analyzer::CloseReason reason, analyzer::TimePoint at, EventSink& sink);

 private:
  // A statement's result columns, as a Describe answered them: a driver that executes a named
  // statement again sends no Describe (pgjdbc past prepareThreshold), and its rows are read
  // with these, not with whatever RowDescription the connection saw last.
  using Fields = std::shared_ptr<const std::vector<wire::RowDescriptionMessage::Field>>;
  struct Prepared {
    std::string text;
    std::vector<std::uint32_t> parameter_types;
    bool truncated = false;
    Fields fields;  // null until described
  };
  struct Portal {
    std::string statement;
    std::vector<analyzer::Parameter> parameters;
    std::vector<std::int16_t> result_formats;  // from the Bind
    bool truncated = false;
    Fields fields;           // null until described
    bool suspended = false;  // an Execute stopped at its row limit with rows left
  };
  struct Pending {
    analyzer::QueryEvent event;
    analyzer::TimePoint sent;
    std::vector<std::int16_t> result_formats;  // from the Bind; empty: from RowDescription
    std::uint64_t rows_seen = 0;
    std::uint64_t order = 0;  // among the client's statements and Describes
    Fields fields;            // null: the connection's last RowDescription
  };
  struct Describing {  // a Describe not yet answered
    char kind = 'S';
    std::string name;
    std::uint64_t order = 0;
  };

  void on_query(const MessageSeen& m);
  void on_parse(const MessageSeen& m);
  void on_bind(const MessageSeen& m);
  void on_execute(const MessageSeen& m);
  void on_close(const MessageSeen& m);
  void on_describe(const MessageSeen& m);
  void on_row_description(const MessageSeen& m);
  void described(const Describing& target, const Fields& fields);
  void on_data_row(const MessageSeen& m);
  void complete(const MessageSeen& m, EventSink& sink, std::optional<std::uint64_t> rows,
                std::optional<analyzer::ServerError> error);
  void on_ready(const MessageSeen& m, EventSink& sink);
  void push_pending(analyzer::QueryEvent event, analyzer::TimePoint sent,
                    std::vector<std::int16_t> result_formats = {});
  analyzer::Parameter hash_value(const wire::BoundValue& value, std::int16_t format,
                                 std::uint32_t type_oid) const;

  analyzer::ConnectionId connection_;
  const analyzer::ValueHasher* hasher_;
  AssemblerLimits limits_;
  analyzer::ClientGroup group_;
  std::int32_t backend_pid_ = 0;
  bool opened_ = false;
  char tx_status_ = 'I';
  std::unordered_map<std::string, Prepared> statements_;
  std::unordered_map<std::string, Portal> portals_;
  Fields row_fields_;  // the last RowDescription
  analyzer::Fifo<Pending> pending_;
  analyzer::Fifo<Describing> describing_;
  std::uint64_t order_ = 0;
  analyzer::TimePoint last_completed_{};
  std::uint64_t dropped_pending_ = 0;
};

}  // namespace pgtally
