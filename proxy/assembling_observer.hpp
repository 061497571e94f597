// The session observer that analysis uses: an EventAssembler per session whose events go to
// the sink of the session's event-loop thread (for the analyzer: that thread's bounded ring,
// which drops and counts when full, so the relay never waits).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "analyzer/event_ring.hpp"
#include "analyzer/value_hasher.hpp"
#include "proxy/event_assembler.hpp"
#include "proxy/observer.hpp"

namespace pgtally {

class AssemblingObserverFactory final : public ObserverFactory {
 public:
  // `sinks[i]` receives the events of sessions on event-loop thread i; each must outlive the
  // factory's sessions. `hasher` null: value sampling off.
  AssemblingObserverFactory(std::vector<EventSink*> sinks, const analyzer::ValueHasher* hasher,
                            AssemblerLimits limits = {});
  std::unique_ptr<SessionObserver> create(analyzer::ConnectionId connection,
                                          std::size_t worker) override;

 private:
  std::vector<EventSink*> sinks_;
  const analyzer::ValueHasher* hasher_;
  AssemblerLimits limits_;
};

// An EventSink into one analyzer ring (single producer: one event-loop thread).
class RingSink final : public EventSink {
 public:
  explicit RingSink(analyzer::EventRing& ring) : ring_(ring) {}
  void emit(analyzer::Event&& event) override { ring_.try_push(std::move(event)); }

 private:
  analyzer::EventRing& ring_;
};

}  // namespace pgtally
