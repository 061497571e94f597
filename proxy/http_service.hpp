// Starts the HTTP listener for a running proxy as its config says (or not at all for
// http = off): /metrics from the proxy and the analyzer, the API from the analyzer's snapshots.
// Used by `pgtally` and `pgtally demo`.
#pragma once

#include <memory>

#include "analyzer/analyzer.hpp"
#include "proxy/http_server.hpp"
#include "proxy/proxy.hpp"

namespace pgtally {

// `analyzer` null: analysis is off. Both must outlive the server. Throws std::runtime_error
// with a message for the user when the token or the address cannot be used.
[[nodiscard]] std::unique_ptr<HttpServer> start_http(const Config& config, const Proxy& proxy,
                                                     analyzer::Analyzer* analyzer);

}  // namespace pgtally
