#include "tests/support/postgres_environment.hpp"

#include <memory>

#include <gtest/gtest.h>

namespace pgtally::testing {
namespace {

class PostgresEnvironment final : public ::testing::Environment {
 public:
  void TearDown() override { server.reset(); }
  std::unique_ptr<TempPostgres> server;
};

PostgresEnvironment& environment() {
  // gtest owns registered environments and deletes them at exit.
  static auto* env = dynamic_cast<PostgresEnvironment*>(
      ::testing::AddGlobalTestEnvironment(new PostgresEnvironment));
  return *env;
}

}  // namespace

TempPostgres& postgres() {
  auto& env = environment();
  if (!env.server) env.server = std::make_unique<TempPostgres>();
  return *env.server;
}

}  // namespace pgtally::testing
