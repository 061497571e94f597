// Opens the server leg: TCP or Unix socket to PostgreSQL within the connect timeout, then the
// TLS negotiation the config asks for (SSLRequest, then a handshake). Used for sessions and
// for forwarding CancelRequests.
#pragma once

#include <optional>
#include <string>

#include "proxy/asio.hpp"
#include "proxy/config.hpp"
#include "proxy/stream.hpp"

namespace pgtally {

struct UpstreamConnection {
  std::optional<Stream> stream;  // empty on failure
  std::string error;             // why, for the client's ErrorResponse and the log
};

awaitable<UpstreamConnection> connect_upstream(const Config& config,
                                               asio::ssl::context* tls_context);

}  // namespace pgtally
