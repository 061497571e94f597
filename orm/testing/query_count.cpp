#include "orm/testing/query_count.hpp"

#include "analyzer/config.hpp"
#include "analyzer/engine.hpp"
#include "analyzer/finding.hpp"
#include "analyzer/value_hasher.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace pgtally::orm::testing {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

std::vector<RecordedQuery> counted(const std::vector<RecordedQuery>& all) {
  std::vector<RecordedQuery> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out),
               [](const RecordedQuery& q) { return !q.transaction_control; });
  return out;
}

// Collapses "(?, ?, ?)" to "(...)".
std::string collapse_lists(std::string text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '(' && i + 1 < text.size() && text[i + 1] == '?') {
      std::size_t j = i + 2;
      while (j + 2 < text.size() && text[j] == ',' && text[j + 1] == ' ' && text[j + 2] == '?') {
        j += 3;
      }
      if (j < text.size() && text[j] == ')') {
        out += "(...)";
        i = j + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace

std::string normalize_shape(std::string_view sql) {
  std::string out;
  std::size_t i = 0;
  bool space = false;
  const auto emit = [&](std::string_view piece) {
    if (space && !out.empty()) out += ' ';
    space = false;
    out += piece;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const auto end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
      space = true;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const auto end = sql.find('\n', i);
      i = end == std::string_view::npos ? sql.size() : end;
    } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = true;
      ++i;
    } else if (c == '\'') {
      std::size_t j = i + 1;
      while (j < sql.size()) {
        if (sql[j] == '\'' && j + 1 < sql.size() && sql[j + 1] == '\'') {
          j += 2;
        } else if (sql[j] == '\'') {
          break;
        } else {
          ++j;
        }
      }
      emit("?");
      i = j + 1;
    } else if ((c == '$' && i + 1 < sql.size() && is_digit(sql[i + 1])) ||
               (is_digit(c) && (i == 0 || !is_word(sql[i - 1])))) {
      std::size_t j = i + 1;
      while (j < sql.size() && (is_digit(sql[j]) || sql[j] == '.'))
        ++j;
      emit("?");
      i = j;
    } else {
      emit(std::string_view(&sql[i], 1));
      ++i;
    }
  }
  while (!out.empty() && (out.back() == ';' || out.back() == ' '))
    out.pop_back();
  return collapse_lists(out);
}

QueryRecorder::QueryRecorder(Database& db) : state_(std::make_shared<State>()) {
  std::weak_ptr<State> weak = state_;
  subscription_ = db.on_query([weak](const QueryLog& log) {
    const auto state = weak.lock();
    if (!state) return;
    RecordedQuery q{log.sql,  normalize_shape(log.statement), log.parameter_hashes, log.duration,
                    log.rows, log.transaction_control};
    const std::lock_guard lock(state->mutex);
    state->queries.push_back(std::move(q));
  });
}

std::vector<RecordedQuery> QueryRecorder::queries() const {
  const std::lock_guard lock(state_->mutex);
  return state_->queries;
}

std::size_t QueryRecorder::count() const {
  return counted(queries()).size();
}

std::vector<Finding> ProvisionalNPlusOneDetector::detect(
    const std::vector<RecordedQuery>& queries) const {
  struct Group {
    std::size_t count = 0;
    std::set<std::vector<std::uint64_t>> parameters;
  };
  std::map<std::string, Group> groups;
  for (const auto& q : counted(queries)) {
    if (!q.shape.starts_with("SELECT") && !q.shape.starts_with("select")) continue;
    auto& g = groups[q.shape];
    ++g.count;
    g.parameters.insert(q.parameter_hashes);
  }
  std::vector<Finding> findings;
  for (const auto& [shape, g] : groups) {
    if (g.count < threshold_ || g.parameters.size() < 2) continue;
    findings.push_back(Finding{
        "n_plus_one", shape, g.count, g.parameters.size(),
        fmt::format("N+1: the same SELECT ran {} times with {} different parameter values; load "
                    "them in one query (WHERE key IN (...) / = ANY($1)) instead of one per row",
                    g.count, g.parameters.size())});
  }
  return findings;
}

std::vector<Finding> AnalyzerNPlusOneDetector::detect(
    const std::vector<RecordedQuery>& queries) const {
  analyzer::AnalyzerConfig config;
  config.patterns.n_plus_one_threshold = threshold_;
  const analyzer::ValueHasher hasher;
  analyzer::Engine engine(config, hasher);
  // Consecutive statements on one connection, as one tagged request.
  auto at = analyzer::Clock::now();
  for (const auto& q : queries) {
    analyzer::QueryEvent event;
    event.connection = 1;
    event.source = analyzer::Source::orm;
    event.protocol = analyzer::Protocol::extended;
    event.text = q.sql;
    for (const auto hash : q.parameter_hashes) {
      analyzer::Parameter p;
      p.is_null = hash == 0;
      p.hash = hash;
      event.parameters.push_back(p);
    }
    event.tags = {{"request_id", "orm-testing-block"}};
    event.start = at;
    at += std::max(q.duration, std::chrono::microseconds(1));
    event.end = at;
    event.rows = q.rows;
    engine.process(event);
  }
  engine.flush(at + std::chrono::hours(1));
  std::vector<Finding> findings;
  for (const auto& group : engine.findings()) {
    const auto& f = group.latest;
    if (f.kind != analyzer::FindingKind::n_plus_one) continue;
    findings.push_back(Finding{
        "n_plus_one", f.normalized, f.count, 0,
        fmt::format("N+1: the same SELECT ran {} times, one key each; {} ({} round trips saved)",
                    f.count, f.fix, f.round_trips_saved)});
  }
  return findings;
}

std::string describe(const std::vector<RecordedQuery>& queries) {
  std::map<std::string, std::size_t> counts;
  for (const auto& q : queries)
    ++counts[q.shape];
  std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out =
      fmt::format("{} statement(s), {} distinct shape(s):\n", queries.size(), sorted.size());
  for (const auto& [shape, n] : sorted)
    out += fmt::format("  {:>4} x  {}\n", n, shape);
  return out;
}

namespace {

std::vector<RecordedQuery> run_recorded(Database& db, const std::function<void()>& block) {
  const QueryRecorder recorder(db);
  block();
  return counted(recorder.queries());
}

}  // namespace

::testing::AssertionResult issues_exactly(Database& db, std::size_t expected,
                                          const std::function<void()>& block) {
  const auto queries = run_recorded(db, block);
  if (queries.size() == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected exactly " << expected << " statement(s), the block issued " << queries.size()
         << "\n"
         << describe(queries);
}

::testing::AssertionResult issues_at_most(Database& db, std::size_t limit,
                                          const std::function<void()>& block) {
  const auto queries = run_recorded(db, block);
  if (queries.size() <= limit) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected at most " << limit << " statement(s), the block issued " << queries.size()
         << "\n"
         << describe(queries);
}

::testing::AssertionResult has_no_n_plus_one(Database& db, const std::function<void()>& block,
                                             const NPlusOneDetector& detector) {
  const auto queries = run_recorded(db, block);
  const auto findings = detector.detect(queries);
  if (findings.empty()) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  for (const auto& f : findings)
    failure << f.message << "\n  shape: " << f.shape << "\n";
  return failure << describe(queries);
}

}  // namespace pgtally::orm::testing
