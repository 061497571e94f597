// Eager loading: a model's rows with their includes, as object graphs. JOIN includes become
// one statement (LEFT OUTER JOIN, or INNER JOIN when required) whose rows are folded into
// instances without duplicates; a separate include costs one more statement per level,
// `WHERE key = ANY($1)` over the parents' keys, optionally limited per parent with
// row_number(). Repository::find_all calls this when FindOptions::include is not empty; the
// lazy accessors (orm/related.hpp) use the same path for one parent.
#pragma once

#include <vector>

#include "orm/associations.hpp"
#include "orm/executor.hpp"
#include "orm/model_ops.hpp"
#include "orm/query.hpp"

namespace pgtally::orm {

// The rows of `root` matching options, each with its includes loaded. Throws UsageError for
// an include that is not an association of the model it is nested under, and for option
// combinations that cannot be honoured (required with separate, limit without separate).
std::vector<Instance> load_graph(Executor& executor, const ModelOps& root,
                                 const FindOptions& options);

// The targets of one source instance whose key (the association's source_key) is `key`: one
// statement (`WHERE key = $1`), plus one per separate include nested in options.
std::vector<Instance> load_associated(Executor& executor, const Association& association,
                                      const Param& key, const IncludeOptions& options);

// `{"a","b"}`: an array literal of text values, bound as one parameter for `= ANY($n)`.
std::string array_literal(const std::vector<std::string>& values);

}  // namespace pgtally::orm
