#include "orm/model.hpp"

namespace pgtally::orm {

std::string to_snake_case(std::string_view camel) {
  std::string out;
  out.reserve(camel.size() + 4);
  for (std::size_t i = 0; i < camel.size(); ++i) {
    const char c = camel[i];
    if (c >= 'A' && c <= 'Z') {
      if (i > 0 && camel[i - 1] != '_') out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace pgtally::orm
