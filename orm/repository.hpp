// Model operations, Sequelize's static and instance methods: create, bulkCreate, findAll,
// findOne, findByPk, count, save, update, destroy, increment/decrement. A Repository runs on an
// Executor: the Database (a pooled connection per statement) or a Transaction.
//   orm::Repository<User> users(db);
//   User ada = users.create({.email = "ada@example.com"});
//   auto adults = users.find_all({.where = orm::op::gte(&User::age, 18)});
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "orm/database.hpp"
#include "orm/eager_load.hpp"
#include "orm/model.hpp"
#include "orm/model_ops.hpp"
#include "orm/query.hpp"

namespace pgtally::orm {

// Fills instances from a result whose columns are named like the model's (extra columns are
// ignored, missing ones keep the field's default). Raw queries mapped to a model use it too.
template <Model M>
std::vector<M> map_rows(const Result& result) {
  const auto& schema = M::schema();
  std::vector<std::pair<const Column<M>*, int>> mapping;
  for (int i = 0; i < result.columns(); ++i) {
    if (const Column<M>* c = schema.find(result.column_name(i))) mapping.emplace_back(c, i);
  }
  std::vector<M> out;
  const int rows = result.rows();
  out.reserve(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    M& instance = out.emplace_back();
    for (const auto& [column, index] : mapping) {
      column->read(instance, result.data(r, index), result.length(r, index),
                   result.is_null(r, index));
    }
  }
  return out;
}

template <Model M>
class Repository {
 public:
  explicit Repository(Executor& executor) : executor_(&executor) {}

  // Validates, runs before_create/before_save hooks, INSERTs ... RETURNING *, and returns the
  // stored row (generated key, defaults, timestamps).
  M create(M instance) {
    return create(std::move(instance), [](Statement insert) { return insert; });
  }

  // create() whose INSERT ... RETURNING * statement `around` may embed in a larger one (the
  // association accessors put it in a WITH clause, so that linking costs no extra query);
  // the statement it returns must still return the stored row.
  template <typename Around>
  M create(M instance, Around around) {
    auto& hooks = executor_->database().template hooks<M>();
    stamp(instance, true);
    hooks.run(HookPoint::before_create, instance);
    hooks.run(HookPoint::before_save, instance);
    validate(instance);
    std::vector<M> one;
    one.push_back(std::move(instance));
    auto rows = map_rows<M>(executor_->run(around(insert_statement(one))));
    if (rows.empty()) throw UsageError("create: the INSERT returned no row");
    M stored = std::move(rows.front());
    hooks.run(HookPoint::after_create, stored);
    hooks.run(HookPoint::after_save, stored);
    return stored;
  }

  // Validates every instance first (one ValidationError names each failing row), then one
  // INSERT with many rows per batch. Lifecycle hooks are not run, as in Sequelize by default.
  std::vector<M> bulk_create(std::vector<M> instances) {
    std::vector<ValidationError::Failure> failures;
    for (std::size_t i = 0; i < instances.size(); ++i) {
      stamp(instances[i], true);
      try {
        validate(instances[i]);
      } catch (const ValidationError& e) {
        for (auto f : e.failures()) {
          f.field = fmt::format("[{}].{}", i, f.field);
          failures.push_back(std::move(f));
        }
      }
    }
    if (!failures.empty()) throw ValidationError(schema().model_name(), std::move(failures));
    std::vector<M> stored;
    stored.reserve(instances.size());
    const std::size_t per_batch = std::max<std::size_t>(1, 60000 / schema().columns().size());
    for (std::size_t start = 0; start < instances.size(); start += per_batch) {
      const std::size_t end = std::min(instances.size(), start + per_batch);
      std::vector<M> batch(std::make_move_iterator(instances.begin() + static_cast<long>(start)),
                           std::make_move_iterator(instances.begin() + static_cast<long>(end)));
      for (auto& m : insert(batch))
        stored.push_back(std::move(m));
    }
    return stored;
  }

  // With options.include, the associations are loaded too (orm/eager_load.hpp): one
  // statement for the JOIN includes, one more per separate level.
  std::vector<M> find_all(const FindOptions& options = {}) {
    if (options.include.empty()) return map_rows<M>(executor_->run(select(options)));
    auto loaded = load_graph(*executor_, model_ops<M>(), options);
    std::vector<M> out;
    out.reserve(loaded.size());
    for (auto& instance : loaded)
      out.push_back(take<M>(instance));
    return out;
  }

  std::optional<M> find_one(FindOptions options = {}) {
    options.limit = 1;
    auto rows = find_all(options);
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
  }

  template <typename K>
  std::optional<M> find_by_pk(const K& key, FindOptions options = {}) {
    const auto& pk = schema().primary();
    options.where = Where::compare(pk.name, "=", Value(key).text) && options.where;
    return find_one(std::move(options));
  }

