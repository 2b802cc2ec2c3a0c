// The docs follow the registries: every source type, expectation, normalizer and output
// format drift knows is documented where users look for it.
#include "collectors/builtin.h"
#include "outputs/sink.h"
#include "rules/expectation.h"
#include "rules/normalizer.h"
#include "tests/testing.h"

#include <filesystem>

namespace drift {
namespace {

std::string Doc(const std::string& name) {
  return testing::ReadFile(std::string(DRIFT_SOURCE_DIR) + "/docs/" + name);
}

TEST_CASE("docs: every registered source type, expectation, normalizer and format is documented") {
  std::string config = Doc("configuration.md"), output = Doc("output.md");
  for (const auto& t : BuiltinCollectors()) {
    INFO("source type ", t.name);
    CHECK(config.find("### `type: " + std::string(t.name) + "`") != std::string::npos);
  }
  std::string expectations = config.substr(config.find("### Expectations"));
  for (const auto& e : BuiltinExpectations()) {
    INFO("expectation ", e.name);
    std::string n(e.name);
    CHECK((expectations.find("`" + n + "`") != std::string::npos ||
           expectations.find("`{" + n + ":") != std::string::npos));
  }
  std::string normalizers = config.substr(config.find("### Normalizers"));
  for (const auto& n : BuiltinNormalizers()) {
    INFO("normalizer ", n.name);
    std::string name(n.name);
    CHECK((normalizers.find("`" + name + "`") != std::string::npos ||
           normalizers.find("`{" + name + ":") != std::string::npos));
  }
  for (const auto& s : BuiltinSinks()) {
    INFO("format ", s.name);
    CHECK(output.find("| `" + std::string(s.name) + "` |") != std::string::npos);
  }
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

// Users' clones have nothing outside the repository: every relative link of the README and
// docs/ resolves inside it, and nothing points at the contract document they do not have.
TEST_CASE("docs: the README and docs/ stand alone") {
  namespace fs = std::filesystem;
  std::vector<fs::path> files{fs::path(DRIFT_SOURCE_DIR) / "README.md"};
  for (const auto& e : fs::directory_iterator(fs::path(DRIFT_SOURCE_DIR) / "docs"))
    if (e.path().extension() == ".md") files.push_back(e.path());
  for (const auto& file : files) {
    std::string text = testing::ReadFile(file.string());
    INFO(file.string());
    CHECK(text.find("SPEC") == std::string::npos);
    CHECK(text.find("../shared") == std::string::npos);
    for (size_t at = text.find("]("); at != std::string::npos; at = text.find("](", at + 2)) {
      std::string target = text.substr(at + 2, text.find(')', at) - at - 2);
      if (target.starts_with("http://") || target.starts_with("https://") || target.starts_with("#"))
        continue;
      target = target.substr(0, target.find('#'));
      INFO(target);
      fs::path resolved = fs::weakly_canonical(file.parent_path() / target);
      CHECK(fs::exists(resolved));
      CHECK(resolved.string().starts_with(fs::weakly_canonical(DRIFT_SOURCE_DIR).string()));
    }
  }
}

}  // namespace
}  // namespace drift
