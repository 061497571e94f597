// Runs one event-loop thread's io_context until it is stopped. With a busy-poll budget the
// thread keeps polling for that long after its last handler before it sleeps in epoll, so a
// reply that arrives within the budget costs no wake-up (the price of a hop at low load).
#pragma once

#include <chrono>

#include "proxy/asio.hpp"

namespace pgtally {

// Returns when the context is stopped. A handler's exception is logged and the loop goes on:
// a fault in one session must not take the others down.
void run_event_loop(asio::io_context& context, std::chrono::microseconds busy_poll);

}  // namespace pgtally
