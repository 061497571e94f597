#include "proxy/session.hpp"

#include <array>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "proxy/upstream.hpp"
#include "proxy/wire/byte_order.hpp"
#include "proxy/worker.hpp"

namespace pgtally {
namespace {

namespace sys = boost::system;
using analyzer::CloseReason;
using wire::Direction;

constexpr std::chrono::milliseconds kCloseGrace{std::chrono::seconds(5)};
constexpr int kMaxStartupRounds = 4;  // SSLRequest, GSSENCRequest, StartupMessage, and spare

bool is_abort(const sys::error_code& ec) {
  return ec == asio::error::operation_aborted;
}

std::string_view reason_name(CloseReason reason) {
  switch (reason) {
    case CloseReason::client_terminated:
      return "client_terminated";
    case CloseReason::client_disconnected:
      return "client_disconnected";
    case CloseReason::server_closed:
      return "server_closed";
    case CloseReason::protocol_error:
      return "protocol_error";
    case CloseReason::startup_timeout:
      return "startup_timeout";
    case CloseReason::upstream_unreachable:
      return "upstream_unreachable";
    case CloseReason::refused:
      return "refused";
    case CloseReason::shutdown:
      return "shutdown";
  }
  return "unknown";
}

}  // namespace

Session::Session(Worker& worker, Stream client, std::string client_address, bool over_limit)
    : worker_(worker),
      client_(std::move(client)),
      deadline_(worker.context()),
      id_(worker.shared().next_connection.fetch_add(1, std::memory_order_relaxed)),
      client_address_(std::move(client_address)),
      client_framer_(worker.config()->max_message_bytes),
      server_framer_(wire::kDefaultMaxMessageLength),
      over_limit_(over_limit) {
  worker_.add(this);
  if (worker_.shared().observers)
    observer_ = worker_.shared().observers->create(id_, worker_.index());
}

Session::~Session() {
  worker_.remove(this);
  if (backend_key_) worker_.shared().cancels.remove(backend_key_->pid, backend_key_->key);
  worker_.shared().clients.fetch_sub(1, std::memory_order_relaxed);
  const CloseReason reason = reason_.value_or(CloseReason::client_disconnected);
  if (observer_) observer_->on_closed(reason, analyzer::Clock::now());
  spdlog::debug("event=session_end conn={} reason={}", id_, reason_name(reason));
}

void Session::start(const std::shared_ptr<Session>& session) {
  // The coroutine owns a reference: co_spawn starts it later, after the caller's is gone.
  auto owned = [](std::shared_ptr<Session> self) -> awaitable<void> { co_await self->run(); };
  asio::co_spawn(session->worker_.context(), owned(session),
                 [id = session->id_](const std::exception_ptr& failure) {
                   if (!failure) return;
                   try {
                     std::rethrow_exception(failure);
                   } catch (const std::exception& e) {
                     spdlog::error("event=session_failed conn={} error=\"{}\"", id, e.what());
                   }
                 });
}

void Session::set_reason(CloseReason reason) {
  if (!reason_) reason_ = reason;
}

void Session::close_both() noexcept {
  closed_ = true;
  client_.close();
  if (server_) server_->close();
}

void Session::arm_deadline(std::chrono::milliseconds after) {
  deadline_.expires_after(after);
  deadline_.async_wait([weak = weak_from_this()](sys::error_code ec) {
    if (ec) return;  // cancelled or re-armed
    if (auto self = weak.lock()) {
      if (self->in_startup_) {
        self->set_reason(CloseReason::startup_timeout);
        self->worker_.shared().counters.startup_timeouts.fetch_add(1, std::memory_order_relaxed);
        spdlog::info("event=startup_timeout conn={} client={}", self->id_, self->client_address_);
      }
      self->close_both();
    }
  });
}

void Session::terminate() noexcept {
  set_reason(CloseReason::shutdown);
  if (in_startup_ || !server_) {
    close_both();
    return;
  }
  fail_client("57P01", "terminating connection because pgtally is shutting down");
}

// Ends the relay with an error for the client. The server pump is the only writer towards the
// client, so it sends the error once it stops at a message boundary.
void Session::fail_client(std::string_view sqlstate, std::string_view message) {
  if (!error_for_client_) {
    error_for_client_ = wire::error_response("FATAL", sqlstate, message);
  }
  if (server_) server_->close();
  arm_deadline(kCloseGrace);
}

awaitable<void> Session::send_to_client(std::string message) {
  sys::error_code ec;
  co_await client_.write_all(wire::as_bytes(message), ec);
}

awaitable<void> Session::run() {
  auto self = shared_from_this();
  const auto config = worker_.config();
  arm_deadline(config->startup_timeout);

  auto startup = co_await read_startup();
  if (!startup) {
    close_both();
    co_return;
  }
  if (over_limit_) {
    set_reason(CloseReason::refused);
    worker_.shared().counters.refused_client_limit.fetch_add(1, std::memory_order_relaxed);
    if (observer_) observer_->on_refused(analyzer::Refuser::pgtally, analyzer::Clock::now());
    spdlog::warn("event=client_refused conn={} client={} reason=max_client_conn limit={}", id_,
                 client_address_, config->max_client_conn);
    co_await send_to_client(wire::error_response(
        "FATAL", "53300",
        fmt::format("sorry, too many clients already: pgtally's max_client_conn is {}",
                    config->max_client_conn),
        "Raise max_client_conn in pgtally's config, or use fewer connections."));
    close_both();
    co_return;
  }
  if (observer_) {
    observer_->on_started(
        SessionStarted{id_, client_address_, startup->message.parameters, analyzer::Clock::now()});
  }

  auto upstream = co_await connect_upstream(*config, worker_.shared().tls.to_server.get());
  if (!upstream.stream) {
    set_reason(CloseReason::upstream_unreachable);
    worker_.shared().counters.upstream_failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("event=upstream_unreachable conn={} error=\"{}\"", id_, upstream.error);
    co_await send_to_client(wire::error_response(
        "FATAL", "08006", fmt::format("pgtally: {}", upstream.error),
        "Check that PostgreSQL is running and that pgtally's upstream setting points at it."));
    close_both();
    co_return;
  }
  server_ = std::move(upstream.stream);
  strip_scram_plus_ = !client_.is_tls() && server_->is_tls();
  if (closed_) co_return;  // the startup deadline passed while connecting

  sys::error_code ec;
  co_await server_->write_all(wire::as_bytes(startup->packet), ec);
  if (ec) {
    set_reason(CloseReason::server_closed);
    close_both();
    co_return;
  }
  spdlog::debug("event=session_start conn={} client={} user={} database={}", id_, client_address_,
                startup->message.parameter("user"), startup->message.parameter("database"));
  startup.reset();

  // From here the pending waits own the session; this coroutine's frame is freed.
  startup_reply_.emplace(strip_scram_plus_);
  await_readable(Leg::server);
  await_readable(Leg::client);
}

awaitable<std::optional<Session::Startup>> Session::read_startup() {
  sys::error_code ec;
  for (int round = 0; round < kMaxStartupRounds; ++round) {
    std::array<std::byte, 4> length_bytes{};
    co_await client_.read_exact(length_bytes, ec);
    if (ec) {
      spdlog::debug("event=startup_read_failed conn={} error=\"{}\"", id_, ec.message());
      set_reason(CloseReason::client_disconnected);
      co_return std::nullopt;
    }
    const std::uint32_t length = wire::read_u32(length_bytes);
    if (auto error = wire::check_startup_length(length)) {
      // Closed with no reply, as PostgreSQL does: these bytes are no startup packet (often a
      // client's Terminate sent before it ever started up), so nobody may be there to read one.
      set_reason(CloseReason::protocol_error);
      worker_.shared().counters.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("event=bad_startup conn={} client={} sqlstate={} error=\"{}\"", id_,
                   client_address_, error->sqlstate, error->message);
      co_return std::nullopt;
    }
    std::string packet(length, '\0');
    std::copy(length_bytes.begin(), length_bytes.end(),
              std::as_writable_bytes(std::span(packet)).begin());
    co_await client_.read_exact(std::as_writable_bytes(std::span(packet)).subspan(4), ec);
    if (ec) {
      set_reason(CloseReason::client_disconnected);
      co_return std::nullopt;
    }
    auto parsed = wire::parse_startup_packet(wire::as_bytes(packet));
    if (std::holds_alternative<wire::SslRequest>(parsed)) {
      auto* context = worker_.shared().tls.to_clients.get();
      const bool accept = context != nullptr && client_.is_tcp() && !client_.is_tls();
      co_await send_to_client(accept ? "S" : "N");
      if (accept) {
        co_await client_.tls_accept(*context, ec);
        if (ec) {
          set_reason(CloseReason::protocol_error);
          spdlog::info("event=tls_handshake_failed conn={} client={} error=\"{}\"", id_,
                       client_address_, ec.message());
          co_return std::nullopt;
        }
      }
      continue;
    }
    if (std::holds_alternative<wire::GssEncRequest>(parsed)) {
      co_await send_to_client("N");
      continue;
    }
    if (const auto* cancel = std::get_if<wire::CancelRequest>(&parsed)) {
      co_await forward_cancel(*cancel, std::move(packet));
      co_return std::nullopt;
    }
    if (const auto* error = std::get_if<wire::StartupError>(&parsed)) {
      set_reason(CloseReason::protocol_error);
      worker_.shared().counters.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("event=bad_startup conn={} client={} sqlstate={} error=\"{}\"", id_,
                   client_address_, error->sqlstate, error->message);
      co_await send_to_client(wire::error_response("FATAL", error->sqlstate, error->message));
      co_return std::nullopt;
    }
    co_return Startup{std::move(packet), std::get<wire::StartupMessage>(std::move(parsed))};
  }
  set_reason(CloseReason::protocol_error);
  co_await send_to_client(
      wire::error_response("FATAL", "08P01", "too many startup requests on one connection"));
  co_return std::nullopt;
}

awaitable<void> Session::forward_cancel(const wire::CancelRequest& request, std::string packet) {
  set_reason(CloseReason::client_terminated);
  if (!worker_.shared().cancels.contains(request.pid, request.key)) {
    spdlog::debug("event=cancel_unknown_key conn={} pid={}", id_, request.pid);
    co_return;  // as PostgreSQL does: no answer either way
  }
  const auto config = worker_.config();
  auto upstream = co_await connect_upstream(*config, worker_.shared().tls.to_server.get());
  if (!upstream.stream) {
    spdlog::warn("event=cancel_failed pid={} error=\"{}\"", request.pid, upstream.error);
    co_return;
  }
  sys::error_code ec;
  co_await upstream.stream->write_all(wire::as_bytes(packet), ec);
  worker_.shared().counters.cancels_forwarded.fetch_add(1, std::memory_order_relaxed);
  upstream.stream->close();
}

std::uint32_t Session::head_wanted(Direction direction, char type, std::uint32_t length) const {
  // The relay itself reads only ReadyForQuery's status byte.
  std::uint32_t want =
      direction == Direction::server_to_client && type == wire::backend::kReadyForQuery ? 1 : 0;
  if (observer_) want = std::max(want, observer_->head_wanted(direction, type, length));
  return want;
}

void Session::on_client_frame(const wire::Frame& frame, analyzer::TimePoint at) {
  switch (frame.type) {
    case wire::frontend::kQuery:
    case wire::frontend::kSync:
    case wire::frontend::kFunctionCall:
      ++outstanding_;
      break;
    case wire::frontend::kTerminate:
      terminated_ = true;
      break;
    default:
      break;
  }
  if (observer_) {
    observer_->on_message({Direction::client_to_server, frame.type, frame.length, frame.head, at});
  }
}

void Session::on_server_frame(const wire::Frame& frame, analyzer::TimePoint at) {
  if (frame.type == wire::backend::kReadyForQuery && outstanding_ > 0) --outstanding_;
  if (observer_) {
    observer_->on_message({Direction::server_to_client, frame.type, frame.length, frame.head, at});
  }
}

// Waits for the next bytes without a coroutine: an idle session holds one pending wait per leg
// and nothing else (no buffer, no coroutine frame). TLS legs read in their pump instead.
void Session::await_readable(Leg leg) {
  Stream& stream = from(leg);
  auto resume = [self = shared_from_this(), leg](const sys::error_code& ec) {
    self->resume(leg, ec);
  };
  if (auto* socket = stream.plain_tcp()) {
    socket->async_wait(Stream::Tcp::wait_read, std::move(resume));
  } else if (auto* local = stream.plain_unix()) {
    local->async_wait(Stream::Unix::wait_read, std::move(resume));
  } else {
    asio::post(worker_.context(), [resume = std::move(resume)] { resume({}); });
  }
}

// Most wake-ups forward what arrived and wait again without allocating anything: a coroutine
// is started only when a write must wait, a leg is TLS or in startup, or the leg ends.
void Session::resume(Leg leg, const sys::error_code& ec) {
  sys::error_code error = ec;
  std::optional<Unsent> unsent;
  Pass pass = Pass::more;
  const bool fast = !error && !from(leg).is_tls() && !(leg == Leg::server && in_startup_);
  if (fast) {
    pass = relay_now(leg, unsent, error);
    if (pass == Pass::drained) {
      await_readable(leg);
      return;
    }
    if (pass == Pass::yield) {
      asio::post(worker_.context(), [self = shared_from_this(), leg] { self->resume(leg, {}); });
      return;
    }
  }
  auto ended = [self = shared_from_this()](const std::exception_ptr& failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      spdlog::error("event=relay_failed conn={} error=\"{}\"", self->id_, e.what());
    }
    self->close_both();
  };
  asio::co_spawn(worker_.context(), pump(leg, pass, std::move(unsent), error), std::move(ended));
}

