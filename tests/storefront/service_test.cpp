// The storefront sample service against a real PostgreSQL: every route's status, body shape and
// query count (the lazy pages' N+1 against their one-statement twins, with equal data), bad
// input answered with JSON errors, request ids echoed and sent as sqlcommenter tags (or not,
// with tags off), pool waits reported, and both executables run as processes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "orm/hooks.hpp"
#include "tests/proxy/proxy_fixture.hpp"
#include "tests/storefront/service_fixture.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/subprocess.hpp"

namespace pgtally::testing {
namespace {

using nlohmann::json;

// Sends raw bytes on a fresh connection; true when the service then closes it (within 10 s).
bool closes_after(const storefront::Address& address, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(address.port);
  ::inet_pton(AF_INET, address.host.c_str(), &to.sin_addr);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  bool closed = false;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 &&
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())) {
    char buffer[512];
    ssize_t n = 0;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) {
    }
    closed = n == 0 || (n < 0 && errno == ECONNRESET);
  }
  ::close(fd);
  return closed;
}

class StorefrontService : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { service_ = start_service(service_options(postgres().conninfo())); }
  static void TearDownTestSuite() { service_.reset(); }
  static storefront::Service& service() { return *service_; }
  static storefront::Address address() { return service_->bound(); }

  // The statements the service sends while fn runs.
  static std::vector<orm::QueryLog> statements_of(storefront::Service& s,
                                                  const std::function<void()>& fn) {
    std::mutex mutex;
    std::vector<orm::QueryLog> logs;
    auto subscription = s.database().on_query([&](const orm::QueryLog& log) {
      const std::lock_guard lock(mutex);
      logs.push_back(log);
    });
    fn();
    subscription.reset();
    return logs;
  }

 private:
  static inline std::unique_ptr<storefront::Service> service_;
};

struct RouteCase {
  std::string target;
  std::string route;
  std::size_t queries;
  std::string list;  // the array the page returns
  std::size_t size;  // its length
};

// Seeded storefront: 5 categories, 40 products (8 each), 50 reviews, 2 orders per user.
const RouteCase kRoutes[] = {
    {"/products", "/products", 21, "products", 20},
    {"/products-eager", "/products-eager", 1, "products", 20},
    {"/categories", "/categories", 1 + 5 + 40, "categories", 5},
    {"/categories-eager", "/categories-eager", 1, "categories", 5},
    {"/users/1/orders", "/users/{id}/orders", 1, "orders", 2},
    {"/search?q=product+1", "/search", 1, "products", 11},
    {"/report", "/report", 2, "best_sellers", 5},
    {"/healthz", "/healthz", 0, "", 0},
};

TEST_F(StorefrontService, EveryRouteAnswersItsDataAndTheQueriesItTook) {
  for (const auto& c : kRoutes) {
    SCOPED_TRACE(c.target);
    const Page page = get_page(address(), c.target);
    ASSERT_EQ(page.status, 200U) << page.body.dump();
    EXPECT_EQ(page.body["queries"], c.queries) << page.body.dump();
    EXPECT_EQ(page.body["route"], c.route);
    if (!c.list.empty()) {
      ASSERT_TRUE(page.body[c.list].is_array()) << page.body.dump();
      EXPECT_EQ(page.body[c.list].size(), c.size);
    }
  }
}

TEST_F(StorefrontService, LazyPagesAndTheirEagerTwinsReturnEqualData) {
  const json lazy = get_page(address(), "/products").body["products"];
  const json eager = get_page(address(), "/products-eager").body["products"];
  EXPECT_EQ(lazy, eager);
  ASSERT_EQ(lazy.size(), 20U);
  EXPECT_EQ(lazy[0]["category"]["id"], lazy[0]["category_id"]);
  EXPECT_TRUE(lazy[0]["category"]["name"].is_string());

  const json tree = get_page(address(), "/categories").body["categories"];
  EXPECT_EQ(tree, get_page(address(), "/categories-eager").body["categories"]);
  std::size_t products = 0;
  std::size_t reviews = 0;
  for (const auto& c : tree) {
    products += c["products"].size();
    for (const auto& p : c["products"])
      reviews += p["reviews"].size();
  }
  EXPECT_EQ(products, 40U);
  EXPECT_EQ(reviews, 50U);
}

TEST_F(StorefrontService, UserOrdersCarryItemsWithTheirProducts) {
  const Page page = get_page(address(), "/users/3/orders");
  ASSERT_EQ(page.status, 200U);
  EXPECT_EQ(page.body["user"]["id"], 3);
  for (const auto& order : page.body["orders"]) {
    EXPECT_EQ(order["user_id"], 3);
    ASSERT_EQ(order["items"].size(), 3U) << order.dump();
    std::int64_t total = 0;
    for (const auto& item : order["items"]) {
      EXPECT_EQ(item["product"]["id"], item["product_id"]);
      total += item["quantity"].get<std::int64_t>() * item["unit_price_cents"].get<std::int64_t>();
    }
    EXPECT_EQ(order["total_cents"], total);
  }
}

