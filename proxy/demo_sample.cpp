#include "proxy/demo_sample.hpp"

#include <unistd.h>

#include <stdexcept>
#include <system_error>
#include <vector>

#include <fmt/format.h>

namespace pgtally {
namespace {

namespace fs = std::filesystem;

bool executable(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

SamplePrograms find_sample_programs(const fs::path& pgtally, const std::string& sample_dir) {
  std::vector<fs::path> dirs;
  if (!sample_dir.empty()) {
    dirs.emplace_back(sample_dir);
  } else {
    const fs::path bin = pgtally.parent_path();
    // An install puts them beside pgtally; a build tree under orm/ next to proxy/.
    dirs = {bin, bin.parent_path() / "orm", bin.parent_path() / "orm" / "storefront" / "service"};
  }
  std::vector<std::string> missing;
  const auto find = [&](const char* name) {
    for (const auto& dir : dirs) {
      if (executable(dir / name)) return dir / name;
    }
    missing.emplace_back(name);
    return fs::path{};
  };
  SamplePrograms programs{find("storefront-migrate"), find("pgtally-storefront"),
                          find("pgtally-storefront-load")};
  if (!missing.empty()) {
    std::vector<std::string> looked;
    looked.reserve(dirs.size());
    for (const auto& dir : dirs)
      looked.push_back(dir.string());
    throw std::runtime_error(fmt::format(
        "the storefront sample's programs ({}) are not in {}; build them with `cmake --build "
        "<build dir> --target {}`, or name their directory with --sample-dir",
        fmt::join(missing, ", "), fmt::join(looked, " or "), fmt::join(missing, " ")));
  }
  return programs;
}

}  // namespace pgtally
