// The migrations' integration fixture: a fresh database per test on the binary's throwaway
// PostgreSQL, a Database on it, and helpers to read its schema (pg_dump --schema-only) and to
// query it through psql.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "orm/database.hpp"
#include "orm/migrate/meta_table.hpp"
#include "tests/support/postgres_environment.hpp"
#include "tests/support/subprocess.hpp"

namespace pgtally::orm::migrate::test {

// Polls until done() holds; throws when it does not within the deadline (not a timed assert).
inline void wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) throw std::runtime_error("condition not reached");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll interval
  }
}

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> next{0};
    database = fmt::format("migrate_{}", next++);
    create_database(database);
    db = std::make_unique<Database>(config());
  }
  void TearDown() override {
    db.reset();
    drop_database(database);
  }

  static void create_database(const std::string& name) {
    pgtally::testing::postgres().psql(fmt::format("CREATE DATABASE {}", name), "postgres");
  }
  static void drop_database(const std::string& name) {
    pgtally::testing::postgres().psql(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", name),
                                      "postgres");
  }

  // A conninfo without a password (the trust role needs none on loopback).
  [[nodiscard]] std::string url(const std::string& name = {}) const {
    const auto& pg = pgtally::testing::postgres();
    return fmt::format("host={} port={} user={} dbname={}", pg.host(), pg.port(),
                       pgtally::testing::kTrustUser, name.empty() ? database : name);
  }

  [[nodiscard]] Config config() const {
    Config c = Config::from_url(url());
    c.production = false;
    return c;
  }

  // Runs SQL as the superuser; returns psql's unaligned output.
  std::string psql(const std::string& sql, const std::string& name = {}) const {
    return pgtally::testing::postgres().psql(sql, name.empty() ? database : name);
  }

  // The schema as pg_dump writes it, the meta table left out.
  [[nodiscard]] std::string dump(const std::string& name = {}) const {
    const auto& pg = pgtally::testing::postgres();
    const auto result = pgtally::testing::run_process(
        {"/usr/lib/postgresql/15/bin/pg_dump", "--schema-only", "--no-owner", "--no-privileges",
         fmt::format("--exclude-table={}", MetaTable::kDefaultName), "-h", pg.socket_dir().string(),
         "-p", std::to_string(pg.port()), "-U", "postgres", "-d", name.empty() ? database : name});
    if (result.exit_code != 0) throw std::runtime_error("pg_dump failed: " + result.output);
    // pg_dump 15.14+ fences its output with \restrict / \unrestrict and a random key.
    std::string schema;
    std::istringstream lines(result.output);
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("\\restrict ") && !line.starts_with("\\unrestrict ")) {
        schema += line + "\n";
      }
    }
    return schema;
  }

  [[nodiscard]] bool table_exists(const std::string& table) const {
    return psql(fmt::format("SELECT to_regclass('{}') IS NOT NULL", table)) == "t\n";
  }

  [[nodiscard]] std::string applied() const {
    if (!table_exists(MetaTable::kDefaultName)) return "";
    return psql(
        fmt::format("SELECT string_agg(name, ',' ORDER BY name) FROM {}", MetaTable::kDefaultName));
  }

  std::string database;
  std::unique_ptr<Database> db;
};

}  // namespace pgtally::orm::migrate::test
