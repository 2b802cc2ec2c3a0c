// Helpers shared by the tests: temp dirs, files, in-process CLI runs, in-memory evaluation.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "core/parse.h"

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string out = "{";
    for (const auto& s : v) out += "\n  \"" + s + "\"";
    return (out + "\n}").c_str();
  }
};
}  // namespace doctest

namespace drift::testing {

// A fresh directory under /tmp, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "drift-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& rel) const { return path_ + "/" + rel; }
  std::string write(const std::string& rel, const std::string& content) const {
    std::string p = file(rel);
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct CliResult {
  int code;
  std::string out, err;
};

inline CliResult Run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = RunCli(args, out, err, false);
  return CliResult{code, out.str(), err.str()};
}

inline Document Yaml(const std::string& text) {
  ParseOptions o;
  o.origin = "test.yaml";
  auto d = ParseYaml(text, o);
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.error().ToString()));
  return std::move(d.value());
}

inline Document Json(const std::string& text) {
  ParseOptions o;
  o.origin = "test.json";
  auto d = ParseJson(text, o);
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.error().ToString()));
  return std::move(d.value());
}

// The source tree's root (for example configs and golden files).
inline std::string SourceDir() { return DRIFT_SOURCE_DIR; }

}  // namespace drift::testing
