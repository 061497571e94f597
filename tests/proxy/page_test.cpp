// The page pgtally serves at /, in a real browser: tagged N+1 traffic and its eager twin go
// through pgtally, then Debian's headless Chromium loads the page from the HTTP listener. The
// DOM it renders must show the finding with its fix, both routes, and the lazy request's 21
// executions; the screenshot it takes is kept as the artifact. Untagged traffic is shown per
// unit, and the page says what a unit is. Also: the page loads nothing from anywhere else.
#include <libpq-fe.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "proxy/analysis.hpp"
#include "proxy/http_service.hpp"
#include "proxy/web_page.hpp"
#include "tests/proxy/proxy_fixture.hpp"
#include "tests/support/subprocess.hpp"

namespace pgtally::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kChromium = "/usr/bin/chromium";
constexpr std::size_t kPageBudgetBytes = 30 * std::size_t{1024};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tagged(std::string_view sql, std::string_view request, std::string_view route) {
  return fmt::format("{} /*request_id='{}',route='{}'*/", sql, request, route);
}

void exec_params(PGconn* conn, const std::string& sql, const std::string& value) {
  const char* values[] = {value.c_str()};
  Result r(PQexecParams(conn, sql.c_str(), 1, nullptr, values, nullptr, nullptr, 0), &PQclear);
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn);
}

// The list of 20 products, then their categories: one lookup per row (page-lazy, /products)
// or one lookup for all of them (page-eager, /products-eager).
void product_pages(PGconn* conn) {
  const std::string list = "SELECT id, category_id FROM page_products ORDER BY id LIMIT 20";
  const auto products = rows(conn, tagged(list, "page-lazy", "%2Fproducts"));
  ASSERT_EQ(products.size(), 20U);
  const std::string lookup =
      tagged("SELECT id, name FROM page_categories WHERE id = $1", "page-lazy", "%2Fproducts");
  std::string keys = "{";
  for (const std::string& row : products) {
    const std::string key = row.substr(row.find('\t') + 1);
    exec_params(conn, lookup, key);
    keys += (keys.size() > 1 ? "," : "") + key;
  }
  keys += "}";
  rows(conn, tagged(list, "page-eager", "%2Fproducts-eager"));
  exec_params(conn,
              tagged("SELECT id, name FROM page_categories WHERE id = ANY($1::bigint[])",
                     "page-eager", "%2Fproducts-eager"),
              keys);
}

void create_catalog() {
  auto conn = connect_ok(postgres().conninfo(kTrustUser));
  rows(conn.get(),
       "DROP TABLE IF EXISTS page_products, page_categories;"
       "CREATE TABLE page_categories (id bigint PRIMARY KEY, name text NOT NULL);"
       "CREATE TABLE page_products (id bigint PRIMARY KEY, name text NOT NULL,"
       " category_id bigint REFERENCES page_categories(id));"
       "INSERT INTO page_categories SELECT g, 'category ' || g FROM generate_series(1, 10) g;"
       "INSERT INTO page_products SELECT g, 'product ' || g, 1 + g % 10"
       " FROM generate_series(1, 50) g");
}

// pgtally with analysis and its HTTP listener on a free loopback port.
class PgtallyWithPage {
 public:
  PgtallyWithPage() {
    config_ = proxy_config();
    config_.http = "127.0.0.1:0";
    analysis_ = std::make_unique<Analysis>(config_);
    proxy_ = std::make_unique<RunningProxy>(config_, analysis_->observers());
    http_ = start_http(config_, proxy_->proxy(), &analysis_->analyzer());
  }
  ~PgtallyWithPage() {
    http_->stop();
    proxy_.reset();
    analysis_->stop();
  }
  PgtallyWithPage(const PgtallyWithPage&) = delete;
  PgtallyWithPage& operator=(const PgtallyWithPage&) = delete;
  PgtallyWithPage(PgtallyWithPage&&) = delete;
  PgtallyWithPage& operator=(PgtallyWithPage&&) = delete;

  [[nodiscard]] std::string url(std::string_view path_and_query) const {
    return fmt::format("http://127.0.0.1:{}{}", http_->endpoint().port(), path_and_query);
  }
  [[nodiscard]] std::string conninfo() const { return proxy_->conninfo(); }
  analyzer::Analyzer& analyzer() { return analysis_->analyzer(); }
  bool finished(const std::string& id) {
    return eventually([&] {
      const auto r = analysis_->analyzer().request(id);
      return r && r->finished;
    });
  }

 private:
  Config config_;
  std::unique_ptr<Analysis> analysis_;
  std::unique_ptr<RunningProxy> proxy_;
  std::unique_ptr<HttpServer> http_;
};

// Headless Chromium with a fresh profile; its stdout is the result, its stderr (D-Bus noise in
// a container) goes to a file shown only when it fails.
struct Browser {
  fs::path dir;

