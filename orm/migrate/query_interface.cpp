#include "orm/migrate/query_interface.hpp"

#include <fmt/format.h>

#include "orm/ddl.hpp"
#include "orm/errors.hpp"
#include "orm/validation.hpp"

namespace pgtally::orm::migrate {
namespace {

// A column-list entry as the shared DDL writer sees a model's column.
ColumnInfo column_info(const Column& c) {
  ColumnInfo info;
  info.attribute = c.name;
  info.name = c.name;
  info.type = c.type;
  info.primary_key = c.primary_key;
  info.auto_increment = c.auto_increment;
  info.allow_null = c.allow_null;
  info.unique = c.unique;
  info.default_sql = c.default_sql;
  if (c.references) {
    info.references = Reference{c.references->table, c.references->column, c.references->on_delete};
  }
  if (c.check) {
    // Named "check" so that the constraint gets PostgreSQL's own name, <table>_<column>_check.
    info.validators.push_back(Validator{
        "check", nullptr, [expression = *c.check](const std::string&) { return expression; }});
  }
  return info;
}

std::string on_update_of(const Column& c) {
  return c.references ? c.references->on_update : std::string();
}

std::string ident_list(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  quoted.reserve(names.size());
  for (const auto& n : names)
    quoted.push_back(n.starts_with("(") ? n : quote_ident(n));
  return fmt::format("{}", fmt::join(quoted, ", "));
}

// "(lower(email))" → "lower_email", as PostgreSQL derives names from expressions.
std::string name_part(const std::string& field) {
  std::string out;
  for (const char c : field) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (word) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_')
    out.pop_back();
  return out.empty() ? std::string("expr") : out;
}

std::string default_name(const std::string& table, const std::vector<std::string>& fields,
                         const std::string& suffix) {
  std::string name = table;
  for (const auto& f : fields)
    name += "_" + name_part(f);
  return name + "_" + suffix;
}

void require_fields(const std::string& what, const std::string& table,
                    const std::vector<std::string>& fields) {
  if (fields.empty()) {
    throw UsageError(fmt::format("{} on table \"{}\" lists no fields", what, table));
  }
}

}  // namespace

QueryInterface::QueryInterface(Executor& executor, bool in_transaction, Observer observer)
    : QueryInterface(&executor, in_transaction, std::move(observer)) {}

QueryInterface::QueryInterface(Executor* executor, bool in_transaction, Observer observer)
    : executor_(executor), in_transaction_(in_transaction), observer_(std::move(observer)) {}

QueryInterface QueryInterface::dry_run(bool in_transaction, Observer observer) {
  return {nullptr, in_transaction, std::move(observer)};
}

Records QueryInterface::run(const Statement& statement) {
  if (observer_) observer_(statement);
  if (executor_ == nullptr) return Records(Result());
  failed_ = statement.sql;
  Records records(executor_->run(statement));
  failed_.clear();
  return records;
}

void QueryInterface::create_table(const std::string& table, const std::vector<Column>& columns,
                                  CreateTableOptions options) {
  if (columns.empty())
    throw UsageError(fmt::format("create_table(\"{}\") lists no columns", table));
  std::vector<ColumnInfo> infos;
  infos.reserve(columns.size());
  std::vector<std::string> on_update;
  for (const auto& c : columns) {
    infos.push_back(column_info(c));
    on_update.push_back(on_update_of(c));
  }
  TableInfo info{table, {}};
  for (const auto& c : infos)
    info.columns.push_back(&c);
  for (auto& statement : create_enum_type_statements(info))
    run(std::move(statement));
  run(create_table_statement(info, options.if_not_exists, on_update));
}

void QueryInterface::create_table(const TableInfo& table) {
  for (auto& statement : create_enum_type_statements(table))
    run(std::move(statement));
  run(create_table_statement(table, false));
}

void QueryInterface::drop_table(const std::string& table, DropTableOptions options) {
  run(fmt::format("DROP TABLE {}{}{}", options.if_exists ? "IF EXISTS " : "", quote_ident(table),
                  options.cascade ? " CASCADE" : ""));
}

void QueryInterface::drop_table(const TableInfo& table) {
  drop_table(table.table);
  for (const auto* c : table.columns) {
    if (c->type.kind() != Type::Kind::enumeration) continue;
    run(fmt::format("DROP TYPE {}", quote_ident(enum_type_name(table.table, *c))));
  }
}

void QueryInterface::rename_table(const std::string& from, const std::string& to) {
  run(fmt::format("ALTER TABLE {} RENAME TO {}", quote_ident(from), quote_ident(to)));
}

void QueryInterface::add_column(const std::string& table, const Column& column) {
  run(fmt::format("ALTER TABLE {} ADD COLUMN {}", quote_ident(table),
                  column_definition(table, column_info(column), on_update_of(column))));
}

void QueryInterface::remove_column(const std::string& table, const std::string& column) {
  run(fmt::format("ALTER TABLE {} DROP COLUMN {}", quote_ident(table), quote_ident(column)));
}

void QueryInterface::change_column(const std::string& table, const Column& column,
                                   const ChangeColumnOptions& options) {
  if (column.primary_key || column.auto_increment || column.unique || column.references ||
      column.check) {
    throw UsageError(fmt::format(
        "change_column(\"{}\", \"{}\") changes type, NULL and default only: add or remove "
        "constraints with add_constraint / remove_constraint",
        table, column.name));
  }
  const std::string name = quote_ident(column.name);
  const std::string type = column.type.kind() == Type::Kind::enumeration
                               ? quote_ident(enum_type_name(table, column_info(column)))
                               : column.type.sql();
  std::string sql =
      fmt::format("ALTER TABLE {} ALTER COLUMN {} TYPE {}", quote_ident(table), name, type);
  if (!options.using_expression.empty()) sql += " USING " + options.using_expression;
  sql += fmt::format(", ALTER COLUMN {} {} NOT NULL", name, column.allow_null ? "DROP" : "SET");
  sql += column.default_sql
             ? fmt::format(", ALTER COLUMN {} SET DEFAULT {}", name, *column.default_sql)
             : fmt::format(", ALTER COLUMN {} DROP DEFAULT", name);
  run(std::move(sql));
}

void QueryInterface::rename_column(const std::string& table, const std::string& from,
                                   const std::string& to) {
  run(fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", quote_ident(table), quote_ident(from),
                  quote_ident(to)));
}

