// The seam between producers (the proxy's wire observer, the ORM's hooks) and the analyzer.
// Producers build these plain values and hand them over; the analyzer never sees a socket.
// Literal values never travel here in clear: parameters and sampled results are keyed hashes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace pgtally::analyzer {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using ConnectionId = std::uint64_t;
using ValueHash = std::uint64_t;  // keyed hash of a value's canonical text form

enum class Source : std::uint8_t { proxy, orm };
enum class Protocol : std::uint8_t { simple, extended };
enum class TxState : std::uint8_t { idle, in_transaction, failed };  // ReadyForQuery I / T / E

// Who a connection belongs to, as seen at startup.
struct ClientGroup {
  std::string user;
  std::string database;
  std::string application_name;
  std::string client_address;  // host without port, or "unix"
  friend bool operator==(const ClientGroup&, const ClientGroup&) = default;
};

struct ConnectionOpened {
  ConnectionId connection = 0;
  std::int32_t backend_pid = 0;  // 0 until BackendKeyData is seen
  ClientGroup group;
  Source source = Source::proxy;
  TimePoint at;
};

enum class CloseReason : std::uint8_t {
  client_terminated,    // Terminate message
  client_disconnected,  // socket closed without Terminate
  server_closed,        // the server ended the connection
  protocol_error,       // malformed or oversized message
  startup_timeout,
  upstream_unreachable,
  refused,   // over a connection limit (see ServerRefusal)
  shutdown,  // pgtally or the pool is shutting down
};

struct ConnectionClosed {
  ConnectionId connection = 0;
  CloseReason reason = CloseReason::client_terminated;
  TimePoint at;
};

struct TransactionStateChanged {
  ConnectionId connection = 0;
  TxState state = TxState::idle;
  TimePoint at;
};

enum class Refuser : std::uint8_t { server, pgtally };

// SQLSTATE 53300 (too_many_connections), from the server or from pgtally's own limit.
struct ServerRefusal {
  ConnectionId connection = 0;
  ClientGroup group;
  Refuser refused_by = Refuser::server;
  TimePoint at;
};

// The reference ORM's pool made a caller wait for a connection.
struct PoolWait {
  ClientGroup group;
  std::string request_id;  // empty when outside a request scope
  std::chrono::microseconds waited{0};
  std::uint32_t in_use = 0;
  std::uint32_t waiting = 0;
  std::uint32_t max = 0;
  TimePoint at;
};

struct Parameter {
  bool is_null = false;
  std::uint32_t type_oid = 0;       // 0 when unspecified
  std::int16_t format = 0;          // 0 text, 1 binary
  ValueHash hash = 0;               // of the canonical text form; 0 when sampling is off
  std::int32_t array_length = -1;   // element count when the value is an array
  std::vector<ValueHash> elements;  // element hashes of an array, bounded by the producer
};

// One key-like value of a result (integer, uuid, short text), with where it stood, so a later
// statement that looks it up can be linked to the row and column that returned it.
struct SampledValue {
  ValueHash hash = 0;
  std::uint16_t row = 0;      // DataRow index within the statement's result (or fetch batch)
  std::uint16_t column = 0;   // column position in the row
  std::uint16_t element = 0;  // 1-based position in an array value (`int[]`, `uuid[]`); 0: none
  friend bool operator==(const SampledValue&, const SampledValue&) = default;
};

// From an ErrorResponse: never the message or DETAIL (they quote values).
struct ServerError {
  std::string sqlstate;
  std::string severity;
  std::string constraint;
  std::string table;
  std::string column;
};

// One statement: a simple Query with several statements yields several events.
struct QueryEvent {
  ConnectionId connection = 0;
  Source source = Source::proxy;
  Protocol protocol = Protocol::simple;
  std::string statement_name;  // extended protocol; empty for unnamed. An Execute of a named
                               // statement may leave `text` empty: the analyzer remembers the
                               // text it saw with that name on that connection.
  std::string portal_name;
  std::string text;  // as sent, comments included; the analyzer strips and normalizes
  std::vector<Parameter> parameters;  // extended: Bind values; simple: filled by the analyzer
  std::vector<std::pair<std::string, std::string>> tags;  // from the producer (ORM); the
                                                          // analyzer adds sqlcommenter tags
  TimePoint start;
  TimePoint end;
  std::uint64_t rows = 0;
  std::vector<SampledValue> sampled_values;  // from DataRow, bounded by the producer
  std::optional<ServerError> error;
  bool truncated = false;  // text or values cut at the producer's cap
  // A portal read in parts (a cursor, a fetch size): this Execute stopped at its row limit with
  // rows left (PortalSuspended), or it resumed a portal an earlier Execute left so.
  bool suspended = false;
  bool resumed = false;
};

// Optional: a statement was sent (Query or Execute). Producers that send it let the pool
// detector tell a long-running statement from a connection idle in a transaction while it runs.
struct QueryStarted {
  ConnectionId connection = 0;
  TimePoint at;
};

using Event = std::variant<ConnectionOpened, ConnectionClosed, TransactionStateChanged,
                           ServerRefusal, PoolWait, QueryEvent, QueryStarted>;

}  // namespace pgtally::analyzer
