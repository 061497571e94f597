// End to end: the storefront service with its database URL pointing at pgtally (analysis on,
// idle-in-transaction and saturation thresholds lowered), a short load of its pages, then the
// traps. pgtally's /api/findings must name the lazy pages as N+1 and the slow checkout and the
// report as pool trouble, and stay silent on the pages that load with includes; with tags off,
// it still infers the lazy page's N+1 from the traffic alone.
#include <chrono>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orm/storefront/service/load_driver.hpp"
#include "proxy/analysis.hpp"
#include "proxy/http_client.hpp"
#include "proxy/http_service.hpp"
#include "proxy/logging.hpp"
#include "tests/proxy/proxy_fixture.hpp"
#include "tests/storefront/service_fixture.hpp"

namespace pgtally::testing {
namespace {

using nlohmann::json;

bool has_finding(const json& findings, const std::string& kind, const std::string& route) {
  for (const auto& f : findings["findings"]) {
    if (f["kind"] == kind && f.value("route", "") == route) return true;
  }
  return false;
}

// A pool finding names its request (they are keyed by client group, not route).
bool has_pool_finding(const json& findings, const std::string& kind,
                      const std::string& request_id) {
  for (const auto& f : findings["findings"]) {
    if (f["kind"] != kind) continue;
    if (f.value("request_id", "") == request_id) return true;
    for (const auto& example : f["example_request_ids"])
      if (example == request_id) return true;
  }
  return false;
}

TEST(StorefrontThroughPgtally, LazyPagesAreNPlusOneTheTrapsArePoolFindingsTheRestIsQuiet) {
  setup_logging("", "warn");
  Config config = proxy_config();
  config.http = "127.0.0.1:0";
  config.findings_log = "off";
  // Two relay threads (the default): the report's two connections may sit on different
  // threads, and the analyzer must still see the first one's transaction before the second.
  config.threads = 2;
  config.detectors.idle_in_transaction_ms = 500;
  config.detectors.saturation_window_ms = 1000;
  Analysis analysis(config);
  RunningProxy proxy(config, analysis.observers());
  const auto http = start_http(config, proxy.proxy(), &analysis.analyzer());
  const std::string api = fmt::format("127.0.0.1:{}", http->endpoint().port());
  const auto findings = [&] {
    const auto r = http_get(api, "/api/findings", "", std::chrono::seconds(10));
    EXPECT_TRUE(r.reached) << r.error;
    return json::parse(r.body, nullptr, false);
  };

  postgres().psql("DROP DATABASE IF EXISTS storefront_e2e");
  postgres().psql("CREATE DATABASE storefront_e2e OWNER " + std::string(kTrustUser));
  auto options = service_options(proxy.conninfo(kTrustUser, "dbname=storefront_e2e"));
  options.idle_in_transaction = std::chrono::milliseconds(1000);
  const auto service = start_service(options);

  storefront::LoadOptions load;
  load.target = service->bound();
  load.mix = storefront::parse_mix(
      "products=2,products-eager=2,categories=1,categories-eager=1,users-orders=2");
  load.concurrency = 3;
  load.requests = 40;
  load.request_id_prefix = "e2e";
  const auto summary = storefront::run_load(load);
  EXPECT_EQ(summary.errors, 0U) << storefront::format_summary(summary);
  EXPECT_EQ(summary.requests, 40U);

  const Page checkout = get_page(service->bound(), "/orders/1/slow-checkout", "e2e-slow");
  EXPECT_EQ(checkout.status, 200U) << checkout.body.dump();
  const Page report = get_page(service->bound(), "/report", "e2e-report");
  EXPECT_EQ(report.status, 200U) << report.body.dump();

  // Every request of the load and the two traps has ended: findings are final.
  ASSERT_TRUE(eventually([&] {
    const auto requests = analysis.analyzer().requests(1000);
    std::size_t finished = 0;
    for (const auto& r : requests) {
      if (r.id.rfind("e2e", 0) == 0) {
        if (!r.finished) return false;
        ++finished;
      }
    }
    return finished >= 42;
  })) << findings().dump(2);
  ASSERT_TRUE(eventually([&] {
    const json f = findings();
    return has_pool_finding(f, "idle_in_transaction", "e2e-slow") &&
           has_pool_finding(f, "nested_connection", "e2e-report");
  })) << findings().dump(2);

  const json all = findings();
  EXPECT_TRUE(has_finding(all, "n_plus_one", "/products")) << all.dump(2);
  EXPECT_TRUE(has_finding(all, "n_plus_one", "/categories")) << all.dump(2);
  for (const char* quiet : {"/products-eager", "/categories-eager", "/users/{id}/orders"}) {
    for (const auto& f : all["findings"])
      EXPECT_NE(f.value("route", ""), quiet) << f.dump(2);
  }

  // With tags off pgtally has only the traffic: one connection (pool of 1), the page's
  // statements in one burst, the lookups' keys found in the list's rows.
  auto untagged_options = options;
  untagged_options.tags = false;
  untagged_options.migrate = false;
  untagged_options.pool_max = 1;
  const auto untagged = start_service(untagged_options);
  EXPECT_EQ(get_page(untagged->bound(), "/products").body["queries"], 21);
  ASSERT_TRUE(eventually([&] {
    const json now = findings();
    for (const auto& f : now["findings"]) {
      if (f["kind"] == "n_plus_one" && f["attribution"] == "inferred") return true;
    }
    return false;
  })) << findings().dump(2);
  analysis.stop();
}

}  // namespace
}  // namespace pgtally::testing
