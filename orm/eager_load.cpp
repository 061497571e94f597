#include "orm/eager_load.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "orm/database.hpp"
#include "orm/validation.hpp"

namespace pgtally::orm {
namespace {

void no_delete(void*) {}

// One instance read from the rows, with the parent instances it belongs to (one for a JOIN;
// for a separate level, every parent whose key matched).
struct Entry {
  Instance instance{nullptr, &no_delete};
  Instance through{nullptr, &no_delete};
  std::vector<std::size_t> parents;
};

// One model in the include tree.
struct Node {
  const ModelOps* model = nullptr;
  const Association* via = nullptr;  // null for the tree's root
  Node* parent = nullptr;
  Where where;
  std::vector<Order> order;
  bool required = false;
  bool separate = false;
  std::optional<std::int64_t> limit;
  std::string alias;
  std::string through_alias;
  std::vector<std::size_t> columns;  // model column indexes, in select order
  std::vector<std::size_t> through_columns;
  std::vector<std::unique_ptr<Node>> children;

  // Per statement: where this node's columns start in the result, and the row's entry.
  int first = 0;
  int through_first = 0;
  int pk_result = 0;
  std::optional<std::size_t> current;

  std::vector<Entry> entries;
  std::unordered_map<std::string, std::size_t> seen;  // (parent, primary key) → entry

  [[nodiscard]] bool through() const {
    return via != nullptr && via->kind() == AssociationKind::belongs_to_many;
  }
  [[nodiscard]] bool joined() const { return via != nullptr && !separate; }
};

// Table aliases unique within one tree: the association's alias, numbered when repeated.
class Aliases {
 public:
  std::string take(const std::string& wanted) {
    std::string alias = wanted;
    for (int n = 2; used_.contains(alias); ++n)
      alias = fmt::format("{}_{}", wanted, n);
    used_.insert(alias);
    return alias;
  }

