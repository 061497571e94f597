#include "proxy/tls.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace pgtally {
namespace {

template <typename Fn>
void load(Fn&& fn, std::string_view what, const std::string& path) {
  boost::system::error_code ec;
  fn(ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("cannot load TLS {} from {}: {}", what, path, ec.message()));
  }
}

}  // namespace

TlsContexts make_tls_contexts(const Config& config) {
  TlsContexts contexts;
  if (config.client_tls()) {
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    load([&](auto& ec) { ctx->use_certificate_chain_file(config.client_tls_cert_file, ec); },
         "certificate", config.client_tls_cert_file);
    load(
        [&](auto& ec) {
          ctx->use_private_key_file(config.client_tls_key_file, asio::ssl::context::pem, ec);
        },
        "private key", config.client_tls_key_file);
    contexts.to_clients = std::move(ctx);
  }
  if (config.server_tls != ServerTls::disable) {
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3);
    if (config.server_tls_ca_file.empty()) {
      ctx->set_verify_mode(asio::ssl::verify_none);  // like libpq's sslmode=require
    } else {
      load([&](auto& ec) { ctx->load_verify_file(config.server_tls_ca_file, ec); },
           "CA certificates", config.server_tls_ca_file);
      ctx->set_verify_mode(asio::ssl::verify_peer);
    }
    contexts.to_server = std::move(ctx);
  }
  return contexts;
}

}  // namespace pgtally
