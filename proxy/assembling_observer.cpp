#include "proxy/assembling_observer.hpp"

namespace pgtally {
namespace {

class AssemblingObserver final : public SessionObserver {
 public:
  AssemblingObserver(EventAssembler assembler, EventSink& sink)
      : assembler_(std::move(assembler)), sink_(sink) {}

  [[nodiscard]] std::uint32_t head_wanted(wire::Direction direction, char type,
                                          std::uint32_t length) const noexcept override {
    return assembler_.head_wanted(direction, type, length);
  }
  void on_started(const SessionStarted& started) noexcept override {
    guarded([&] { assembler_.started(started, sink_); });
  }
  void on_message(const MessageSeen& message) noexcept override {
    guarded([&] { assembler_.message(message, sink_); });
  }
  void on_refused(analyzer::Refuser refused_by, analyzer::TimePoint at) noexcept override {
    guarded([&] { assembler_.refused(refused_by, at, sink_); });
  }
  void on_closed(analyzer::CloseReason reason, analyzer::TimePoint at) noexcept override {
    guarded([&] { assembler_.closed(reason, at, sink_); });
  }

 private:
  // An analysis fault (out of memory, say) must never take the relay down: the session goes
  // on unobserved.
  template <typename Fn>
  void guarded(Fn&& fn) noexcept {
    if (failed_) return;
    try {
      fn();
    } catch (...) {
      failed_ = true;
    }
  }

  EventAssembler assembler_;
  EventSink& sink_;
  bool failed_ = false;
};

}  // namespace

AssemblingObserverFactory::AssemblingObserverFactory(std::vector<EventSink*> sinks,
                                                     const analyzer::ValueHasher* hasher,
                                                     AssemblerLimits limits)
    : sinks_(std::move(sinks)), hasher_(hasher), limits_(limits) {}

std::unique_ptr<SessionObserver> AssemblingObserverFactory::create(
    analyzer::ConnectionId connection, std::size_t worker) {
  return std::make_unique<AssemblingObserver>(EventAssembler(connection, hasher_, limits_),
                                              *sinks_.at(worker % sinks_.size()));
}

}  // namespace pgtally
