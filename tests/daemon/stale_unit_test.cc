// KeepStale without a daemon: which findings an unknown source keeps, drops and marks.
#include "daemon/stale.h"

#include "tests/testing.h"

namespace drift {
namespace {

Finding Make(const std::string& path, const std::string& env, const std::string& with_env = "") {
  Finding f;
  f.service = "app";
  f.source = "conf";
  f.path = path;
  f.env = env;
  f.with_env = with_env;
  f.id = FindingId(f.service, f.source, f.path, f.env, "default");
  return f;
}

Config ThreeEnvs() {
  Config c;
  for (const char* n : {"prod", "stage", "sandbox"}) {
    EnvironmentConfig e;
    e.name = n;
    c.environments.push_back(e);
  }
  return c;
}

TEST_CASE("KeepStale: every source known clears what was kept and keeps the fresh findings") {
  Config c = ThreeEnvs();
  std::vector<Finding> previous{Make("a", "stage")}, fresh{Make("b", "stage")};
  CHECK(KeepStale(c, 0, {"", "", ""}, previous, fresh).empty());
  CHECK(previous.empty());
  REQUIRE(fresh.size() == 1);
  CHECK(fresh[0].path == "b");
}

TEST_CASE("KeepStale: an env down keeps its old findings stale and drops its fresh ones") {
  Config c = ThreeEnvs();
  Finding old_stage = Make("a", "stage"), old_sandbox = Make("a", "sandbox"),
          old_pair = Make("x", "sandbox", "stage");
  std::vector<Finding> previous{old_stage, old_sandbox, old_pair};
  std::vector<Finding> fresh{Make("b", "stage"), Make("b", "sandbox")};
  auto keep = KeepStale(c, 0, {"", "2026-11-30T10:00:00Z", ""}, previous, fresh);
  // stage is down: its findings and the differ pair naming it are kept, sandbox's are not.
  CHECK(keep == std::vector<std::string>{old_stage.id, old_pair.id});
  REQUIRE(previous.size() == 2);
  CHECK(previous[0].stale);
  CHECK(previous[0].unknown_since == "2026-11-30T10:00:00Z");
  CHECK(previous[1].path == "x");
  REQUIRE(fresh.size() == 1);  // nothing new is made from an unknown source
  CHECK(fresh[0].env == "sandbox");
  // Still down later: unknown_since stays the first failure's time.
  std::vector<Finding> none;
  KeepStale(c, 0, {"", "2026-11-30T11:00:00Z", ""}, previous, none);
  CHECK(previous[0].unknown_since == "2026-11-30T10:00:00Z");
}

TEST_CASE("KeepStale: the baseline down keeps every env's findings, since the earliest failure") {
  Config c = ThreeEnvs();
  std::vector<Finding> previous{Make("a", "stage"), Make("a", "sandbox")};
  std::vector<Finding> fresh{Make("c", "stage")};
  auto keep = KeepStale(c, 0, {"2026-11-30T09:00:00Z", "", "2026-11-30T08:00:00Z"}, previous, fresh);
  CHECK(keep.size() == 2);
  CHECK(fresh.empty());
  CHECK(previous[0].unknown_since == "2026-11-30T09:00:00Z");
  CHECK(previous[1].unknown_since == "2026-11-30T08:00:00Z");
}

}  // namespace
}  // namespace drift
