// How analysis watches a session without touching the relay: the session calls these on its
// relay thread for every framed message. Implementations must never block or throw; they copy
// what they need (the head span dies with the call) and hand it off.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "analyzer/event.hpp"
#include "proxy/wire/protocol.hpp"

namespace pgtally {

struct MessageSeen {
  wire::Direction direction = wire::Direction::client_to_server;
  char type = 0;
  std::uint32_t length = 0;         // as on the wire (payload + 4)
  std::span<const std::byte> head;  // the first payload bytes, as many as head_wanted asked
  analyzer::TimePoint at;           // when the read that completed the head returned
};

struct SessionStarted {
  analyzer::ConnectionId connection = 0;
  std::string client_address;
  std::vector<std::pair<std::string, std::string>> startup_parameters;  // user, database, ...
  analyzer::TimePoint at;
};

class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  // How many payload bytes of this message to show on_message (0: none, no copy is made).
  [[nodiscard]] virtual std::uint32_t head_wanted(wire::Direction direction, char type,
                                                  std::uint32_t length) const noexcept = 0;
  virtual void on_started(const SessionStarted& started) noexcept = 0;
  virtual void on_message(const MessageSeen& message) noexcept = 0;
  virtual void on_refused(analyzer::Refuser refused_by, analyzer::TimePoint at) noexcept = 0;
  virtual void on_closed(analyzer::CloseReason reason, analyzer::TimePoint at) noexcept = 0;
};

// Makes one observer per session, on the session's event-loop thread `worker` (0 to
// threads - 1), so an observer can feed a per-thread, single-producer queue.
class ObserverFactory {
 public:
  virtual ~ObserverFactory() = default;
  virtual std::unique_ptr<SessionObserver> create(analyzer::ConnectionId connection,
                                                  std::size_t worker) = 0;
};

}  // namespace pgtally
