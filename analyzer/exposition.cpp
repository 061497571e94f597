#include "analyzer/exposition.hpp"

#include <cmath>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

namespace pgtally::analyzer {
namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t n = 0;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0U) != 0x80U) return 0;
  }
  const auto b1 = static_cast<unsigned char>(s[1]);
  // Overlong forms, surrogates and code points past U+10FFFF.
  if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F) || (b0 == 0xF0 && b1 < 0x90) ||
      (b0 == 0xF4 && b1 > 0x8F)) {
    return 0;
  }
  return n;
}

}  // namespace

void append_escaped_label_value(std::string& out, std::string_view value) {
  while (!value.empty()) {
    const char c = value.front();
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      out += ' ';
    } else {
      const std::size_t n = utf8_sequence_length(value);
      if (n == 0) {
        out += '?';  // the format requires UTF-8; a client's stray byte must not break a scrape
        value.remove_prefix(1);
        continue;
      }
      out.append(value.substr(0, n));
      value.remove_prefix(n);
      continue;
    }
    value.remove_prefix(1);
  }
}

void append_sample_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
    fmt::format_to(std::back_inserter(out), "{}", static_cast<std::int64_t>(value));
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);
  }
}

void Exposition::advance_to(std::size_t index) {
  const auto families = metric_families();
  if (index < next_) {
    throw std::logic_error(
        fmt::format("metric {} written out of catalog order", families[index].name));
  }
  for (; next_ < index; ++next_)
    write_header(families[next_]);
}

void Exposition::begin(Metric id) {
  const auto index = static_cast<std::size_t>(id);
  advance_to(index);
  current_ = &metric_families()[index];
  write_header(*current_);
  next_ = index + 1;
}

void Exposition::write_header(const MetricFamily& f) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name,
                 to_string(f.type));
}

void Exposition::write_labels(std::span<const std::string_view> values, std::string_view le) {
  if (values.size() != current_->labels.size()) {
    throw std::logic_error(fmt::format("metric {} takes {} labels, got {}", current_->name,
                                       current_->labels.size(), values.size()));
  }
  if (values.empty() && le.empty()) return;
  out_ += '{';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out_ += ',';
    out_ += current_->labels[i];
    out_ += "=\"";
    append_escaped_label_value(out_, values[i]);
    out_ += '"';
  }
  if (!le.empty()) {
    if (!values.empty()) out_ += ',';
    out_ += "le=\"";
    out_ += le;
    out_ += '"';
  }
  out_ += '}';
}

void Exposition::sample(std::initializer_list<std::string_view> label_values, double value) {
  sample(std::span<const std::string_view>(label_values.begin(), label_values.size()), value);
}

void Exposition::sample(std::span<const std::string_view> label_values, double value) {
  if (current_ == nullptr || current_->type == MetricType::histogram) {
    throw std::logic_error("Exposition::sample outside a counter or gauge family");
  }
  out_ += current_->name;
  write_labels(label_values, {});
  out_ += ' ';
  append_sample_value(out_, value);
  out_ += '\n';
}

void Exposition::histogram(std::span<const std::string_view> label_values,
                           std::span<const std::uint64_t> bucket_counts, double sum) {
  if (current_ == nullptr || current_->type != MetricType::histogram ||
      bucket_counts.size() != current_->buckets.size() + 1) {
    throw std::logic_error("Exposition::histogram outside a histogram family or bucket mismatch");
  }
  std::uint64_t cumulative = 0;
  std::string le;
  for (std::size_t i = 0; i < bucket_counts.size(); ++i) {
    cumulative += bucket_counts[i];
    le.clear();
    if (i < current_->buckets.size()) {
      append_sample_value(le, current_->buckets[i]);
    } else {
      le = "+Inf";
    }
    fmt::format_to(std::back_inserter(out_), "{}_bucket", current_->name);
    write_labels(label_values, le);
    fmt::format_to(std::back_inserter(out_), " {}\n", cumulative);
  }
  fmt::format_to(std::back_inserter(out_), "{}_sum", current_->name);
  write_labels(label_values, {});
  out_ += ' ';
  append_sample_value(out_, sum);
  fmt::format_to(std::back_inserter(out_), "\n{}_count", current_->name);
  write_labels(label_values, {});
  fmt::format_to(std::back_inserter(out_), " {}\n", cumulative);
}

std::string Exposition::finish() {
  advance_to(metric_families().size());
  current_ = nullptr;
  return std::move(out_);
}

}  // namespace pgtally::analyzer
