// The one place that includes Boost.Asio for pgtally: it holds the toolchain workarounds
// (Debian 12: Boost 1.74 with g++ 12 and clang 14) so no other file repeats them.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility> (g++ 12).
#include <utility>

// Asio 1.18 only detects coroutine support for g++ and MSVC; clang 14 has it in C++20.
#if defined(__clang__) && !defined(BOOST_ASIO_HAS_CO_AWAIT)
#define BOOST_ASIO_HAS_CO_AWAIT 1
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace pgtally {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
}  // namespace pgtally