Session::Pass Session::relay_now(Leg leg, std::optional<Unsent>& unsent, sys::error_code& ec) {
  // A leg that always has bytes (a long COPY) gives the thread up after this many reads.
  constexpr int kReadsPerTurn = 16;
  Stream& stream = from(leg);
  for (int reads = 0; reads < kReadsPerTurn; ++reads) {
    auto lease = worker_.buffers().lease();
    const std::size_t n = stream.read_now(lease.bytes(), ec);
    if (ec) return Pass::failed;
    if (n == 0) return Pass::drained;
    const bool short_read = n < lease.bytes().size();
    const Pass pass = forward(leg, std::move(lease), n, unsent, ec);
    if (pass != Pass::more) return pass;
    // A short read emptied the socket. No second read to confirm it: the wait that follows
    // re-arms the descriptor, and epoll reports bytes that came in meanwhile at once.
    if (short_read) return Pass::drained;
  }
  return Pass::yield;
}

// Frames the chunk in place for the observer, then hands it to the other leg unchanged.
Session::Pass Session::forward(Leg leg, BufferPool::Lease lease, std::size_t n,
                               std::optional<Unsent>& unsent, sys::error_code& ec) {
  const auto chunk = lease.bytes().first(n);
  const auto at = observer_ ? analyzer::Clock::now() : analyzer::TimePoint{};
  const bool client_side = leg == Leg::client;
  wire::Framer& framer = client_side ? client_framer_ : server_framer_;
  const auto direction = client_side ? Direction::client_to_server : Direction::server_to_client;
  const wire::FrameError error = framer.feed(
      chunk,
      [this, direction](char type, std::uint32_t length) {
        return head_wanted(direction, type, length);
      },
      [this, at, client_side](const wire::Frame& frame) {
        if (client_side) {
          on_client_frame(frame, at);
        } else {
          on_server_frame(frame, at);
        }
      });
  if (error != wire::FrameError::none) return Pass::bad_frame;
  auto& relayed = client_side ? worker_.relayed().to_server : worker_.relayed().to_client;
  const std::size_t written = to(leg).write_now(chunk, ec);
  if (ec) return Pass::failed;
  RelayedBytes::add(relayed, written);
  if (written == n) return Pass::more;
  unsent.emplace(Unsent{std::move(lease), chunk.subspan(written)});
  return Pass::blocked;
}

