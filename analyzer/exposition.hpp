// Prometheus text exposition format 0.0.4, written from the metrics catalog: one HELP and TYPE
// per family, then its samples. Families must be written in catalog order, each at most once;
// label values are escaped here, so callers pass raw text. No I/O: the HTTP server sends str().
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "analyzer/metrics_catalog.hpp"

namespace pgtally::analyzer {

class Exposition {
 public:
  // Starts a family. Families not begun by finish() get their HELP and TYPE lines (no
  // samples), so every family in the catalog appears in every scrape.
  void begin(Metric id);
  // One sample of a counter or gauge of the current family; label values in catalog order.
  void sample(std::initializer_list<std::string_view> label_values, double value);
  void sample(std::span<const std::string_view> label_values, double value);
  // One histogram series: per-bucket counts (not cumulative; one more than the family's
  // buckets, the last being +Inf), the sum and the count are written as Prometheus expects.
  void histogram(std::span<const std::string_view> label_values,
                 std::span<const std::uint64_t> bucket_counts, double sum);
  // Writes the families not begun yet and returns the text.
  [[nodiscard]] std::string finish();

 private:
  void write_header(const MetricFamily& f);
  void write_labels(std::span<const std::string_view> values, std::string_view le = {});
  void advance_to(std::size_t index);

  std::string out_;
  const MetricFamily* current_ = nullptr;
  std::size_t next_ = 0;  // catalog index of the next family to write
};

// A label value as the exposition format quotes it (backslash, double quote, newline escaped).
void append_escaped_label_value(std::string& out, std::string_view value);
// A sample value: integers without an exponent, +Inf / -Inf / NaN spelled as Prometheus does.
void append_sample_value(std::string& out, double value);

}  // namespace pgtally::analyzer
