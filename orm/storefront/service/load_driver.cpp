#include "orm/storefront/service/load_driver.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "orm/storefront/service/http_client.hpp"

namespace pgtally::storefront {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kErrorSamples = 5;

LatencySummary summarize(std::vector<double> ms) {
  LatencySummary out;
  if (ms.empty()) return out;
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(std::lround(q * static_cast<double>(ms.size() - 1)));
    return ms[std::min(i, ms.size() - 1)];
  };
  out.p50_ms = at(0.50);
  out.p95_ms = at(0.95);
  out.p99_ms = at(0.99);
  out.max_ms = ms.back();
  return out;
}

// Each route appears `weight` times, spread out: round r takes every route whose weight > r.
std::vector<std::string> wheel_of(const std::vector<RouteWeight>& mix) {
  unsigned rounds = 0;
  for (const auto& w : mix)
    rounds = std::max(rounds, w.weight);
  std::vector<std::string> wheel;
  for (unsigned r = 0; r < rounds; ++r) {
    for (const auto& w : mix) {
      if (w.weight > r) wheel.push_back(w.route);
    }
  }
  return wheel;
}

// What the workers share; one lock, taken once per request.
struct Tally {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t queries = 0;
  std::vector<double> all_ms;
  std::vector<double> interval_ms;
  std::map<std::string, std::uint64_t> by_route;
  std::map<unsigned, std::uint64_t> by_status;
  std::vector<std::string> samples;
};

// Empty when the reply is what the route should answer; else why not.
std::string judge(const HttpReply& reply, const std::string& request_id) {
  if (!reply.reached) return reply.error;
  if (reply.status < 200 || reply.status >= 300) {
    return fmt::format("status {}: {}", reply.status, reply.body.substr(0, 300));
  }
  if (reply.request_id != request_id) {
    return fmt::format("sent X-Request-Id '{}', got back '{}'", request_id, reply.request_id);
  }
  return {};
}

std::uint64_t queries_of(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return 0;
  const auto it = j.find("queries");
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

}  // namespace

const std::vector<std::string>& route_names() {
  static const std::vector<std::string> names = {
      "products",      "products-eager", "categories", "categories-eager", "users-orders",
      "slow-checkout", "report",         "search",     "healthz"};
  return names;
}

std::vector<RouteWeight> parse_mix(std::string_view text) {
  std::vector<RouteWeight> mix;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    const std::string name(part.substr(0, eq));
    const auto& names = route_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw std::invalid_argument(
          fmt::format("--mix: unknown route '{}'; known: {}", name, fmt::join(names, ", ")));
    }
    unsigned weight = 1;
    if (eq != std::string_view::npos) {
      const std::string_view digits = part.substr(eq + 1);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), weight);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
          weight == 0 || weight > 1000) {
        throw std::invalid_argument(fmt::format(
            "--mix: the weight of '{}' must be an integer from 1 to 1000, not '{}'", name, digits));
      }
    }
    mix.push_back({name, weight});
  }
  if (mix.empty()) throw std::invalid_argument("--mix names no route");
  return mix;
}

std::string route_target(const std::string& route, std::uint64_t n, std::uint32_t id_range) {
  const std::uint64_t id = 1 + n % std::max<std::uint32_t>(id_range, 1);
  if (route == "users-orders") return fmt::format("/users/{}/orders", id);
  if (route == "slow-checkout") return fmt::format("/orders/{}/slow-checkout", id);
  if (route == "search") return fmt::format("/search?q=Product+{}", id);
  return "/" + route;
}