  std::int64_t count(const Where& where = {}) {
    Statement st;
    st.sql = fmt::format("SELECT count(*) FROM {}", quote_ident(schema().table()));
    append_where(st, where);
    const Result result = executor_->run(st);
    return parse_int(result.value(0, 0), 0, INT64_MAX);
  }

  // UPDATE of every column but the key, by primary key; runs the update and save hooks and the
  // validations, refreshes updatedAt and the instance from RETURNING *.
  void save(M& instance) {
    auto& hooks = executor_->database().template hooks<M>();
    stamp(instance, false);
    hooks.run(HookPoint::before_update, instance);
    hooks.run(HookPoint::before_save, instance);
    validate(instance);
    const auto& pk = schema().primary();
    Statement st;
    std::string sets;
    for (const auto& c : schema().columns()) {
      if (c->primary_key || c.get() == schema().created_at()) continue;
      if (!sets.empty()) sets += ", ";
      st.params.push_back(c->get(instance));
      sets += fmt::format("{} = ${}", quote_ident(c->name), st.params.size());
    }
    st.params.push_back(pk.get(instance));
    st.sql =
        fmt::format("UPDATE {} SET {} WHERE {} = ${} RETURNING *", quote_ident(schema().table()),
                    sets, quote_ident(pk.name), st.params.size());
    refresh(instance, executor_->run(st));
    hooks.run(HookPoint::after_update, instance);
    hooks.run(HookPoint::after_save, instance);
  }

  // Bulk UPDATE ... SET ... WHERE; the assigned values are validated first. Returns the number
  // of rows changed. updatedAt is refreshed when the model has timestamps.
  std::uint64_t update(std::vector<Assignment> assignments, const Where& where) {
    std::vector<ValidationError::Failure> failures;
    for (const auto& a : assignments) {
      if (!a.value) {
        if (!a.info->allow_null)
          failures.push_back({a.info->attribute, "allowNull", "cannot be null"});
        continue;
      }
      for (const auto& v : a.info->validators) {
        if (auto message = v.check(*a.value))
          failures.push_back({a.info->attribute, v.name, *message});
      }
    }
    if (!failures.empty()) throw ValidationError(schema().model_name(), std::move(failures));
    if (const auto* updated = schema().updated_at()) {
      M scratch{};
      updated->set_time(scratch, now_timestamp());
      assignments.push_back(Assignment{updated->name, updated->get(scratch), updated});
    }
    if (assignments.empty()) throw UsageError("update needs at least one assignment");
    Statement st;
    std::string sets;
    for (const auto& a : assignments) {
      if (!sets.empty()) sets += ", ";
      st.params.push_back(a.value);
      sets += fmt::format("{} = ${}", quote_ident(a.column), st.params.size());
    }
    st.sql = fmt::format("UPDATE {} SET {}", quote_ident(schema().table()), sets);
    append_where(st, where);
    return executor_->run(st).affected();
  }

  // DELETE by primary key, with the destroy hooks.
  void destroy(M& instance) {
    auto& hooks = executor_->database().template hooks<M>();
    hooks.run(HookPoint::before_destroy, instance);
    const auto& pk = schema().primary();
    executor_->run(Statement{fmt::format("DELETE FROM {} WHERE {} = $1",
                                         quote_ident(schema().table()), quote_ident(pk.name)),
                             {pk.get(instance)}});
    hooks.run(HookPoint::after_destroy, instance);
  }

  // Bulk DELETE. An empty where is refused: pass destroy_all() to empty the table on purpose.
  std::uint64_t destroy(const Where& where) {
    if (where.empty()) {
      throw UsageError(
          fmt::format("destroy without a where would delete every row of {}; call "
                      "destroy_all() if that is what you mean",
                      schema().table()));
    }
    Statement st;
    st.sql = fmt::format("DELETE FROM {}", quote_ident(schema().table()));
    append_where(st, where);
    return executor_->run(st).affected();
  }
  std::uint64_t destroy_all() {
    return executor_
        ->run(Statement{fmt::format("DELETE FROM {}", quote_ident(schema().table())), {}})
        .affected();
  }

  // UPDATE ... SET col = col + $1 WHERE pk, refreshing the instance from RETURNING *.
  template <typename T>
  void increment(M& instance, T M::*member, std::int64_t by = 1) {
    const auto& pk = schema().primary();
    Statement st = increment_statement(member, by);
    st.params.push_back(pk.get(instance));
    st.sql += fmt::format(" WHERE {} = ${} RETURNING *", quote_ident(pk.name), st.params.size());
    refresh(instance, executor_->run(st));
  }
  template <typename T>
  void decrement(M& instance, T M::*member, std::int64_t by = 1) {
    increment(instance, member, -by);
  }
  // Bulk increment; returns the number of rows changed.
  template <typename T>
  std::uint64_t increment(T M::*member, std::int64_t by, const Where& where) {
    Statement st = increment_statement(member, by);
    append_where(st, where);
    return executor_->run(st).affected();
  }
  template <typename T>
  std::uint64_t decrement(T M::*member, std::int64_t by, const Where& where) {
    return increment(member, -by, where);
  }