awaitable<void> Session::pump(Leg leg, Pass pass, std::optional<Unsent> unsent,
                              sys::error_code ec) {
  auto self = shared_from_this();
  Stream& stream = from(leg);
  while (!ec && pass != Pass::failed && pass != Pass::bad_frame) {
    if (unsent) {
      co_await to(leg).write_all(unsent->bytes, ec);
      if (ec) break;
      auto& relayed =
          leg == Leg::client ? worker_.relayed().to_server : worker_.relayed().to_client;
      RelayedBytes::add(relayed, unsent->bytes.size());
      unsent.reset();
    }
    const bool startup = leg == Leg::server && in_startup_;
    if (!stream.is_tls() && !startup) {
      pass = relay_now(leg, unsent, ec);
      if (pass == Pass::drained) {
        await_readable(leg);  // sleep without a frame
        co_return;
      }
      if (pass == Pass::yield) co_await asio::post(worker_.context(), use_awaitable);
      continue;
    }
    auto lease = worker_.buffers().lease();
    const std::size_t n = stream.is_tls() ? co_await stream.read_some(lease.bytes(), ec)
                                          : stream.read_now(lease.bytes(), ec);
    if (ec) break;
    if (n == 0) {
      if (stream.is_tls()) continue;
      await_readable(leg);
      co_return;
    }
    if (startup) {
      // The buffer goes back before the write waits: a connect burst holds no buffer per client.
      auto for_client = take_startup_reply(std::move(lease), n);
      if (!for_client) {
        pass = Pass::failed;
        break;
      }
      if (!in_startup_) startup_reply_.reset();
      if (!for_client->empty()) co_await client_.write_all(wire::as_bytes(*for_client), ec);
      continue;
    }
    pass = forward(leg, std::move(lease), n, unsent, ec);
  }
  if (leg == Leg::client) {
    if (pass == Pass::bad_frame) {
      report_client_bad_frame();
      co_return;
    }
    co_await end_client_leg(ec);
  } else {
    if (pass == Pass::bad_frame) {
      spdlog::warn("event=server_protocol_error conn={} length={}", id_,
                   server_framer_.failed_length());
    }
    co_await end_server_leg();
  }
}

