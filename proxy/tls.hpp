// OpenSSL contexts for the two legs: pgtally as a TLS server towards clients and as a TLS
// client towards PostgreSQL. Built once from the config; shared by every event-loop thread.
#pragma once

#include <memory>

#include "proxy/asio.hpp"
#include "proxy/config.hpp"

namespace pgtally {

struct TlsContexts {
  std::unique_ptr<asio::ssl::context> to_clients;  // null when client TLS is off
  std::unique_ptr<asio::ssl::context> to_server;   // null when server TLS is off
};

// Throws std::runtime_error naming the file and OpenSSL's reason when a certificate or key
// cannot be loaded.
TlsContexts make_tls_contexts(const Config& config);

}  // namespace pgtally
