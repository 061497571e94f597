// Splits the text of a simple-protocol Query into its statements at top-level semicolons, as
// PostgreSQL runs them (one CommandComplete each), minding quotes, dollar quotes and comments.
#pragma once

#include <string_view>
#include <vector>

namespace pgtally {

// Views into `text`. Empty statements are dropped; a trailing part with only comments (a
// sqlcommenter tag after the last semicolon) stays with the statement before it.
std::vector<std::string_view> split_statements(std::string_view text);

}  // namespace pgtally