void Session::report_client_bad_frame() {
  set_reason(CloseReason::protocol_error);
  worker_.shared().counters.protocol_errors.fetch_add(1, std::memory_order_relaxed);
  const auto message =
      fmt::format("invalid message length {} for message type '{}' (allowed: 4 to {})",
                  client_framer_.failed_length(), client_framer_.failed_type(),
                  worker_.config()->max_message_bytes);
  spdlog::info("event=protocol_error conn={} client={} error=\"{}\"", id_, client_address_,
               message);
  fail_client("08P01", message);
}

awaitable<void> Session::end_client_leg(sys::error_code ec) {
  if (is_abort(ec) || closed_) co_return;
  if (terminated_) {
    set_reason(CloseReason::client_terminated);
  } else {
    set_reason(CloseReason::client_disconnected);
    if (outstanding_ > 0 && backend_key_) {
      // The backend would go on running the query for nobody: cancel it, then close.
      worker_.shared().counters.cancels_on_disconnect.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("event=client_gone_mid_query conn={} pid={}", id_, backend_key_->pid);
      co_await forward_cancel(wire::CancelRequest{backend_key_->pid, backend_key_->key},
                              wire::cancel_request(backend_key_->pid, backend_key_->key));
    }
  }
  if (server_) server_->close();
  arm_deadline(kCloseGrace);
}

