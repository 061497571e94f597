#include "orm/related.hpp"

#include <fmt/format.h>

#include "orm/validation.hpp"

namespace pgtally::orm::related_sql {
namespace {

const ColumnInfo& column(const ModelOps& model, std::size_t index) {
  return *model.columns()[index];
}

std::string name(const ModelOps& model, std::size_t index) {
  return quote_ident(column(model, index).name);
}

// `::BIGINT`: what a parameter is cast to where PostgreSQL cannot infer its type.
std::string cast(const ColumnInfo& c) {
  if (c.type.kind() == Type::Kind::enumeration) return {};
  return "::" + c.type.sql();
}

std::string table(const ModelOps& model) {
  return quote_ident(model.table());
}

// The join model's columns pointing at the source and at the target.
struct Through {
  std::string table;
  std::string source;
  std::string target;
  std::string source_cast;
  std::string target_cast;
};

Through through_of(const Association& a) {
  if (a.kind() != AssociationKind::belongs_to_many || a.through() == nullptr) {
    throw UsageError(a.describe() + ": this accessor needs a belongsToMany association");
  }
  const ModelOps& j = *a.through();
  return Through{table(j), name(j, a.through_source_key()), name(j, a.through_target_key()),
                 cast(column(j, a.through_source_key())), cast(column(j, a.through_target_key()))};
}

bool has_kind(const Association& a) {
  return a.kind() == AssociationKind::has_many || a.kind() == AssociationKind::has_one;
}

void require_has_kind(const Association& a) {
  if (!has_kind(a) && a.kind() != AssociationKind::belongs_to_many) {
    throw UsageError(a.describe() +
                     ": this accessor applies to hasOne, hasMany and "
                     "belongsToMany");
  }
}

}  // namespace

std::int64_t count(Executor& executor, const Association& a, const Param& key, const Where& where) {
  require_has_kind(a);
  const std::string& alias = a.as();
  Statement st;
  st.params.push_back(key);
  if (has_kind(a)) {
    st.sql =
        fmt::format("SELECT count(*) FROM {} AS {} WHERE {} = $1", table(a.target()),
                    quote_ident(alias), qualified(alias, column(a.target(), a.target_key()).name));
  } else {
    const Through t = through_of(a);
    const ModelOps& j = *a.through();
    st.sql = fmt::format(
        "SELECT count(*) FROM {} AS \"through\" INNER JOIN {} AS {} ON {} = {} WHERE {} = $1",
        t.table, table(a.target()), quote_ident(alias),
        qualified(alias, column(a.target(), a.target_key()).name),
        qualified("through", column(j, a.through_target_key()).name),
        qualified("through", column(j, a.through_source_key()).name));
  }
  if (!where.empty()) {
    st.sql += " AND ";
    where.render(st.sql, st.params, alias);
  }
  return parse_int(executor.run(st).value(0, 0), 0, INT64_MAX);
}

bool has(Executor& executor, const Association& a, const Param& key, const Param& target) {
  require_has_kind(a);
  Statement st{{}, {key, target}};
  if (has_kind(a)) {
    st.sql = fmt::format("SELECT 1 FROM {} WHERE {} = $1 AND {} = $2 LIMIT 1", table(a.target()),
                         name(a.target(), a.target_key()),
                         name(a.target(), a.target().require_primary("has")));
  } else {
    const Through t = through_of(a);
    st.sql = fmt::format("SELECT 1 FROM {} WHERE {} = $1 AND {} = $2 LIMIT 1", t.table, t.source,
                         t.target);
  }
  return executor.run(st).rows() > 0;
}

void link(Executor& executor, const Association& a, const Param& key,
          const std::vector<std::string>& targets) {
  require_has_kind(a);
  if (targets.empty()) return;
  Statement st{{}, {key, array_literal(targets)}};
  if (has_kind(a)) {
    st.sql = fmt::format("UPDATE {} SET {} = $1 WHERE {} = ANY($2)", table(a.target()),
                         name(a.target(), a.target_key()),
                         name(a.target(), a.target().require_primary("add")));
  } else {
    const Through t = through_of(a);
    st.sql = fmt::format(
        "INSERT INTO {0} ({1}, {2}) SELECT DISTINCT $1{3}, k FROM unnest($2{4}[]) AS k "
        "WHERE NOT EXISTS (SELECT 1 FROM {0} WHERE {1} = $1{3} AND {2} = k)",
        t.table, t.source, t.target, t.source_cast, t.target_cast);
  }
  executor.run(st);
}

void unlink(Executor& executor, const Association& a, const Param& key,
            const std::vector<std::string>& targets) {
  require_has_kind(a);
  if (targets.empty()) return;
  Statement st{{}, {key, array_literal(targets)}};
  if (has_kind(a)) {
    st.sql = fmt::format("UPDATE {0} SET {1} = NULL WHERE {1} = $1 AND {2} = ANY($2)",
                         table(a.target()), name(a.target(), a.target_key()),
                         name(a.target(), a.target().require_primary("remove")));
  } else {
    const Through t = through_of(a);
    st.sql =
        fmt::format("DELETE FROM {} WHERE {} = $1 AND {} = ANY($2)", t.table, t.source, t.target);
  }
  executor.run(st);
}

void replace(Executor& executor, const Association& a, const Param& key,
             const std::vector<std::string>& targets) {
  require_has_kind(a);
  Statement st{{}, {key, array_literal(targets)}};
  if (has_kind(a)) {
    const std::string fk = name(a.target(), a.target_key());
    st.sql = fmt::format(
        "UPDATE {0} SET {1} = CASE WHEN {2} = ANY($2) THEN $1{3} ELSE NULL END "
        "WHERE {1} = $1{3} OR {2} = ANY($2)",
        table(a.target()), fk, name(a.target(), a.target().require_primary("set")),
        cast(column(a.target(), a.target_key())));
  } else {
    const Through t = through_of(a);
    st.sql = fmt::format(
        "WITH \"removed\" AS (DELETE FROM {0} WHERE {1} = $1{3} AND NOT ({2} = ANY($2{4}[]))) "
        "INSERT INTO {0} ({1}, {2}) SELECT DISTINCT $1{3}, k FROM unnest($2{4}[]) AS k "
        "WHERE NOT EXISTS (SELECT 1 FROM {0} WHERE {1} = $1{3} AND {2} = k)",
        t.table, t.source, t.target, t.source_cast, t.target_cast);
  }
  executor.run(st);
}

void point(Executor& executor, const Association& a, const Param& source_pk, const Param& target) {
  if (a.kind() != AssociationKind::belongs_to) {
    throw UsageError(a.describe() + ": this accessor needs a belongsTo association");
  }
  executor.run(Statement{fmt::format("UPDATE {} SET {} = $1 WHERE {} = $2", table(a.source()),
                                     name(a.source(), a.source_key()),
                                     name(a.source(), a.source().require_primary("set"))),
                         {target, source_pk}});
}

Statement link_created(const Association& a, Statement insert, const Param& key) {
  insert.params.push_back(key);
  const std::size_t n = insert.params.size();
  const std::string target_pk =
      qualified("created", column(a.target(), a.target().require_primary("create")).name);
  if (a.kind() == AssociationKind::belongs_to_many) {
    const Through t = through_of(a);
    insert.sql = fmt::format(
        "WITH \"created\" AS ({}), \"linked\" AS (INSERT INTO {} ({}, {}) SELECT ${}{}, {} FROM "
        "\"created\") SELECT * FROM \"created\"",
        insert.sql, t.table, t.source, t.target, n, t.source_cast, target_pk);
    return insert;
  }
  if (a.kind() != AssociationKind::belongs_to) {
    throw UsageError(a.describe() +
                     ": create links in one statement for belongsTo and "
                     "belongsToMany only");
  }
  insert.sql = fmt::format(
      "WITH \"created\" AS ({}), \"linked\" AS (UPDATE {} SET {} = {} FROM \"created\" WHERE "
      "{}.{} = ${}) SELECT * FROM \"created\"",
      insert.sql, table(a.source()), name(a.source(), a.source_key()), target_pk, table(a.source()),
      name(a.source(), a.source().require_primary("create")), n);
  return insert;
}

}  // namespace pgtally::orm::related_sql
