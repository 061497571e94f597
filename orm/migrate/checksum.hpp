// SHA-256 (OpenSSL) of migration sources, as lower-case hex: the value the meta table keeps
// for each applied migration, compared on every run to catch an edited migration.
#pragma once

#include <string>
#include <string_view>

namespace pgtally::orm::migrate {

[[nodiscard]] std::string sha256_hex(std::string_view data);

}  // namespace pgtally::orm::migrate
