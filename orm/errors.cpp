#include "orm/errors.hpp"

#include <fmt/format.h>

namespace pgtally::orm {
namespace {

std::string list_failures(const std::string& model,
                          const std::vector<ValidationError::Failure>& failures) {
  std::string text = fmt::format("validation failed for {} ({} problem{}):", model, failures.size(),
                                 failures.size() == 1 ? "" : "s");
  for (const auto& f : failures) {
    text += fmt::format("\n  - {}: {} [{}]", f.field, f.message, f.validator);
  }
  return text;
}

}  // namespace

PoolTimeoutError::PoolTimeoutError(State state)
    : Error("PGT02",
            fmt::format("connection pool exhausted: no connection within {} ms ({} in use, {} "
                        "idle, {} other callers waiting, max {}). Release connections sooner (a "
                        "transaction or lease held across slow work, or a query issued while the "
                        "same task already holds a connection), or raise pool.max",
                        state.timeout.count(), state.in_use, state.idle, state.waiting, state.max)),
      state_(state) {}

ValidationError::ValidationError(std::string model, std::vector<Failure> failures)
    : Error("PGT01", list_failures(model, failures)),
      model_(std::move(model)),
      failures_(std::move(failures)) {}

}  // namespace pgtally::orm