 private:
  std::set<std::string> used_;
};

std::vector<std::size_t> selected_columns(const ModelOps& model,
                                          const std::vector<ColumnRef>& attributes,
                                          const std::vector<ColumnRef>& exclude,
                                          const std::vector<std::size_t>& needed) {
  std::vector<bool> take(model.columns().size(), attributes.empty());
  for (const auto& a : attributes)
    take[model.index_of(a.name)] = true;
  for (const auto& e : exclude)
    take[model.index_of(e.name)] = false;
  for (const auto i : needed)
    take[i] = true;
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < take.size(); ++i) {
    if (take[i]) out.push_back(i);
  }
  return out;
}

void check_options(const Association& via, const IncludeOptions& options) {
  if (options.required && options.separate) {
    throw UsageError(via.describe() +
                     ": required and separate cannot be combined (a separate level cannot "
                     "filter its parents); use a JOIN include for required");
  }
  if (options.limit && !options.separate) {
    throw UsageError(via.describe() + ": a limit per parent needs separate = true");
  }
  if (options.limit && via.kind() != AssociationKind::has_many) {
    throw UsageError(via.describe() + ": a limit per parent applies to hasMany includes only");
  }
  if (options.limit && *options.limit < 0) {
    throw UsageError(via.describe() + ": the limit per parent must not be negative");
  }
}

// Adds the includes under node, recursively; then picks node's columns (its own primary key
// and every key its children are matched by are always read).
void add_children(Node& node, const std::vector<Include>& includes, const Associations* registry,
                  Executor& executor, Aliases& aliases) {
  for (const auto& inc : includes) {
    if (registry == nullptr) registry = &executor.database().associations();
    const Association& via = registry->find(inc.owner, inc.member);
    if (via.source().type() != node.model->type()) {
      throw UsageError(fmt::format("{} cannot be included under {}: include it under {}",
                                   via.describe(), node.model->model_name(),
                                   via.source().model_name()));
    }
    check_options(via, *inc.options);
    for (const auto& sibling : node.children) {
      if (sibling->via == &via) {
        throw UsageError(via.describe() +
                         " is included twice at the same level: merge the two includes");
      }
    }
    auto child = std::make_unique<Node>();
    child->model = &via.target();
    child->via = &via;
    child->parent = &node;
    child->where = inc.options->where;
    child->order = inc.options->order;
    child->required = inc.options->required;
    child->separate = inc.options->separate;
    child->limit = inc.options->limit;
    child->alias = aliases.take(via.as());
    if (child->through()) child->through_alias = aliases.take(via.as() + "_through");
    std::vector<std::size_t> needed{child->model->require_primary("an include")};
    child->columns = selected_columns(*child->model, inc.options->attributes, {}, needed);
    if (via.carries_through()) {
      for (std::size_t i = 0; i < via.through()->columns().size(); ++i)
        child->through_columns.push_back(i);
    }
    add_children(*child, inc.options->include, registry, executor, aliases);
    node.children.push_back(std::move(child));
  }
  // Keys the children are matched by must be read even when attributes leave them out.
  for (const auto& child : node.children) {
    const std::size_t key = child->via->source_key();
    if (std::find(node.columns.begin(), node.columns.end(), key) == node.columns.end()) {
      node.columns.push_back(key);
      std::sort(node.columns.begin(), node.columns.end());
    }
  }
}

std::string column_of(const Node& node, std::size_t column) {
  return qualified(node.alias, node.model->columns()[column]->name);
}

// The condition that ties node to its parent's alias.
std::string link_condition(const Node& node, const std::string& parent_alias) {
  const Association& via = *node.via;
  const auto& source = via.source().columns();
  switch (via.kind()) {
    case AssociationKind::has_one:
    case AssociationKind::has_many:
    case AssociationKind::belongs_to:
      return fmt::format("{} = {}", column_of(node, via.target_key()),
                         qualified(parent_alias, source[via.source_key()]->name));
    case AssociationKind::belongs_to_many:
      return fmt::format(
          "{} = {}",
          qualified(node.through_alias, via.through()->columns()[via.through_source_key()]->name),
          qualified(parent_alias, source[via.source_key()]->name));
  }
  return "TRUE";
}

// The column whose value names the parent: what a separate level's keys are matched against.
std::string link_column(const Node& node) {
  const Association& via = *node.via;
  if (node.through()) {
    return qualified(node.through_alias, via.through()->columns()[via.through_source_key()]->name);
  }
  return column_of(node, via.target_key());
}

// `"tags" AS "tags"`, or for belongsToMany the join model joined to its target.
std::string table_of(const Node& node) {
  std::string table =
      fmt::format("{} AS {}", quote_ident(node.model->table()), quote_ident(node.alias));
  if (!node.through()) return table;
  const Association& via = *node.via;
  return fmt::format(
      "{} AS {} INNER JOIN {} ON {} = {}", quote_ident(via.through()->table()),
      quote_ident(node.through_alias), table,
      column_of(node, node.model->require_primary("an include")),
      qualified(node.through_alias, via.through()->columns()[via.through_target_key()]->name));
}

// The node's own order, then its primary key (unless already ordered by), so that children
// come out in the same order whichever way they are loaded.
void append_order(std::string& sql, const Node& node, bool& first_term) {
  const auto& pk = node.model->columns()[node.model->require_primary("an include")]->name;
  bool by_pk = false;
  for (const auto& o : node.order) {
    sql += first_term ? " ORDER BY " : ", ";
    first_term = false;
    sql += qualified(node.alias, o.column);
    if (o.descending) sql += " DESC";
    by_pk = by_pk || o.column == pk;
  }
  if (by_pk) return;
  sql += first_term ? " ORDER BY " : ", ";
  first_term = false;
  sql += qualified(node.alias, pk);
}

// Every node this statement reads: the root, then its JOIN descendants in pre-order.
void collect_joined(Node& node, std::vector<Node*>& out) {
  out.push_back(&node);
  for (const auto& child : node.children) {
    if (!child->separate) collect_joined(*child, out);
  }
}

bool any_collection(const Node& root, const std::vector<Node*>& nodes) {
  return std::any_of(nodes.begin(), nodes.end(), [&](const Node* n) {
    return n != &root && n->joined() && n->via->collection();
  });
}

void render_joins(Statement& st, const Node& node);

void render_join(Statement& st, const Node& node) {
  const bool group_children =
      !node.required && std::any_of(node.children.begin(), node.children.end(),
                                    [](const auto& c) { return c->joined() && c->required; });
  const bool group = node.through() || group_children;
  st.sql += node.required ? " INNER JOIN " : " LEFT OUTER JOIN ";
  if (group) st.sql += '(';
  st.sql += table_of(node);
  if (group_children) render_joins(st, node);
  if (group) st.sql += ')';
  st.sql += " ON " + link_condition(node, node.parent->alias);
  if (!node.where.empty()) {
    st.sql += " AND ";
    node.where.render(st.sql, st.params, node.alias);
  }
  if (!group_children) render_joins(st, node);
}

void render_joins(Statement& st, const Node& node) {
  for (const auto& child : node.children) {
    if (child->joined()) render_join(st, *child);
  }
}

// How the root of a statement is tied to the parents it is loaded for.
enum class Link : std::uint8_t {
  none,    // the top of find_all
  equals,  // one parent: key = $n (lazy accessors)
  any,     // many parents: key = ANY($n) (a separate level)
};

// Builds the statement for root and its JOIN descendants; sets each node's result columns.
Statement build_statement(Node& root, const std::vector<Node*>& nodes, Link link, const Param& key,
                          const FindOptions* top) {
  Statement st;
  std::vector<std::string> select;
  int index = 0;
  for (Node* n : nodes) {
    n->first = index;
    for (const auto c : n->columns) {
      if (c == n->model->primary()) n->pk_result = index;
      select.push_back(column_of(*n, c));
      ++index;
    }
    n->through_first = index;
    for (const auto c : n->through_columns) {
      select.push_back(qualified(n->through_alias, n->via->through()->columns()[c]->name));
      ++index;
    }
  }
  if (link == Link::any) select.push_back(link_column(root));
  st.sql = fmt::format("SELECT {} FROM ", fmt::join(select, ", "));

  const bool limit_rows = top != nullptr && (top->limit || top->offset);
  const bool subquery = limit_rows && any_collection(root, nodes);
  if (subquery && link != Link::none) {
    throw UsageError(root.via->describe() +
                     ": a limit with nested JOIN collections would count joined rows; make "
                     "the nested collections separate");
  }
  // The root's own conditions: the key it is loaded for, then its where.
  const auto render_where = [&](std::string& sql) {
    bool first_condition = true;
    if (link != Link::none) {
      st.params.push_back(key);
      const std::string placeholder = fmt::format("${}", st.params.size());
      sql += fmt::format(" WHERE {} = {}", link_column(root),
                         link == Link::any ? "ANY(" + placeholder + ")" : placeholder);
      first_condition = false;
    }
    if (!root.where.empty()) {
      sql += first_condition ? " WHERE " : " AND ";
      root.where.render(sql, st.params, root.alias);
      first_condition = false;
    }
    return first_condition;
  };
  const auto render_limit = [&](std::string& sql) {
    if (top == nullptr) return;
    if (top->limit) {
      st.params.emplace_back(std::to_string(*top->limit));
      sql += fmt::format(" LIMIT ${}", st.params.size());
    }
    if (top->offset) {
      st.params.emplace_back(std::to_string(*top->offset));
      sql += fmt::format(" OFFSET ${}", st.params.size());
    }
  };

  if (subquery) {
    // LIMIT counts parents, not joined rows: limit the root first, then join.
    st.sql += fmt::format("(SELECT {}.* FROM {}", quote_ident(root.alias), table_of(root));
    bool first_condition = render_where(st.sql);
    // A required collection must not let the limit count parents that it then filters out.
    for (const auto& child : root.children) {
      if (!child->joined() || !child->required || !child->via->collection()) continue;
      st.sql += first_condition ? " WHERE " : " AND ";
      first_condition = false;
      st.sql += fmt::format("EXISTS (SELECT 1 FROM {} WHERE {}", table_of(*child),
                            link_condition(*child, root.alias));
      if (!child->where.empty()) {
        st.sql += " AND ";
        child->where.render(st.sql, st.params, child->alias);
      }
      st.sql += ')';
    }
    bool first_term = true;
    append_order(st.sql, root, first_term);
    render_limit(st.sql);
    st.sql += ") AS " + quote_ident(root.alias);
  } else if (root.limit) {
    // A separate hasMany level with a limit per parent: rank the rows within each parent.
    st.sql += fmt::format("(SELECT {}.*, row_number() OVER (PARTITION BY {}",
                          quote_ident(root.alias), link_column(root));
    bool first_term = true;
    append_order(st.sql, root, first_term);
    st.sql += ") AS \"pgtally_rank\" FROM " + table_of(root);
    render_where(st.sql);
    st.sql += ") AS " + quote_ident(root.alias);
  } else {
    st.sql += table_of(root);
  }
  render_joins(st, root);
  if (root.limit) {
    st.params.emplace_back(std::to_string(*root.limit));
    st.sql +=
        fmt::format(" WHERE {} <= ${}", qualified(root.alias, "pgtally_rank"), st.params.size());
  } else if (!subquery) {
    render_where(st.sql);
  }
  bool first_term = true;
  for (const Node* n : nodes)
    append_order(st.sql, *n, first_term);
  if (!subquery) render_limit(st.sql);
  return st;
}

std::string cell_text(const Result& result, int row, int column) {
  return std::string(result.value(row, column));
}

Instance decode(const ModelOps& model, const std::vector<std::size_t>& columns, int first,
                const Result& result, int row) {
  Instance instance = model.make();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const int at = first + static_cast<int>(i);
    model.read(instance.get(), columns[i], result.data(row, at), result.length(row, at),
               result.is_null(row, at));
  }
  return instance;
}

