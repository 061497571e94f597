// Analysis in the proxy: the analyzer thread, one event ring per event-loop thread, the
// observers that fill them, and the JSON-lines findings log. main() and the demo own one and
// hand its observers to the Proxy; the HTTP API reads the analyzer's snapshots.
#pragma once

#include <memory>
#include <vector>

#include "analyzer/analyzer.hpp"
#include "proxy/assembling_observer.hpp"
#include "proxy/config.hpp"

namespace pgtally {

class Analysis {
 public:
  explicit Analysis(const Config& config);
  ~Analysis();
  Analysis(const Analysis&) = delete;
  Analysis& operator=(const Analysis&) = delete;
  Analysis(Analysis&&) = delete;
  Analysis& operator=(Analysis&&) = delete;

  [[nodiscard]] std::shared_ptr<ObserverFactory> observers() const { return observers_; }
  analyzer::Analyzer& analyzer() { return *analyzer_; }
  // Drains what is queued and ends live requests (their findings become final).
  void stop();

 private:
  std::unique_ptr<analyzer::Analyzer> analyzer_;
  std::vector<std::unique_ptr<RingSink>> sinks_;
  std::shared_ptr<ObserverFactory> observers_;
};

}  // namespace pgtally
