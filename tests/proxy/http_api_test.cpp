// The HTTP API's routing and its rules, without sockets: which paths are open, when the bearer
// token is needed, what unknown paths, methods and requests get.
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "analyzer/analyzer.hpp"
#include "proxy/config.hpp"
#include "proxy/expect.hpp"
#include "proxy/http_api.hpp"

namespace pgtally {
namespace {

HttpApiSources sources(analyzer::Analyzer* a) {
  HttpApiSources s;
  s.metrics = [] { return std::string("pgtally_build_info{version=\"x\"} 1\n"); };
  s.ready = [] { return true; };
  s.analyzer = a;
  return s;
}

HttpResponse get(const HttpApi& api, std::string_view target, std::string_view auth = {}) {
  return api.handle({"GET", target, auth});
}

TEST(HttpApi, MetricsAndProbesAreOpenEvenWithAToken) {
  analyzer::Analyzer a;
  const HttpApi api(sources(&a), "s3cret");
  EXPECT_EQ(get(api, "/metrics").status, 200U);
  EXPECT_EQ(get(api, "/metrics").content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(get(api, "/healthz").status, 200U);
  EXPECT_EQ(get(api, "/readyz").status, 200U);
}

TEST(HttpApi, PageAndApiNeedTheBearerTokenWhenOneIsSet) {
  analyzer::Analyzer a;
  const HttpApi api(sources(&a), "s3cret");
  for (const char* target : {"/", "/api/findings", "/api/requests/x"}) {
    SCOPED_TRACE(target);
    const auto denied = get(api, target);
    EXPECT_EQ(denied.status, 401U);
    EXPECT_EQ(get(api, target, "Bearer wrong").status, 401U);
    EXPECT_EQ(get(api, target, "Bearer s3cre").status, 401U);
    EXPECT_NE(get(api, target, "Bearer s3cret").status, 401U);
  }
  EXPECT_EQ(get(api, "/?token=s3cret").status, 200U);
  EXPECT_EQ(get(api, "/api/findings?token=wrong").status, 401U);
}

TEST(HttpApi, WithoutATokenEverythingIsOpen) {
  analyzer::Analyzer a;
  const HttpApi api(sources(&a), "");
  EXPECT_EQ(get(api, "/").status, 200U);
  EXPECT_EQ(get(api, "/").content_type, "text/html; charset=utf-8");
  EXPECT_EQ(get(api, "/api/findings").status, 200U);
  const auto body = nlohmann::json::parse(get(api, "/api/findings").body);
  EXPECT_TRUE(body["findings"].empty());
}

TEST(HttpApi, UnknownThingsGetClearErrors) {
  analyzer::Analyzer a;
  const HttpApi api(sources(&a), "");
  const auto unknown = get(api, "/api/requests/never%20seen");
  EXPECT_EQ(unknown.status, 404U);
  EXPECT_EQ(nlohmann::json::parse(unknown.body)["error"]["code"], "unknown_request");
  EXPECT_EQ(get(api, "/nope").status, 404U);
  EXPECT_EQ(get(api, "/api/nope").status, 404U);
  EXPECT_EQ(get(api, "/api/requests?limit=0").status, 400U);
  EXPECT_EQ(get(api, "/api/requests?limit=abc").status, 400U);
  const auto post = api.handle({"POST", "/api/findings", {}});
  EXPECT_EQ(post.status, 405U);
}

TEST(HttpApi, ApiSaysSoWhenAnalysisIsOff) {
  const HttpApi api(sources(nullptr), "");
  const auto r = get(api, "/api/requests");
  EXPECT_EQ(r.status, 503U);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "analysis_off");
  EXPECT_EQ(get(api, "/metrics").status, 200U);
}

TEST(HttpApi, RequestIdsAndQueryParametersArePercentDecoded) {
  EXPECT_EQ(percent_decode("a%2Fb%20c+d"), "a/b c+d");
  EXPECT_EQ(percent_decode("bad%zz%4"), "bad%zz%4");
  EXPECT_EQ(query_parameter("limit=5&route=%2Fproducts+x", "route"), "/products x");
  EXPECT_EQ(query_parameter("limit=5", "route"), "");
}

TEST(Expect, IncompleteDataNeverPasses) {
  const auto request = nlohmann::json::parse(
      R"({"id":"r","queries":2,"finished":true,"complete":false,"events_lost":true,
          "by_fingerprint":[],"findings":[]})");
  RunExpect options;
  options.max_queries = 5;
  std::ostringstream out;
  EXPECT_EQ(judge_request(request, options, out), ExpectExit::incomplete);
  EXPECT_NE(out.str().find("INCOMPLETE"), std::string::npos) << out.str();
  auto complete = request;
  complete["complete"] = true;
  std::ostringstream again;
  EXPECT_EQ(judge_request(complete, options, again), ExpectExit::passed) << again.str();
}

TEST(HttpToken, OffLoopbackWithoutATokenIsAConfigError) {
  Config config;
  config.http = "0.0.0.0:9932";
  ::unsetenv("PGTALLY_HTTP_TOKEN");
  const auto missing = load_http_token(config);
  ASSERT_TRUE(std::holds_alternative<ConfigError>(missing));
  EXPECT_NE(std::get<ConfigError>(missing).message.find("PGTALLY_HTTP_TOKEN"), std::string::npos);
  ::setenv("PGTALLY_HTTP_TOKEN", "from-env", 1);
  const auto from_env = load_http_token(config);
  ASSERT_TRUE(std::holds_alternative<std::string>(from_env));
  EXPECT_EQ(std::get<std::string>(from_env), "from-env");
  ::unsetenv("PGTALLY_HTTP_TOKEN");
  config.http = "127.0.0.1:9932";
  EXPECT_TRUE(std::holds_alternative<std::string>(load_http_token(config)));
  config.http = "[::1]:9932";
  EXPECT_TRUE(std::holds_alternative<std::string>(load_http_token(config)));
  EXPECT_TRUE(is_loopback_address("127.1.2.3:1"));
  EXPECT_FALSE(is_loopback_address("10.0.0.1:1"));
}

}  // namespace
}  // namespace pgtally
