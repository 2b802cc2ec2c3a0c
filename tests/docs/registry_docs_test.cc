// The docs follow the registries: every source type, expectation, normalizer and output
// format drift knows is documented where users look for it.
#include "collectors/builtin.h"
#include "outputs/sink.h"
#include "rules/expectation.h"
#include "rules/normalizer.h"
#include "tests/testing.h"

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
