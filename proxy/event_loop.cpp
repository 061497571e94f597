#include "proxy/event_loop.hpp"

#include <sched.h>

#include <exception>

#include <spdlog/spdlog.h>

namespace pgtally {
namespace {

using Clock = std::chrono::steady_clock;

void poll_then_sleep(asio::io_context& context, std::chrono::microseconds busy_poll) {
  auto last_work = Clock::now();
  while (!context.stopped()) {
    if (context.poll() > 0) {
      last_work = Clock::now();
      continue;
    }
    const auto now = Clock::now();
    if (now - last_work < busy_poll) {
      // Another runnable thread on this core (PostgreSQL, the client) goes first.
      ::sched_yield();
      continue;
    }
    context.run_one();
    last_work = Clock::now();
  }
}

}  // namespace

void run_event_loop(asio::io_context& context, std::chrono::microseconds busy_poll) {
  for (;;) {
    try {
      if (busy_poll.count() > 0) {
        poll_then_sleep(context, busy_poll);
      } else {
        context.run();
      }
      return;
    } catch (const std::exception& e) {
      spdlog::error("event=event_loop_fault error=\"{}\"", e.what());
    }
  }
}

}  // namespace pgtally
