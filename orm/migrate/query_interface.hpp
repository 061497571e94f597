// What a migration's up and down are written against (Sequelize's queryInterface): table,
// column, index and constraint changes, and raw SQL with named replacements. Each call sends
// one statement through the runner's executor (the migration's transaction, or one session
// when the migration runs outside a transaction); in a dry run the statements are only
// reported. Constraint and index names default to the ones PostgreSQL itself would choose.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orm/executor.hpp"
#include "orm/migrate/migration.hpp"
#include "orm/model.hpp"
#include "orm/raw_query.hpp"
#include "orm/types.hpp"

namespace pgtally::orm::migrate {

struct ForeignKey {
  std::string table;
  std::string column = "id";
  std::string on_delete{};  // "CASCADE", "RESTRICT", "SET NULL", ...; empty: NO ACTION
  std::string on_update{};
};

// A column in a column list (createTable, addColumn, changeColumn), read like its DDL:
//   {.name = "price_cents", .type = Type::integer(), .allow_null = false,
//    .check = "price_cents >= 0"}
struct Column {
  std::string name;
  Type type = Type::text();
  bool allow_null = true;                    // as in Sequelize: NULL allowed unless said
  std::optional<std::string> default_sql{};  // an expression: "now()", "0", "'pending'"
  bool primary_key = false;                  // constraint <table>_pkey
  bool auto_increment = false;               // SERIAL / BIGSERIAL
  bool unique = false;                       // constraint <table>_<column>_key
  std::optional<ForeignKey> references{};    // constraint <table>_<column>_fkey
  std::optional<std::string> check{};        // constraint <table>_<column>_check
};

struct CreateTableOptions {
  bool if_not_exists = false;
};

struct DropTableOptions {
  bool if_exists = false;
  bool cascade = false;
};

struct ChangeColumnOptions {
  std::string using_expression{};  // ALTER ... TYPE ... USING, for conversions PostgreSQL lacks
};

struct Index {
  // Column names; an entry starting with '(' is an expression, e.g. "(lower(email))".
  std::vector<std::string> fields;
  std::string name{};  // default: <table>_<fields>_idx
  bool unique = false;
  std::string where{};        // a partial index's predicate
  bool concurrently = false;  // needs a migration declared with .transaction = false
  std::string method{};       // "gin", "brin", ...; default btree
};

struct RemoveIndexOptions {
  bool concurrently = false;
  bool if_exists = false;
};

enum class ConstraintKind : std::uint8_t { unique, check, foreign_key, primary_key };

struct Constraint {
  ConstraintKind kind = ConstraintKind::unique;
  std::vector<std::string> fields{};
  // Default, as PostgreSQL names them: <table>_<fields>_key, _check, _fkey; <table>_pkey.
  std::string name{};
  std::string check{};                           // check: the expression
  std::string references_table{};                // foreign_key: the referenced table
  std::vector<std::string> references_fields{};  // foreign_key; default: "id"
  std::string on_delete{};
  std::string on_update{};
};

class QueryInterface {
 public:
  using Observer = std::function<void(const Statement&)>;

  // Sends statements through executor, reporting each to observer first. in_transaction says
  // whether the executor is a transaction (CONCURRENTLY is refused there with a clear error).
  QueryInterface(Executor& executor, bool in_transaction, Observer observer = {});
  // A dry run: statements are reported to observer and never sent; sql() returns no rows.
  static QueryInterface dry_run(bool in_transaction, Observer observer);

  void create_table(const std::string& table, const std::vector<Column>& columns,
                    CreateTableOptions options = {});
  // From a model's declaration: the same DDL sync writes (its enum types first).
  void create_table(const TableInfo& table);
  template <Model M>
  void create_table() {
    create_table(M::schema().info());
  }
  void drop_table(const std::string& table, DropTableOptions options = {});
  // A model's table and its enum types.
  void drop_table(const TableInfo& table);
  template <Model M>
  void drop_table() {
    drop_table(M::schema().info());
  }
  void rename_table(const std::string& from, const std::string& to);

  void add_column(const std::string& table, const Column& column);
  void remove_column(const std::string& table, const std::string& column);
  // Sets type, NULL-ability and default as declared (no default declared: DROP DEFAULT).
  // Constraints are not changed here: use add_constraint / remove_constraint.
  void change_column(const std::string& table, const Column& column,
                     const ChangeColumnOptions& options = {});
  void rename_column(const std::string& table, const std::string& from, const std::string& to);

  void add_index(const std::string& table, const Index& index);
  void remove_index(const std::string& name, RemoveIndexOptions options = {});
  void add_constraint(const std::string& table, const Constraint& constraint);
  void remove_constraint(const std::string& table, const std::string& name);

  // Raw SQL, one statement, with :name replacements bound as parameters.
  Records sql(std::string_view text, const Replacements& replacements = {});
  // Raw SQL sent as written (a statement of a .sql migration; ':' has no meaning).
  Records execute(std::string_view text);

  [[nodiscard]] bool dry() const { return executor_ == nullptr; }
  [[nodiscard]] bool in_transaction() const { return in_transaction_; }
  // The statement that failed, when a call threw because the database refused it; empty when
  // no statement failed (the call itself refused its arguments, or the migration's own code
  // threw).
  [[nodiscard]] const std::string& failed_statement() const { return failed_; }

 private:
  QueryInterface(Executor* executor, bool in_transaction, Observer observer);
  Records run(const Statement& statement);
  Records run(std::string sql) { return run(Statement{std::move(sql), {}}); }

  Executor* executor_;
  bool in_transaction_;
  Observer observer_;
  std::string failed_;
};

}  // namespace pgtally::orm::migrate
