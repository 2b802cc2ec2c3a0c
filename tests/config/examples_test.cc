// Every example config shipped under config/ loads and validates.
#include "pipeline/program.h"
#include "tests/testing.h"

namespace drift {
namespace {

TEST_CASE("every example config under config/ is valid") {
  size_t found = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(testing::SourceDir() + "/config")) {
    if (entry.path().filename() != "drift.yaml") continue;
    ++found;
    Diagnostics diags;
    LoadOptions lo;
    lo.create_key = false;
    auto p = LoadProgram(entry.path().string(), diags, lo);
    for (const auto& d : diags.Sorted()) INFO(d.ToString());
    CHECK_MESSAGE(p != nullptr, entry.path().string());
    CHECK(diags.Sorted().empty());
  }
  CHECK(found >= 1);
}

}  // namespace
}  // namespace drift
