// Boost.Beast for pgtally's HTTP listener and the `pgtally expect` client, after the Asio
// wrapper (which holds the toolchain workarounds). Beast is compiled once with Asio.
#pragma once

#include "proxy/asio.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace pgtally {
namespace beast = boost::beast;
namespace http = boost::beast::http;
}  // namespace pgtally
