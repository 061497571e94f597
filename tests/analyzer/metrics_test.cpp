// The metrics catalog, the exposition writer and the analyzer's metric state: what Prometheus
// parses depends on every byte here, and every family must appear from the first scrape.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "analyzer/analyzer.hpp"
#include "analyzer/exposition.hpp"
#include "analyzer/metrics_catalog.hpp"
#include "analyzer/metrics_recorder.hpp"

namespace pgtally::analyzer {
namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

TEST(MetricsCatalog, NamesFollowPrometheusConventions) {
  std::set<std::string_view> names;
  for (const MetricFamily& f : metric_families()) {
    SCOPED_TRACE(std::string(f.name));
    EXPECT_TRUE(names.insert(f.name).second) << "declared twice";
    EXPECT_TRUE(f.name.starts_with("pgtally_"));
    EXPECT_EQ(f.name.ends_with("_total"), f.type == MetricType::counter);
    EXPECT_EQ(!f.buckets.empty(), f.type == MetricType::histogram);
    EXPECT_FALSE(f.help.empty());
    EXPECT_FALSE(f.name.ends_with("_ms")) << "base units: seconds";
    for (std::size_t i = 1; i < f.buckets.size(); ++i)
      EXPECT_LT(f.buckets[i - 1], f.buckets[i]);
    EXPECT_EQ(&family(f.id), &f);
    EXPECT_EQ(find_family(f.name), &f);
  }
  EXPECT_EQ(find_family("pgtally_no_such_metric"), nullptr);
}

TEST(MetricsCatalog, ReferenceInTheDocsIsCurrent) {
  std::ifstream in(PGTALLY_METRICS_DOC);
  ASSERT_TRUE(in) << "cannot read " << PGTALLY_METRICS_DOC;
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_EQ(doc.str(), metrics_reference_markdown())
      << "analyzer/METRICS.md is stale: run `pgtally metrics-reference > analyzer/METRICS.md`";
}

TEST(Exposition, EveryFamilyHasHelpAndTypeEvenWithoutSamples) {
  Exposition out;
  const std::string text = out.finish();
  for (const MetricFamily& f : metric_families()) {
    EXPECT_EQ(count_of(text, "# TYPE " + std::string(f.name) + " "), 1U) << f.name;
    EXPECT_EQ(count_of(text, "# HELP " + std::string(f.name) + " "), 1U) << f.name;
  }
}

TEST(Exposition, EscapesLabelValuesAndKeepsOutputUtf8) {
  std::string out;
  append_escaped_label_value(out,
                             "a\\b\"c\nd\te\xff"
                             "f\xc3\xa9");
  EXPECT_EQ(out, "a\\\\b\\\"c\\nd e?f\xc3\xa9");
}

TEST(Exposition, WritesIntegersWithoutExponentsAndSpecialValuesAsPrometheusDoes) {
  std::string out;
  for (const double v : {0.0, 12345678901.0, 0.25, std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity()}) {
    append_sample_value(out, v);
    out += ' ';
  }
  append_sample_value(out, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(out, "0 12345678901 0.25 +Inf -Inf NaN");
}

TEST(Exposition, HistogramBucketsAreCumulativeWithSumAndCount) {
  Exposition out;
  out.begin(Metric::request_queries);
  std::vector<std::uint64_t> counts(kQueryCountBuckets.size() + 1, 0);
  counts[0] = 2;                  // le=1
  counts[4] = 1;                  // le=10
  counts[counts.size() - 1] = 1;  // +Inf
  const std::array<std::string_view, 1> route{"/products"};
  out.histogram(route, counts, 2 + 7 + 5000);
  const std::string text = out.finish();
  EXPECT_NE(text.find("pgtally_request_queries_bucket{route=\"/products\",le=\"1\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("pgtally_request_queries_bucket{route=\"/products\",le=\"10\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("pgtally_request_queries_bucket{route=\"/products\",le=\"+Inf\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("pgtally_request_queries_sum{route=\"/products\"} 5009\n"),
            std::string::npos);
  EXPECT_NE(text.find("pgtally_request_queries_count{route=\"/products\"} 4\n"), std::string::npos);
}

TEST(Exposition, RefusesFamiliesOutOfOrderAndWrongLabelCounts) {
  Exposition out;
  out.begin(Metric::queries);
  EXPECT_THROW(out.sample({}, 1), std::logic_error);  // queries takes a statement label
  EXPECT_THROW(out.begin(Metric::build_info), std::logic_error);
}

TEST(BoundedLabels, KeepsTheFirstKValuesUntilRestartAndFoldsTheRestIntoOther) {
  BoundedLabels labels(2);
  EXPECT_EQ(labels.map("/a"), "/a");
  EXPECT_EQ(labels.map("/b"), "/b");
  EXPECT_EQ(labels.map("/c"), kOtherLabel);
  EXPECT_EQ(labels.map("/a"), "/a");
}

TEST(MetricsRecorder, RoutesOverTheBoundAddUpUnderOther) {
  MetricsLimits limits;
  limits.routes = 1;
  MetricsRecorder recorder(limits);
  RequestSummary r;
  r.queries = 3;
  r.route = "/kept";
  recorder.on_request_finished(r);
  r.route = "/folded";
  recorder.on_request_finished(r);
  r.route = "/also-folded";
  recorder.on_request_finished(r);
  Exposition out;
  out.begin(Metric::analyzer_events);  // the families before `queries` are the Analyzer's
  FingerprintStats stats;
  recorder.write(out, stats, 100);
  const std::string text = out.finish();
  EXPECT_NE(text.find("pgtally_requests_total{route=\"/kept\",attribution=\"tagged\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("pgtally_requests_total{route=\"other\",attribution=\"tagged\"} 2\n"),
            std::string::npos);
  EXPECT_EQ(text.find("/folded"), std::string::npos);
  EXPECT_NE(text.find("pgtally_server_max_connections 100\n"), std::string::npos);
}

TEST(MetricsRecorder, CountsTimeAtSaturationOnlyWhileEveryConnectionIsBusy) {
  MetricsRecorder recorder;
  const TimePoint t0{};
  const auto group = [](std::uint32_t open, std::uint32_t busy) {
    return std::vector<GroupLoad>{{"app@db/x@1.2.3.4", open, busy, 0}};
  };
  recorder.sample_pool(group(4, 4), t0, 2);
  recorder.sample_pool(group(4, 4), t0 + std::chrono::seconds(2), 2);  // saturated 2 s
  recorder.sample_pool(group(4, 3), t0 + std::chrono::seconds(3), 2);  // not saturated
  recorder.sample_pool(group(1, 1), t0 + std::chrono::seconds(4), 2);  // a lone connection
  Exposition out;
  out.begin(Metric::analyzer_events);
  FingerprintStats stats;
  recorder.write(out, stats, 0);
  const std::string text = out.finish();
  EXPECT_NE(text.find("pgtally_pool_saturated_seconds_total{group=\"app@db/x@1.2.3.4\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("pgtally_pool_connections{group=\"app@db/x@1.2.3.4\"} 1\n"),
            std::string::npos);
  const auto pool = recorder.pool_json(ClockAnchor{t0, std::chrono::system_clock::time_point{}});
  EXPECT_EQ(pool["history"].size(), 4U);  // one sample a second
}

TEST(MetricsRecorder, FingerprintsBeyondTheBoundAddUpUnderOther) {
  MetricsLimits limits;
  limits.fingerprints = 1;
  MetricsRecorder recorder(limits);
  FingerprintStats stats;
  FingerprintInfo a;
  a.fingerprint = 0xA;
  a.normalized = "SELECT $1";
  a.kind = StatementKind::select;
  FingerprintInfo b = a;
  b.fingerprint = 0xB;
  b.normalized = "SELECT $1, $2";
  stats.record(a, std::chrono::milliseconds(10), 1, nullptr);
  stats.record(b, std::chrono::milliseconds(20), 2, nullptr);
  stats.record(b, std::chrono::milliseconds(20), 2, nullptr);
  Exposition out;
  out.begin(Metric::analyzer_events);
  recorder.write(out, stats, 0);
  const std::string text = out.finish();
  // b has the larger total time, so it is seen first and keeps its own series.
  EXPECT_NE(text.find("pgtally_fingerprint_calls_total{fingerprint=\"000000000000000b\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("pgtally_fingerprint_calls_total{fingerprint=\"other\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(count_of(text, "pgtally_fingerprint_info{"), 1U);
}

}  // namespace
}  // namespace pgtally::analyzer