void QueryInterface::add_index(const std::string& table, const Index& index) {
  require_fields("add_index", table, index.fields);
  if (index.concurrently && in_transaction_) {
    throw UsageError(fmt::format(
        "add_index(\"{}\") CONCURRENTLY cannot run inside a transaction: declare the migration "
        "with .transaction = false (a .sql migration: a first line -- pgtally:no-transaction)",
        table));
  }
  const std::string name =
      index.name.empty() ? default_name(table, index.fields, "idx") : index.name;
  std::string sql =
      fmt::format("CREATE {}INDEX {}{} ON {}", index.unique ? "UNIQUE " : "",
                  index.concurrently ? "CONCURRENTLY " : "", quote_ident(name), quote_ident(table));
  if (!index.method.empty()) sql += " USING " + index.method;
  sql += fmt::format(" ({})", ident_list(index.fields));
  if (!index.where.empty()) sql += " WHERE " + index.where;
  run(std::move(sql));
}

void QueryInterface::remove_index(const std::string& name, RemoveIndexOptions options) {
  if (options.concurrently && in_transaction_) {
    throw UsageError(fmt::format(
        "remove_index(\"{}\") CONCURRENTLY cannot run inside a transaction: declare the "
        "migration with .transaction = false",
        name));
  }
  run(fmt::format("DROP INDEX {}{}{}", options.concurrently ? "CONCURRENTLY " : "",
                  options.if_exists ? "IF EXISTS " : "", quote_ident(name)));
}

void QueryInterface::add_constraint(const std::string& table, const Constraint& constraint) {
  std::string name = constraint.name;
  std::string body;
  switch (constraint.kind) {
    case ConstraintKind::unique:
      require_fields("a unique constraint", table, constraint.fields);
      if (name.empty()) name = default_name(table, constraint.fields, "key");
      body = fmt::format("UNIQUE ({})", ident_list(constraint.fields));
      break;
    case ConstraintKind::primary_key:
      require_fields("a primary key", table, constraint.fields);
      if (name.empty()) name = table + "_pkey";
      body = fmt::format("PRIMARY KEY ({})", ident_list(constraint.fields));
      break;
    case ConstraintKind::check:
      if (constraint.check.empty()) {
        throw UsageError(
            fmt::format("a check constraint on table \"{}\" has no expression", table));
      }
      if (name.empty()) name = default_name(table, constraint.fields, "check");
      body = fmt::format("CHECK ({})", constraint.check);
      break;
    case ConstraintKind::foreign_key: {
      require_fields("a foreign key", table, constraint.fields);
      if (constraint.references_table.empty()) {
        throw UsageError(
            fmt::format("a foreign key on table \"{}\" names no referenced table", table));
      }
      if (name.empty()) name = default_name(table, constraint.fields, "fkey");
      const std::vector<std::string> referenced = constraint.references_fields.empty()
                                                      ? std::vector<std::string>{"id"}
                                                      : constraint.references_fields;
      body = fmt::format("FOREIGN KEY ({}) REFERENCES {} ({})", ident_list(constraint.fields),
                         quote_ident(constraint.references_table), ident_list(referenced));
      if (!constraint.on_delete.empty()) body += " ON DELETE " + constraint.on_delete;
      if (!constraint.on_update.empty()) body += " ON UPDATE " + constraint.on_update;
      break;
    }
  }
  run(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {}", quote_ident(table), quote_ident(name),
                  body));
}

void QueryInterface::remove_constraint(const std::string& table, const std::string& name) {
  run(fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", quote_ident(table), quote_ident(name)));
}

Records QueryInterface::sql(std::string_view text, const Replacements& replacements) {
  return run(compile_named(text, replacements));
}

Records QueryInterface::execute(std::string_view text) {
  return run(std::string(text));
}

}  // namespace pgtally::orm::migrate