  // The SELECT find_all would run (for tests and logging).
  static Statement select(const FindOptions& options) {
    Statement st;
    st.sql = fmt::format("SELECT {} FROM {}", select_list(options), quote_ident(schema().table()));
    append_where(st, options.where);
    if (!options.order.empty()) {
      st.sql += " ORDER BY ";
      for (std::size_t i = 0; i < options.order.size(); ++i) {
        if (i > 0) st.sql += ", ";
        st.sql += quote_ident(options.order[i].column);
        if (options.order[i].descending) st.sql += " DESC";
      }
    }
    if (options.limit) {
      st.params.emplace_back(std::to_string(*options.limit));
      st.sql += fmt::format(" LIMIT ${}", st.params.size());
    }
    if (options.offset) {
      st.params.emplace_back(std::to_string(*options.offset));
      st.sql += fmt::format(" OFFSET ${}", st.params.size());
    }
    return st;
  }

 private:
  static const ModelSchema<M>& schema() { return M::schema(); }

  static void append_where(Statement& st, const Where& where) {
    if (where.empty()) return;
    st.sql += " WHERE ";
    where.render(st.sql, st.params);
  }

  static std::string select_list(const FindOptions& options) {
    const auto named = [](const std::vector<ColumnRef>& list, const std::string& name) {
      for (const auto& ref : list) {
        if (ref.name == name) return true;
      }
      return false;
    };
    std::string list;
    for (const auto& c : schema().columns()) {
      if (!options.attributes.empty() && !named(options.attributes, c->name)) continue;
      if (named(options.exclude, c->name)) continue;
      if (!list.empty()) list += ", ";
      list += quote_ident(c->name);
    }
    if (list.empty()) throw UsageError("attributes and exclude leave no column to select");
    return list;
  }

  static void stamp(M& instance, bool creating) {
    const Timestamp now = now_timestamp();
    if (creating) {
      if (const auto* created = schema().created_at()) created->set_time(instance, now);
    }
    if (const auto* updated = schema().updated_at()) updated->set_time(instance, now);
  }

  template <typename T>
  static Statement increment_statement(T M::*member, std::int64_t by) {
    const auto& column = schema().column_of(member);
    const std::string name = quote_ident(column.name);
    Statement st;
    st.params.emplace_back(std::to_string(by));
    std::string sql =
        fmt::format("UPDATE {} SET {} = {} + $1", quote_ident(schema().table()), name, name);
    if (const auto* updated = schema().updated_at()) {
      M scratch{};
      updated->set_time(scratch, now_timestamp());
      st.params.push_back(updated->get(scratch));
      sql += fmt::format(", {} = $2", quote_ident(updated->name));
    }
    st.sql = std::move(sql);
    return st;
  }

  void refresh(M& instance, const Result& result) {
    if (result.rows() == 0) {
      throw UsageError(
          fmt::format("no {} row with this primary key (it was deleted, or never "
                      "created)",
                      schema().model_name()));
    }
    auto rows = map_rows<M>(result);
    instance = std::move(rows.front());
  }

  std::vector<M> insert(std::vector<M>& instances) {
    return map_rows<M>(executor_->run(insert_statement(instances)));
  }

 public:
  // The INSERT ... RETURNING * that create and bulk_create send (no validation, no hooks).
  static Statement insert_statement(const std::vector<M>& instances) {
    // Columns the database fills: an unset auto-increment key, a NULL optional with a DEFAULT.
    std::vector<const Column<M>*> columns;
    for (const auto& c : schema().columns()) {
      bool all_default = true;
      for (const auto& m : instances) {
        const bool db_fills =
            (c->auto_increment && c->unset_key(m)) || (c->default_sql.has_value() && c->is_null(m));
        if (!db_fills) {
          all_default = false;
          break;
        }
      }
      if (!all_default) columns.push_back(c.get());
    }
    Statement st;
    std::string names;
    for (const auto* c : columns) {
      if (!names.empty()) names += ", ";
      names += quote_ident(c->name);
    }
    std::string rows;
    for (const auto& m : instances) {
      if (!rows.empty()) rows += ", ";
      rows += '(';
      for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i > 0) rows += ", ";
        const auto* c = columns[i];
        if ((c->auto_increment && c->unset_key(m)) || (c->default_sql && c->is_null(m))) {
          rows += "DEFAULT";
          continue;
        }
        st.params.push_back(c->get(m));
        rows += fmt::format("${}", st.params.size());
      }
      rows += ')';
    }
    st.sql = columns.empty() ? fmt::format("INSERT INTO {} DEFAULT VALUES RETURNING *",
                                           quote_ident(schema().table()))
                             : fmt::format("INSERT INTO {} ({}) VALUES {} RETURNING *",
                                           quote_ident(schema().table()), names, rows);
    return st;
  }

 private:
  Executor* executor_;
};

}  // namespace pgtally::orm