  ProcessResult run(std::vector<std::string> args) const {
    const fs::path errors = dir / "chromium-stderr.txt";
    std::vector<std::string> argv = {"sh",
                                     "-c",
                                     R"(exec "$@" 2>"$0")",
                                     errors.string(),
                                     std::string(kChromium),
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--hide-scrollbars",
                                     "--user-data-dir=" + (dir / "profile").string(),
                                     "--virtual-time-budget=10000"};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult r = run_process(
        argv, {.env = {}, .stdin_text = {}, .workdir = {}, .deadline = std::chrono::seconds(90)});
    if (r.exit_code != 0) r.output += "\nchromium's stderr:\n" + read_file(errors);
    return r;
  }
};

// The opening tag and content of every <tag class="cls" ...>...</tag> (not nested in itself).
struct Element {
  std::string open_tag;
  std::string content;
};
std::vector<Element> elements(const std::string& dom, const std::string& tag,
                              const std::string& cls) {
  std::vector<Element> out;
  const std::string open = fmt::format("<{} class=\"{}\"", tag, cls);
  const std::string close = fmt::format("</{}>", tag);
  for (std::size_t at = dom.find(open); at != std::string::npos; at = dom.find(open, at + 1)) {
    const std::size_t tag_end = dom.find('>', at);
    const std::size_t end = dom.find(close, tag_end);
    if (tag_end == std::string::npos || end == std::string::npos) break;
    out.push_back({dom.substr(at, tag_end + 1 - at), dom.substr(tag_end + 1, end - tag_end - 1)});
  }
  return out;
}