TEST_F(StorefrontService, SlowCheckoutCommitsAfterItsWait) {
  const Page page = get_page(address(), "/orders/2/slow-checkout");
  ASSERT_EQ(page.status, 200U) << page.body.dump();
  EXPECT_EQ(page.body["order"]["id"], 2);
  EXPECT_EQ(page.body["checked_out"], true);
  EXPECT_EQ(page.body["queries"], 1);
}

struct BadCase {
  std::string target;
  unsigned status;
  std::string code;
  std::string method = "GET";
};

TEST_F(StorefrontService, BadInputGetsAJsonErrorWithACode) {
  const BadCase cases[] = {
      {"/users/abc/orders", 404, "not_found"},
      {"/users/0/orders", 404, "not_found"},
      {"/users/-4/orders", 404, "not_found"},
      {"/users/99999999999999999999999/orders", 404, "not_found"},
      {"/users/999999/orders", 404, "not_found"},
      {"/orders/999999/slow-checkout", 404, "not_found"},
      {"/orders/1x/slow-checkout", 404, "not_found"},
      {"/nowhere", 404, "not_found"},
      {"/", 404, "not_found"},
      {"/search", 400, "bad_request"},
      {"/search?q=", 400, "bad_request"},
      {"/search?q=%zz", 400, "bad_request"},
      {"/search?q=%4", 400, "bad_request"},
      {"/products", 405, "method_not_allowed", "POST"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    const Page page = get_page(address(), c.target, std::nullopt, c.method);
    EXPECT_EQ(page.status, c.status) << page.body.dump();
    EXPECT_EQ(page.body["error"]["code"], c.code) << page.body.dump();
    EXPECT_TRUE(page.body["error"]["message"].is_string());
    EXPECT_FALSE(page.request_id.empty());
  }
  // A search for LIKE's wildcards matches them literally: no product has '%' in its name.
  const Page wild = get_page(address(), "/search?q=%25");
  ASSERT_EQ(wild.status, 200U);
  EXPECT_TRUE(wild.body["products"].empty());
  // An X-Request-Id that could not be a tag value is refused, with an id of our own.
  const Page long_id = get_page(address(), "/healthz", std::string(200, 'x'));
  EXPECT_EQ(long_id.status, 400U);
  EXPECT_NE(long_id.request_id, std::string(200, 'x'));
  EXPECT_EQ(get_page(address(), "/healthz", std::string("a b")).status, 400U);
  // Headers beyond 8 KB: 431, as JSON.
  const Page huge = get_page(address(), "/healthz", std::string(9000, 'a'));
  EXPECT_EQ(huge.status, 431U);
  EXPECT_EQ(huge.body["error"]["code"], "request_too_large");
  // Bytes that are not HTTP: the connection is closed, nothing else happens.
  EXPECT_TRUE(closes_after(address(), "NOT HTTP AT ALL\r\n\r\n"));
  EXPECT_TRUE(closes_after(address(), std::string(100, '\0')));
  // The service is still up.
  EXPECT_EQ(get_page(address(), "/healthz").status, 200U);
}

TEST_F(StorefrontService, RequestIdIsEchoedAndTagsEveryStatement) {
  Page page;
  const auto logs = statements_of(
      service(), [&] { page = get_page(address(), "/users/4/orders", std::string("t-tags-1")); });
  EXPECT_EQ(page.request_id, "t-tags-1");
  EXPECT_EQ(page.body["request_id"], "t-tags-1");
  ASSERT_EQ(logs.size(), 1U);
  EXPECT_NE(logs[0].sql.find("request_id='t-tags-1'"), std::string::npos) << logs[0].sql;
  EXPECT_NE(logs[0].sql.find("route='%2Fusers%2F%7Bid%7D%2Forders'"), std::string::npos)
      << logs[0].sql;
  EXPECT_NE(logs[0].sql.find("source='routes.cpp%3A"), std::string::npos) << logs[0].sql;

  const Page generated = get_page(address(), "/healthz");
  EXPECT_FALSE(generated.request_id.empty());
  EXPECT_NE(generated.request_id, get_page(address(), "/healthz").request_id);
}

TEST_F(StorefrontService, WithTagsOffStatementsCarryNoComment) {
  auto options = service_options(postgres().conninfo());
  options.tags = false;
  auto untagged = start_service(options);
  Page page;
  const auto logs = statements_of(*untagged, [&] {
    page = get_page(untagged->bound(), "/products", std::string("t-untagged"));
  });
  EXPECT_EQ(page.status, 200U);
  EXPECT_EQ(page.request_id, "t-untagged");  // still echoed to the client
  EXPECT_EQ(page.body["queries"], 21);
  ASSERT_EQ(logs.size(), 21U);
  for (const auto& log : logs) {
    EXPECT_EQ(log.sql.find("/*"), std::string::npos) << log.sql;
    EXPECT_TRUE(log.tags.empty());
  }
}

TEST_F(StorefrontService, APoolWaitIsReportedByTheNextStatement) {
  auto options = service_options(postgres().conninfo());
  options.pool_max = 1;
  options.idle_in_transaction = std::chrono::milliseconds(1500);
  options.migrate = false;
  auto single = start_service(options);
  std::vector<orm::QueryLog> logs;
  std::mutex mutex;
  auto subscription = single->database().on_query([&](const orm::QueryLog& log) {
    const std::lock_guard lock(mutex);
    logs.push_back(log);
  });
  Page checkout;
  std::thread holder(
      [&] { checkout = get_page(single->bound(), "/orders/1/slow-checkout", "t-holder"); });
  // The holder's read ran: its transaction now holds the pool's only connection.
  ASSERT_TRUE(eventually([&] {
    const std::lock_guard lock(mutex);
    return !logs.empty() && single->database().pool().stats().in_use == 1;
  }));
  const Page waiter = get_page(single->bound(), "/products-eager", std::string("t-waiter"));
  holder.join();
  subscription.reset();
  EXPECT_EQ(checkout.status, 200U);
  EXPECT_EQ(waiter.status, 200U);
  bool waited = false;
  for (const auto& log : logs) {
    if (log.sql.find("request_id='t-waiter'") == std::string::npos) continue;
    for (const auto& [key, value] : log.tags)
      waited = waited || key == "db_pool_wait_ms";
  }
  EXPECT_TRUE(waited) << "the waiting request's statement carries db_pool_wait_ms";
}

#ifdef PGTALLY_STOREFRONT_LOAD_EXE
TEST_F(StorefrontService, LoadDriverRunsAShortMixWithoutErrors) {
  const std::string mix =
      "products=3,products-eager=3,categories=1,categories-eager=1,users-orders=2,search=1,"
      "slow-checkout=1,report=1,healthz=1";
  const auto result = run_process(
      {PGTALLY_STOREFRONT_LOAD_EXE, "--target",
       fmt::format("{}:{}", address().host, address().port), "--mix", mix, "--concurrency", "8",
       "--duration", "2"},
      {.env = {}, .stdin_text = {}, .workdir = {}, .deadline = std::chrono::seconds(60)});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find(" errors=0 "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("requests="), std::string::npos);
  EXPECT_NE(result.output.find("p95="), std::string::npos) << "the progress line";
  for (const char* route : {"products ", "slow-checkout ", "report "})
    EXPECT_NE(result.output.find(route), std::string::npos) << route << "\n" << result.output;
}

TEST_F(StorefrontService, LoadDriverRefusesABadMixAndFailsWhenNothingAnswers) {
  const auto target = fmt::format("{}:{}", address().host, address().port);
  const auto bad = run_process(
      {PGTALLY_STOREFRONT_LOAD_EXE, "--target", target, "--mix", "products=0", "--requests", "1"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("products"), std::string::npos) << bad.output;
  const auto unknown = run_process(
      {PGTALLY_STOREFRONT_LOAD_EXE, "--target", target, "--mix", "checkout=1", "--requests", "1"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  const auto down = run_process({PGTALLY_STOREFRONT_LOAD_EXE, "--target",
                                 fmt::format("127.0.0.1:{}", free_tcp_port()), "--requests", "2"});
  EXPECT_EQ(down.exit_code, 1) << down.output;
  EXPECT_NE(down.output.find("cannot connect"), std::string::npos) << down.output;
}
#endif

#ifdef PGTALLY_STOREFRONT_EXE
TEST_F(StorefrontService, ExecutableServesUntilSigterm) {
  const std::uint16_t port = free_tcp_port();
  BackgroundProcess process({PGTALLY_STOREFRONT_EXE, "--listen", fmt::format("127.0.0.1:{}", port),
                             "--database", postgres().conninfo(), "--migrate", "--pool-max", "2"});
  const storefront::Address address{"127.0.0.1", port};
  ASSERT_TRUE(eventually([&] {
    storefront::HttpClient client(address);
    const auto reply = client.get("/healthz");
    return reply.reached && reply.status == 200;
  })) << process.output();
  EXPECT_EQ(get_page(address, "/products-eager").body["queries"], 1);
  process.signal(SIGTERM);
  EXPECT_EQ(process.wait(std::chrono::seconds(20)), 0) << process.output();

  const auto usage = run_process({PGTALLY_STOREFRONT_EXE, "--listen", "nowhere"});
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
  const auto refused =
      run_process({PGTALLY_STOREFRONT_EXE, "--listen", "127.0.0.1:0", "--database",
                   fmt::format("host=127.0.0.1 port={} user=nobody dbname=none connect_timeout=5",
                               free_tcp_port()),
                   "--migrate"});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
}
#endif

}  // namespace
}  // namespace pgtally::testing