using ParentIndex = std::unordered_map<std::string, std::vector<std::size_t>>;

// Folds the rows into entries: one per distinct (parent, primary key) per node.
void fold(const Result& result, Node& root, const std::vector<Node*>& nodes, Link link,
          const ParentIndex* parents) {
  const int link_result = result.columns() - 1;
  for (int row = 0; row < result.rows(); ++row) {
    for (Node* n : nodes) {
      n->current.reset();
      std::string key;
      std::vector<std::size_t> owners;
      if (n == &root) {
        if (link == Link::any) {
          if (result.is_null(row, link_result)) continue;
          const std::string link_value = cell_text(result, row, link_result);
          const auto it = parents->find(link_value);
          if (it == parents->end()) continue;
          owners = it->second;
          key = link_value;
        }
      } else {
        if (!n->parent->current) continue;
        owners = {*n->parent->current};
        key = std::to_string(*n->parent->current);
      }
      if (result.is_null(row, n->pk_result)) continue;  // an outer join found no row
      key += '\x1f';
      key += result.value(row, n->pk_result);
      const auto [it, inserted] = n->seen.try_emplace(std::move(key), n->entries.size());
      if (inserted) {
        Entry entry;
        entry.instance = decode(*n->model, n->columns, n->first, result, row);
        if (!n->through_columns.empty()) {
          entry.through =
              decode(*n->via->through(), n->through_columns, n->through_first, result, row);
        }
        entry.parents = std::move(owners);
        n->entries.push_back(std::move(entry));
      }
      n->current = it->second;
    }
  }
}

