// The storefront sample's programs that `pgtally demo` runs: they are built from orm/ and run as
// processes, so pgtally itself never links the ORM.
#pragma once

#include <filesystem>
#include <string>

namespace pgtally {

struct SamplePrograms {
  std::filesystem::path migrate;  // storefront-migrate
  std::filesystem::path service;  // pgtally-storefront
  std::filesystem::path load;     // pgtally-storefront-load
};

// Looks in `sample_dir` when given, else beside `pgtally` (an install) and where a CMake build
// tree puts them relative to it. Throws std::runtime_error naming what is missing and the
// command that builds it.
[[nodiscard]] SamplePrograms find_sample_programs(const std::filesystem::path& pgtally,
                                                  const std::string& sample_dir);

}  // namespace pgtally
