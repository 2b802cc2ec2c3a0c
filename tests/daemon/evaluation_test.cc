// A daemon group evaluation without a daemon: findings, stale ones while a source is down,
// and the store giving them back to a restarted daemon.
#include "daemon/evaluation.h"

#include "core/parse.h"
#include "tests/testing.h"

namespace drift {
namespace {

using testing::TempDir;

struct Fleet {
  TempDir dir;
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
services:
  app:
    owner: team-app
    sources:
      conf: {type: file, path: "{env}.json"}
)");
  std::shared_ptr<Generation> Build() {
    Diagnostics d;
    auto p = LoadProgram(cfg, d);
    REQUIRE(p);
    return BuildGeneration(std::shared_ptr<Program>(std::move(p)), 1, 0, 1,
                           std::chrono::steady_clock::now());
  }
};

void Collect(Generation& g, const std::string& env, Result<Document> r, const std::string& at) {
  std::string hash = r.ok() ? SnapshotHash(r.value()) : "";
  for (size_t i = 0; i < g.targets.size(); ++i)
    if (g.program->config.environments[g.targets[i]->env].name == env)
      (void)g.Collected(i, std::move(r), hash, 0, at);
}

TEST_CASE("evaluation: findings of a group, then kept stale while stage is down") {
  Fleet fleet;
  auto g = fleet.Build();
  Collect(*g, "prod", ParseJson(R"({"workers": 4, "debug": false})", {}), "t1");
  Collect(*g, "stage", ParseJson(R"({"workers": 2, "debug": false})", {}), "t1");
  auto in = PrepareEvaluation(*g, 0);
  CHECK_FALSE(in.any_unknown);
  auto done = EvaluateGroup(*g, 0, std::move(in), nullptr, true, "2026-11-30T12:00:00Z");
  REQUIRE(done.findings.size() == 1);
  CHECK(done.findings[0].path == "conf.workers");
  CHECK(done.findings[0].owner == "team-app");
  CHECK(done.findings[0].first_seen == "2026-11-30T12:00:00Z");
  CHECK(done.envs == std::vector<std::string>{"prod", "stage"});
  g->groups[0].findings = done.findings;

  Collect(*g, "stage", Error{"refused", {}}, "2026-11-30T12:05:00Z");
  auto down = PrepareEvaluation(*g, 0);
  CHECK(down.any_unknown);
  CHECK(down.unknown_since[1] == "2026-11-30T12:05:00Z");
  CHECK(down.previous.size() == 1);
  auto kept = EvaluateGroup(*g, 0, std::move(down), nullptr, true, "2026-11-30T12:06:00Z");
  REQUIRE(kept.findings.size() == 1);
  CHECK(kept.findings[0].stale);
  CHECK(kept.findings[0].unknown_since == "2026-11-30T12:05:00Z");
  CHECK(kept.findings[0].first_seen == "2026-11-30T12:00:00Z");
  CHECK(kept.envs == std::vector<std::string>{"prod"});
}

TEST_CASE("evaluation: a restarted daemon gets the stale findings from the store") {
  Fleet fleet;
  auto store_path = fleet.dir.file("s.db");
  {
    auto store = Store::Open(store_path);
    REQUIRE(store.ok());
    StoreWriter writer(std::move(*store));
    auto g = fleet.Build();
    Collect(*g, "prod", ParseJson(R"({"workers": 4})", {}), "t1");
    Collect(*g, "stage", ParseJson(R"({"workers": 2})", {}), "t1");
    auto done = EvaluateGroup(*g, 0, PrepareEvaluation(*g, 0), &writer, true, "2026-11-30T12:00:00Z");
    CHECK(done.findings.size() == 1);
    // An overtaken evaluation (record: false) writes nothing: the finding stays as it was.
    Collect(*g, "stage", ParseJson(R"({"workers": 4})", {}), "t2");
    auto overtaken = EvaluateGroup(*g, 0, PrepareEvaluation(*g, 0), &writer, false, "2026-11-30T12:01:00Z");
    CHECK(overtaken.findings.empty());
  }
  auto store = Store::Open(store_path);
  REQUIRE(store.ok());
  StoreWriter writer(std::move(*store));
  auto g = fleet.Build();  // restarted: nothing held, stage down from the start
  Collect(*g, "prod", ParseJson(R"({"workers": 4})", {}), "t3");
  Collect(*g, "stage", Error{"refused", {}}, "2026-11-30T13:00:00Z");
  auto in = PrepareEvaluation(*g, 0);
  CHECK(in.previous.empty());
  auto done = EvaluateGroup(*g, 0, std::move(in), &writer, true, "2026-11-30T13:00:01Z");
  REQUIRE(done.findings.size() == 1);
  CHECK(done.findings[0].path == "conf.workers");
  CHECK(done.findings[0].stale);
  CHECK(done.findings[0].first_seen == "2026-11-30T12:00:00Z");
  CHECK(writer.OpenFindings("app", "conf").size() == 1);  // kept open, not resolved
}

}  // namespace
}  // namespace drift