// Runs the statement for root (and its JOIN descendants), then one statement per separate
// level below them.
void run(Executor& executor, Node& root, Link link, const Param& key, const FindOptions* top,
         const ParentIndex* parents) {
  std::vector<Node*> nodes;
  collect_joined(root, nodes);
  const Statement st = build_statement(root, nodes, link, key, top);
  fold(executor.run(st), root, nodes, link, parents);
  for (Node* n : nodes) {
    for (const auto& child : n->children) {
      if (!child->separate) continue;
      ParentIndex index;
      std::vector<std::string> keys;
      for (std::size_t i = 0; i < n->entries.size(); ++i) {
        const Param value = n->model->get(n->entries[i].instance.get(), child->via->source_key());
        if (!value) continue;
        auto& owners = index[*value];
        if (owners.empty()) keys.push_back(*value);
        owners.push_back(i);
      }
      if (keys.empty()) continue;  // no parent has a key: nothing to ask
      run(executor, *child, Link::any, array_literal(keys), nullptr, &index);
    }
  }
}

void preorder(Node& node, std::vector<Node*>& out) {
  out.push_back(&node);
  for (const auto& child : node.children)
    preorder(*child, out);
}

// Moves every entry into its parents' holders, deepest level first, so that an instance is
// complete before it is copied into a second parent.
std::vector<Instance> assemble(Node& root) {
  std::vector<Node*> all;
  preorder(root, all);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    Node& n = **it;
    if (n.parent == nullptr) continue;
    const Association& via = *n.via;
    for (auto& owner : n.parent->entries)
      via.mark_loaded(owner.instance.get());
    for (auto& entry : n.entries) {
      if (entry.through) via.attach_through(entry.instance.get(), std::move(entry.through));
      for (std::size_t i = 0; i < entry.parents.size(); ++i) {
        void* owner = n.parent->entries[entry.parents[i]].instance.get();
        if (i + 1 < entry.parents.size()) {
          via.attach(owner, n.model->copy(entry.instance.get()));
        } else {
          via.attach(owner, std::move(entry.instance));
        }
      }
    }
  }
  std::vector<Instance> out;
  out.reserve(root.entries.size());
  for (auto& entry : root.entries)
    out.push_back(std::move(entry.instance));
  return out;
}

}  // namespace

