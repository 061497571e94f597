// A fresh directory for migration files, removed when the test ends.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace pgtally::orm::migrate::test {

class TempDir {
 public:
  TempDir() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "pgtally-migrate-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string str() const { return path_.string(); }
  void write(const std::string& file, const std::string& text) const {
    std::ofstream out(path_ / file);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + file);
  }
  // An .up.sql / .down.sql pair.
  void write_pair(const std::string& name, const std::string& up, const std::string& down) const {
    write(name + ".up.sql", up);
    write(name + ".down.sql", down);
  }
  void remove(const std::string& file) const { std::filesystem::remove(path_ / file); }

 private:
  std::filesystem::path path_;
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace pgtally::orm::migrate::test
