// What runs a statement: the Database (a pooled connection per statement) or a Transaction
// (its own connection). Repositories and raw queries take an Executor&, so the same call runs
// inside or outside a transaction.
#pragma once

#include <string>
#include <vector>

#include "orm/connection.hpp"
#include "orm/types.hpp"

namespace pgtally::orm {

class Database;

// SQL with $1..$n placeholders and their values; values are never spliced into the text.
struct Statement {
  std::string sql;
  std::vector<Param> params;
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual Result run(const Statement& statement) = 0;
  virtual Database& database() = 0;

 protected:
  Executor() = default;
  Executor(const Executor&) = default;
  Executor& operator=(const Executor&) = default;
  Executor(Executor&&) = default;
  Executor& operator=(Executor&&) = default;
};

}  // namespace pgtally::orm
