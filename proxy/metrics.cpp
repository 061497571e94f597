#include "proxy/metrics.hpp"

#include "analyzer/exposition.hpp"

namespace pgtally {

std::string render_metrics(const Proxy& proxy, const analyzer::Analyzer* analyzer,
                           std::chrono::system_clock::time_point started) {
  using analyzer::Metric;
  const ProxyCounters& c = proxy.shared_counters();
  auto read = [](const std::atomic<std::uint64_t>& v) {
    return static_cast<double>(v.load(std::memory_order_relaxed));
  };
  analyzer::Exposition out;
  out.begin(Metric::build_info);
  out.sample({PGTALLY_VERSION}, 1);
  out.begin(Metric::start_time_seconds);
  out.sample({}, std::chrono::duration<double>(started.time_since_epoch()).count());
  out.begin(Metric::client_connections);
  out.sample({}, proxy.clients());
  out.begin(Metric::client_connections_max);
  out.sample({}, proxy.config().max_client_conn);
  out.begin(Metric::client_connections_accepted);
  out.sample({}, read(c.accepted));
  out.begin(Metric::client_connections_refused);
  out.sample({}, read(c.refused_client_limit));
  out.begin(Metric::protocol_errors);
  out.sample({}, read(c.protocol_errors));
  out.begin(Metric::upstream_connect_failures);
  out.sample({}, read(c.upstream_failures));
  out.begin(Metric::startup_timeouts);
  out.sample({}, read(c.startup_timeouts));
  out.begin(Metric::cancel_requests);
  out.sample({"client"}, read(c.cancels_forwarded));
  out.sample({"disconnect"}, read(c.cancels_on_disconnect));
  out.begin(Metric::relayed_bytes);
  out.sample({"client_to_server"}, static_cast<double>(proxy.relayed_to_server()));
  out.sample({"server_to_client"}, static_cast<double>(proxy.relayed_to_client()));
  out.begin(Metric::analysis_enabled);
  out.sample({}, analyzer != nullptr ? 1 : 0);
  if (analyzer != nullptr) analyzer->write_metrics(out);
  return out.finish();
}

}  // namespace pgtally
