// RunCheck over a loaded Program: immutable, so checks may share it; the store records only
// whole checks.
#include "pipeline/program.h"

#include <thread>

#include "state/store.h"
#include "tests/testing.h"

namespace drift {
namespace {

using testing::TempDir;

std::unique_ptr<Program> Load(TempDir& dir, const std::string& extra = "") {
  dir.write("prod.yaml", "a: 1\nb: [1, 2]\n");
  dir.write("stage.yaml", "a: 2\nb: [1, 3]\n");
  dir.write("sandbox.yaml", "a: 1\nb: [1, 2]\nc: new\n");
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage, sandbox]
services:
  app:
    owner: team-app
    sources:
      conf: {type: file, path: "{env}.yaml"}
)" + extra);
  Diagnostics d;
  auto p = LoadProgram(cfg, d);
  REQUIRE(p);
  return p;
}

std::vector<std::string> Brief(const CheckReport& r) {
  std::vector<std::string> out;
  for (const auto& f : r.findings) out.push_back(f.path + " " + f.env + " " + std::string(FindingKindName(f.kind)));
  return out;
}

TEST_CASE("program: checks share one Program, concurrently, with the same findings") {
  TempDir dir;
  auto p = Load(dir);
  std::vector<std::string> expected{"conf.a stage changed", "conf.b[1] stage changed",
                                    "conf.c sandbox extra"};
  CHECK(Brief(RunCheck(*p, {})) == expected);
  Executor executor(2);
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> checks;
  for (size_t i = 0; i < got.size(); ++i)
    checks.emplace_back([&, i] {
      CheckOptions o;
      o.executor = i % 2 ? &executor : nullptr;  // a shared executor, or one per check
      got[i] = Brief(RunCheck(*p, o));
    });
  for (auto& t : checks) t.join();
  for (const auto& g : got) CHECK(g == expected);
}

TEST_CASE("program: a check limited to some envs does not touch the state store") {
  TempDir dir;
  auto p = Load(dir, "state: {path: s.db}\n");
  CheckOptions some;
  some.envs = {"stage"};
  auto r = RunCheck(*p, some);
  CHECK(Brief(r) == std::vector<std::string>{"conf.a stage changed", "conf.b[1] stage changed"});
  CHECK(r.record_seconds == 0);
  auto store = Store::Open(dir.file("s.db"));
  REQUIRE(store.ok());
  CHECK((*store)->LatestSnapshots().empty());
  RunCheck(*p, {});
  CHECK((*store)->LatestSnapshots().size() == 3);
  CHECK((*store)->OpenFindings("app", "conf").size() == 3);
}

TEST_CASE("program: a check's executor is sized for waiting collectors, within max_concurrency") {
  Config c;
  c.defaults.max_concurrency = 3;
  CHECK(CheckWorkers(c) == std::min<size_t>(3, std::max<size_t>(2, Executor::Cores() * 2)));
  c.defaults.max_concurrency = 64;
  CHECK(CheckWorkers(c) == std::max<size_t>(2, Executor::Cores() * 2));
}

}  // namespace
}  // namespace drift
