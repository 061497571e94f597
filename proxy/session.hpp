// One client connection and its server connection: the startup exchange (TLS, cancel, limits),
// then two relay pumps that forward bytes unchanged while framing each message in place for
// the observer. Lives on one event-loop thread; owned by its coroutines (shared_from_this).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "analyzer/event.hpp"
#include "proxy/asio.hpp"
#include "proxy/buffer_pool.hpp"
#include "proxy/observer.hpp"
#include "proxy/stream.hpp"
#include "proxy/wire/framer.hpp"
#include "proxy/wire/messages.hpp"
#include "proxy/wire/startup.hpp"
#include "proxy/wire/startup_reply.hpp"

namespace pgtally {

class Worker;

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `over_limit`: the client only gets ErrorResponse 53300 once it has sent its startup.
  Session(Worker& worker, Stream client, std::string client_address, bool over_limit);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  Session(Session&&) = delete;
  Session& operator=(Session&&) = delete;

  static void start(const std::shared_ptr<Session>& session);

  // Ends the session for shutdown: a client between messages is told 57P01 first.
  void terminate() noexcept;

 private:
  struct Startup {
    std::string packet;  // forwarded unchanged
    wire::StartupMessage message;
  };

  awaitable<void> run();
  awaitable<std::optional<Startup>> read_startup();
  awaitable<void> forward_cancel(const wire::CancelRequest& request, std::string packet);
  awaitable<void> send_to_client(std::string message);
  enum class Leg : std::uint8_t { client, server };
  // Bytes one leg read that the other did not take at once; written before the next read.
  struct Unsent {
    BufferPool::Lease lease;
    std::span<const std::byte> bytes;
  };
  // How a pass over one leg's bytes ended.
  enum class Pass : std::uint8_t {
    more,       // all forwarded; read on
    drained,    // nothing more to read now
    yield,      // read enough for one turn: let the other sessions run
    blocked,    // the other side took part of it: Unsent holds the rest
    failed,     // a socket error (in the error code)
    bad_frame,  // the framer refused a message length
  };
  Stream& from(Leg leg) { return leg == Leg::client ? client_ : *server_; }
  Stream& to(Leg leg) { return leg == Leg::client ? *server_ : client_; }
  void await_readable(Leg leg);
  void resume(Leg leg, const boost::system::error_code& ec);
  // The fast path, without a coroutine: plain legs past startup, while writes complete at once.
  Pass relay_now(Leg leg, std::optional<Unsent>& unsent, boost::system::error_code& ec);
  Pass forward(Leg leg, BufferPool::Lease lease, std::size_t n, std::optional<Unsent>& unsent,
               boost::system::error_code& ec);
  // The slow path: TLS legs, partial writes, the startup reply, and the end of a leg.
  awaitable<void> pump(Leg leg, Pass pass, std::optional<Unsent> unsent,
                       boost::system::error_code ec);
  awaitable<void> end_client_leg(boost::system::error_code ec);
  awaitable<void> end_server_leg();
  void report_client_bad_frame();
  // Gathers the first `n` bytes of `lease` into *startup_reply_; returns what to send the
  // client (possibly nothing yet), or nullopt when the server broke the protocol.
  std::optional<std::string> take_startup_reply(BufferPool::Lease lease, std::size_t n);

  void on_client_frame(const wire::Frame& frame, analyzer::TimePoint at);
  void on_server_frame(const wire::Frame& frame, analyzer::TimePoint at);
  [[nodiscard]] std::uint32_t head_wanted(wire::Direction direction, char type,
                                          std::uint32_t length) const;
  void arm_deadline(std::chrono::milliseconds after);
  void set_reason(analyzer::CloseReason reason);
  void close_both() noexcept;
  void fail_client(std::string_view sqlstate, std::string_view message);

  Worker& worker_;
  Stream client_;
  std::optional<Stream> server_;
  asio::steady_timer deadline_;
  std::unique_ptr<SessionObserver> observer_;
  analyzer::ConnectionId id_;
  std::string client_address_;
  wire::Framer client_framer_;
  wire::Framer server_framer_;
  std::optional<wire::BackendKeyData> backend_key_;
  std::optional<wire::StartupReply> startup_reply_;  // until the first ReadyForQuery
  std::optional<std::string> error_for_client_;      // written by the server pump at a boundary
  std::optional<analyzer::CloseReason> reason_;
  std::uint32_t outstanding_ = 0;  // Query, Sync and FunctionCall not yet answered by 'Z'
  bool over_limit_;
  bool terminated_ = false;  // the client sent Terminate
  bool in_startup_ = true;   // until the server's first ReadyForQuery
  bool strip_scram_plus_ = false;
  bool closed_ = false;
};

}  // namespace pgtally