// How many elements carry every class in `tokens` (among others).
std::size_t count_with_classes(const std::string& dom, const std::set<std::string>& tokens) {
  static const std::regex kClass(R"re(class="([^"]*)")re");
  std::size_t n = 0;
  for (std::sregex_iterator it(dom.begin(), dom.end(), kClass), end; it != end; ++it) {
    std::istringstream classes((*it)[1].str());
    std::size_t found = 0;
    for (std::string c; classes >> c;)
      found += tokens.contains(c) ? 1U : 0U;
    n += found == tokens.size() ? 1U : 0U;
  }
  return n;
}

std::set<std::string> attribute_values(const std::string& dom, const std::string& prefix,
                                       const std::string& attribute) {
  const std::regex pattern(prefix + "[^>]*" + attribute + R"re(="([^"]*)")re");
  std::set<std::string> out;
  for (std::sregex_iterator it(dom.begin(), dom.end(), pattern), end; it != end; ++it)
    out.insert((*it)[1].str());
  return out;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(Page, ChromiumRendersTheFindingTheRoutesAndTheLazyRequestsTimeline) {
  ASSERT_TRUE(fs::exists(kChromium))
      << kChromium << " is missing: run deploy/install-deps.sh (it installs chromium)";
  create_catalog();
  PgtallyWithPage pgtally;
  // Stays open while the browser looks, so the pool chart has a connection to draw.
  auto conn = connect_ok(pgtally.conninfo());
  product_pages(conn.get());
  ASSERT_TRUE(pgtally.finished("page-lazy"));
  ASSERT_TRUE(pgtally.finished("page-eager"));

  const Browser browser{fs::temp_directory_path() / fmt::format("pgtally-page-{}", ::getpid())};
  fs::create_directories(browser.dir);
  const std::string page = pgtally.url("/?request=page-lazy");
  const auto dump = browser.run({"--dump-dom", page});
  ASSERT_EQ(dump.exit_code, 0) << dump.output;
  const std::string& dom = dump.output;
  ASSERT_TRUE(contains(dom, R"(<body data-ready="1">)"))
      << "the page never finished its first render:\n"
      << dom;
  EXPECT_FALSE(contains(dom, R"(role="alert")")) << "the page shows an error:\n" << dom;

  bool lazy_with_fix = false;
  for (const Element& f : elements(dom, "article", "finding")) {
    if (contains(f.open_tag, R"(data-route="/products")") &&
        contains(f.open_tag, R"(data-kind="n_plus_one")")) {
      lazy_with_fix = contains(f.content, "page_categories WHERE id = $1") &&
                      contains(f.content, "page_products ORDER BY id LIMIT $1") &&
                      contains(f.content, "ANY");
    }
    EXPECT_FALSE(contains(f.open_tag, R"(data-route="/products-eager")")) << f.content;
  }
  EXPECT_TRUE(lazy_with_fix) << "no .finding for /products with its query, parent and fix:\n"
                             << dom;

  const auto routes = attribute_values(dom, R"(<tr class="route-row")", "data-route");
  EXPECT_TRUE(routes.contains("/products")) << dom;
  EXPECT_TRUE(routes.contains("/products-eager")) << dom;

  EXPECT_TRUE(contains(dom, R"(<span class="id">page-lazy</span>)")) << dom;
  EXPECT_EQ(count_with_classes(dom, {"timeline-row"}), 21U) << dom;
  EXPECT_EQ(count_with_classes(dom, {"timeline-row", "hot"}), 20U)
      << "the 20 lookups are the finding's executions";
  EXPECT_EQ(count_with_classes(dom, {"timeline-row", "parent"}), 1U)
      << "the list query they follow";
  EXPECT_TRUE(contains(dom, R"(id="pool-chart")")) << dom;

  const fs::path screenshot = PGTALLY_PAGE_SCREENSHOT;
  fs::remove(screenshot);
  const auto shot =
      browser.run({"--screenshot=" + screenshot.string(), "--window-size=1280,1600", page});
  ASSERT_EQ(shot.exit_code, 0) << shot.output;
  ASSERT_TRUE(fs::exists(screenshot)) << shot.output;
  const std::string png = read_file(screenshot);
  EXPECT_TRUE(png.starts_with("\x89PNG\r\n\x1a\n")) << "not a PNG: " << screenshot;
  EXPECT_GT(png.size(), 10'000U) << "a blank page?";
  std::cout << "page screenshot: " << screenshot.string() << "\n";

  std::error_code ec;
  fs::remove_all(browser.dir, ec);
}

// Untagged traffic: the page counts it per unit and says what a unit is, in the route table,
// the recent requests and the timeline.
TEST(Page, UntaggedTrafficIsShownAsUnitsAndSaysWhatAUnitIs) {
  ASSERT_TRUE(fs::exists(kChromium))
      << kChromium << " is missing: run deploy/install-deps.sh (it installs chromium)";
  create_catalog();
  PgtallyWithPage pgtally;
  auto conn = connect_ok(pgtally.conninfo());
  // A lazy loop with no tag (the products, then each one's category), then a transaction.
  const auto products =
      rows(conn.get(), "SELECT id, category_id FROM page_products ORDER BY id LIMIT 20");
  ASSERT_EQ(products.size(), 20U);
  for (const std::string& row : products) {
    exec_params(conn.get(), "SELECT id, name FROM page_categories WHERE id = $1",
                row.substr(row.find('\t') + 1));
  }
  rows(conn.get(), "BEGIN; SELECT count(*) FROM page_products; SELECT 1; COMMIT");
  auto& analyzer = pgtally.analyzer();
  ASSERT_TRUE(eventually([&] { return analyzer.counters().live_requests == 0; }));
  std::string causal;
  for (const auto& r : analyzer.requests(100)) {
    if (r.basis == analyzer::UnitBasis::causal) causal = r.id;
  }
  ASSERT_FALSE(causal.empty()) << "the loop formed no causal unit";

  const Browser browser{fs::temp_directory_path() / fmt::format("pgtally-units-{}", ::getpid())};
  fs::create_directories(browser.dir);
  const auto dump = browser.run({"--dump-dom", pgtally.url("/?request=" + causal)});
  ASSERT_EQ(dump.exit_code, 0) << dump.output;
  const std::string& dom = dump.output;
  ASSERT_TRUE(contains(dom, R"(<body data-ready="1">)")) << dom;

  const auto units_row = attribute_values(dom, R"(<tr class="route-row")", "data-units");
  EXPECT_TRUE(units_row.contains("1")) << "no route row for untagged units:\n" << dom;
  EXPECT_TRUE(contains(dom, "untagged units")) << dom;
  static const std::regex kNote(R"re(<p class="note muted" id="units-note">([^<]*)</p>)re");
  std::smatch note;
  ASSERT_TRUE(std::regex_search(dom, note, kNote)) << "the units note is missing or hidden:\n"
                                                   << dom;
  EXPECT_TRUE(contains(note[1].str(), "counted per unit, not per HTTP request")) << note[1];
  EXPECT_TRUE(contains(note[1].str(), "1 causal")) << note[1];
  EXPECT_TRUE(contains(note[1].str(), "1 transaction")) << note[1];
  EXPECT_TRUE(contains(dom, "unit: transaction")) << dom;
  EXPECT_TRUE(contains(dom, fmt::format(R"(<span class="id">{}</span>)", causal))) << dom;
  EXPECT_TRUE(contains(dom, "(unit: causal, 20 linked by value")) << dom;
  EXPECT_EQ(count_with_classes(dom, {"timeline-row", "hot"}), 20U) << dom;

  std::error_code ec;
  fs::remove_all(browser.dir, ec);
}

TEST(Page, LoadsNothingFromAnywhereElse) {
  const std::string html(web_page_html());
  EXPECT_LT(html.size(), kPageBudgetBytes);
  // No src, href, url() or import that leaves the origin, absolute or scheme-relative.
  static const std::regex kRemote(
      R"re((src|href|action)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?\s*(https?:)?//|@import|fetch\(\s*["'`](https?:)?//)re",
      std::regex::icase);
  std::smatch m;
  EXPECT_FALSE(std::regex_search(html, m, kRemote)) << "remote reference: " << m.str();
  // The only absolute URL is the SVG namespace name, which is never fetched.
  static const std::regex kUrl(R"re(https?://[^\s"'`<>)]*)re", std::regex::icase);
  for (std::sregex_iterator it(html.begin(), html.end(), kUrl), end; it != end; ++it)
    EXPECT_EQ(it->str(), "http://www.w3.org/2000/svg");
  EXPECT_FALSE(contains(html, "innerHTML")) << "server text goes in as text nodes only";
}

}  // namespace
}  // namespace pgtally::testing