LoadSummary run_load(const LoadOptions& options,
                     const std::function<void(const LoadProgress&)>& progress) {
  if (options.mix.empty()) throw std::invalid_argument("the load needs a route mix");
  if (!options.duration && !options.requests) {
    throw std::invalid_argument("the load needs a duration or a number of requests");
  }
  const std::vector<std::string> wheel = wheel_of(options.mix);
  const std::string prefix = options.request_id_prefix.empty()
                                 ? fmt::format("load-{:06x}", std::random_device{}() & 0xffffffU)
                                 : options.request_id_prefix;
  const auto start = Clock::now();
  const auto deadline = options.duration ? start + *options.duration : Clock::time_point::max();
  std::atomic<std::uint64_t> next{0};
  Tally tally;

  const auto work = [&] {
    HttpClient client(options.target);
    for (;;) {
      const std::uint64_t i = next++;
      if (options.requests && i >= *options.requests) return;
      if (Clock::now() >= deadline) return;
      const std::string& route = wheel[i % wheel.size()];
      const std::string id = fmt::format("{}-{}-{}", prefix, route, i);
      const auto sent = Clock::now();
      const HttpReply reply =
          client.get(route_target(route, i / wheel.size(), options.id_range), id);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
      const std::string problem = judge(reply, id);
      const std::uint64_t queries = problem.empty() ? queries_of(reply.body) : 0;
      const std::lock_guard lock(tally.mutex);
      ++tally.requests;
      ++tally.by_route[route];
      ++tally.by_status[reply.reached ? reply.status : 0];
      tally.queries += queries;
      tally.all_ms.push_back(ms);
      tally.interval_ms.push_back(ms);
      if (!problem.empty()) {
        ++tally.errors;
        if (tally.samples.size() < kErrorSamples)
          tally.samples.push_back(fmt::format("{}: {}", route, problem));
      }
    }
  };

  std::thread reporter([&] {
    auto last = start;
    std::uint64_t last_requests = 0;
    std::unique_lock lock(tally.mutex);
    while (!tally.done_cv.wait_for(lock, std::chrono::seconds(1), [&] { return tally.done; })) {
      const auto now = Clock::now();
      LoadProgress p;
      p.elapsed = now - start;
      p.requests = tally.requests;
      p.errors = tally.errors;
      const double seconds = std::chrono::duration<double>(now - last).count();
      p.rate = seconds > 0 ? static_cast<double>(tally.requests - last_requests) / seconds : 0;
      std::vector<double> interval;
      interval.swap(tally.interval_ms);
      last = now;
      last_requests = tally.requests;
      lock.unlock();
      p.interval = summarize(std::move(interval));
      if (progress) progress(p);
      lock.lock();
    }
  });

  std::vector<std::thread> workers;
  workers.reserve(options.concurrency);
  for (unsigned w = 0; w < std::max(options.concurrency, 1U); ++w)
    workers.emplace_back(work);
  for (auto& t : workers)
    t.join();
  {
    const std::lock_guard lock(tally.mutex);
    tally.done = true;
  }
  tally.done_cv.notify_all();
  reporter.join();

  LoadSummary s;
  s.elapsed = Clock::now() - start;
  s.requests = tally.requests;
  s.errors = tally.errors;
  s.latency = summarize(std::move(tally.all_ms));
  s.by_route = std::move(tally.by_route);
  s.by_status = std::move(tally.by_status);
  s.error_samples = std::move(tally.samples);
  s.total_queries = tally.queries;
  return s;
}

std::string format_progress(const LoadProgress& p) {
  return fmt::format("{:5.1f}s requests={} rate={:.0f}/s errors={} p50={:.1f}ms p95={:.1f}ms",
                     p.elapsed.count(), p.requests, p.rate, p.errors, p.interval.p50_ms,
                     p.interval.p95_ms);
}

std::string format_summary(const LoadSummary& s) {
  const double seconds = s.elapsed.count();
  std::string out = fmt::format(
      "requests={} errors={} elapsed={:.1f}s rate={:.0f}/s queries={} latency p50={:.1f}ms "
      "p95={:.1f}ms p99={:.1f}ms max={:.1f}ms\n",
      s.requests, s.errors, seconds, seconds > 0 ? static_cast<double>(s.requests) / seconds : 0,
      s.total_queries, s.latency.p50_ms, s.latency.p95_ms, s.latency.p99_ms, s.latency.max_ms);
  for (const auto& [route, n] : s.by_route)
    out += fmt::format("  {:<17} {}\n", route, n);
  for (const auto& [status, n] : s.by_status)
    out += fmt::format("  status {:<10} {}\n",
                       status == 0 ? std::string("none") : std::to_string(status), n);
  for (const auto& sample : s.error_samples)
    out += fmt::format("  error: {}\n", sample);
  return out;
}

}  // namespace pgtally::storefront