std::string array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::vector<Instance> load_graph(Executor& executor, const ModelOps& root,
                                 const FindOptions& options) {
  Aliases aliases;
  Node node;
  node.model = &root;
  node.where = options.where;
  node.order = options.order;
  node.alias = aliases.take(root.table());
  node.columns = selected_columns(root, options.attributes, options.exclude,
                                  {root.require_primary("an include")});
  add_children(node, options.include, nullptr, executor, aliases);
  run(executor, node, Link::none, std::nullopt, &options, nullptr);
  return assemble(node);
}

std::vector<Instance> load_associated(Executor& executor, const Association& association,
                                      const Param& key, const IncludeOptions& options) {
  Aliases aliases;
  Node holder;  // stands for the source instance, which the caller already has
  holder.model = &association.source();
  holder.alias = aliases.take("source");
  auto node = std::make_unique<Node>();
  node->model = &association.target();
  node->via = &association;
  node->parent = &holder;
  node->where = options.where;
  node->order = options.order;
  node->alias = aliases.take(association.as());
  if (node->through()) node->through_alias = aliases.take(association.as() + "_through");
  node->columns = selected_columns(*node->model, options.attributes, {},
                                   {node->model->require_primary("an association")});
  if (association.carries_through()) {
    for (std::size_t i = 0; i < association.through()->columns().size(); ++i)
      node->through_columns.push_back(i);
  }
  add_children(*node, options.include, nullptr, executor, aliases);
  // One parent: a plain LIMIT, not a limit per parent.
  FindOptions top;
  top.limit = options.limit;
  run(executor, *node, Link::equals, key, &top, nullptr);
  auto out = assemble(*node);
  return out;
}

}  // namespace pgtally::orm