awaitable<void> Session::end_server_leg() {
  // After a Terminate the server closing is the client's doing.
  set_reason(terminated_ ? CloseReason::client_terminated : CloseReason::server_closed);
  if (error_for_client_ && server_framer_.at_boundary() && client_.is_open()) {
    sys::error_code ec;
    co_await client_.write_all(wire::as_bytes(*error_for_client_), ec);
  }
  client_.close();
}

// Until the first ReadyForQuery, server messages are gathered whole (wire::StartupReply) so
// the relay can read BackendKeyData and may edit AuthenticationSASL; after it, bytes stream.
std::optional<std::string> Session::take_startup_reply(BufferPool::Lease lease, std::size_t n) {
  const auto chunk = lease.bytes().first(n);
  wire::StartupReply& reply = *startup_reply_;
  const auto at = analyzer::Clock::now();
  auto wanted = [this](char type, std::uint32_t length) {
    return head_wanted(Direction::server_to_client, type, length);
  };
  auto seen = [this, at](const wire::Frame& frame) { on_server_frame(frame, at); };
  std::string out;
  std::string rest;
  const bool valid = reply.feed(chunk, out, rest, [&](std::span<const std::byte> message) {
    const auto payload = message.subspan(wire::kMessageHeaderSize);
    switch (static_cast<char>(message[0])) {
      case wire::backend::kBackendKeyData:
        backend_key_ = wire::parse_backend_key_data(payload);
        if (backend_key_) worker_.shared().cancels.add(backend_key_->pid, backend_key_->key);
        break;
      case wire::backend::kErrorResponse:
        if (const auto fields = wire::parse_error_fields(payload);
            fields && fields->sqlstate == "53300" && observer_) {
          observer_->on_refused(analyzer::Refuser::server, at);
        }
        break;
      default:
        break;
    }
    server_framer_.feed(message, wanted, seen);
  });
  if (!valid || server_framer_.feed(wire::as_bytes(rest), wanted, seen) != wire::FrameError::none) {
    spdlog::warn("event=server_protocol_error conn={}", id_);
    return std::nullopt;
  }
  if (reply.done()) {
    in_startup_ = false;
    deadline_.cancel();
  }
  return out;
}

}  // namespace pgtally
