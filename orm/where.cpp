#include "orm/where.hpp"

#include <fmt/format.h>

#include "orm/validation.hpp"

namespace pgtally::orm {

struct Where::Node {
  enum class Kind : std::uint8_t { compare, in_list, between, null_check, all, any, negate };
  Kind kind = Kind::compare;
  std::string column;
  std::string op;
  bool negated = false;
  std::vector<Param> values;
  std::vector<Where> children;
};

Where Where::compare(std::string column, std::string op, Param value) {
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::compare;
  node->column = std::move(column);
  node->op = std::move(op);
  node->values.push_back(std::move(value));
  return Where(std::move(node));
}

Where Where::in_list(std::string column, bool negated, std::vector<Param> values) {
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::in_list;
  node->column = std::move(column);
  node->negated = negated;
  node->values = std::move(values);
  return Where(std::move(node));
}

Where Where::between(std::string column, Param low, Param high) {
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::between;
  node->column = std::move(column);
  node->values = {std::move(low), std::move(high)};
  return Where(std::move(node));
}

Where Where::null_check(std::string column, bool negated) {
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::null_check;
  node->column = std::move(column);
  node->negated = negated;
  return Where(std::move(node));
}

Where Where::all_of(std::vector<Where> input) {
  return group(std::move(input), true);
}

Where Where::any_of(std::vector<Where> input) {
  return group(std::move(input), false);
}

Where Where::group(std::vector<Where> input, bool all) {
  // Drops empty parts and splices nested groups of the same kind: a && b && c is one group.
  const auto kind = all ? Node::Kind::all : Node::Kind::any;
  std::vector<Where> parts;
  for (auto& w : input) {
    if (w.empty()) continue;
    if (w.node_->kind == kind) {
      parts.insert(parts.end(), w.node_->children.begin(), w.node_->children.end());
    } else {
      parts.push_back(std::move(w));
    }
  }
  if (parts.empty()) return {};
  if (parts.size() == 1) return parts.front();
  auto node = std::make_shared<Node>();
  node->kind = kind;
  node->children = std::move(parts);
  return Where(std::move(node));
}

Where Where::negate(Where part) {
  if (part.empty()) return part;
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::negate;
  node->children.push_back(std::move(part));
  return Where(std::move(node));
}

std::string qualified(std::string_view table_alias, std::string_view column) {
  if (table_alias.empty()) return quote_ident(std::string(column));
  return quote_ident(std::string(table_alias)) + "." + quote_ident(std::string(column));
}

void Where::render(std::string& sql, std::vector<Param>& params,
                   std::string_view table_alias) const {
  if (node_ == nullptr) {
    sql += "TRUE";
    return;
  }
  render(*node_, sql, params, table_alias);
}

void Where::render(const Node& node, std::string& sql, std::vector<Param>& params,
                   std::string_view table_alias) {
  const auto placeholder = [&](const Param& value) {
    params.push_back(value);
    return fmt::format("${}", params.size());
  };
  const std::string column = qualified(table_alias, node.column);
  switch (node.kind) {
    case Node::Kind::compare:
      if (!node.values.front()) {
        // = NULL is never true; say what the caller meant.
        sql += fmt::format("{} IS {}NULL", column, node.op == "<>" ? "NOT " : "");
        return;
      }
      sql += fmt::format("{} {} {}", column, node.op, placeholder(node.values.front()));
      return;
    case Node::Kind::in_list: {
      if (node.values.empty()) {
        sql += node.negated ? "TRUE" : "FALSE";
        return;
      }
      sql += fmt::format("{} {}IN (", column, node.negated ? "NOT " : "");
      for (std::size_t i = 0; i < node.values.size(); ++i) {
        if (i > 0) sql += ", ";
        sql += placeholder(node.values[i]);
      }
      sql += ')';
      return;
    }
    case Node::Kind::between: {
      const std::string low = placeholder(node.values[0]);
      const std::string high = placeholder(node.values[1]);
      sql += fmt::format("{} BETWEEN {} AND {}", column, low, high);
      return;
    }
    case Node::Kind::null_check:
      sql += fmt::format("{} IS {}NULL", column, node.negated ? "NOT " : "");
      return;
    case Node::Kind::all:
    case Node::Kind::any: {
      const char* joiner = node.kind == Node::Kind::all ? " AND " : " OR ";
      sql += '(';
      for (std::size_t i = 0; i < node.children.size(); ++i) {
        if (i > 0) sql += joiner;
        node.children[i].render(sql, params, table_alias);
      }
      sql += ')';
      return;
    }
    case Node::Kind::negate:
      sql += "NOT (";
      node.children.front().render(sql, params, table_alias);
      sql += ')';
      return;
  }
}

}  // namespace pgtally::orm
