// A daemon generation without a daemon: shards, groups, carrying state over a reload,
// the report and readiness it gives.
#include "daemon/generation.h"

#include <set>

#include "core/parse.h"
#include "core/strings.h"

#include "tests/testing.h"

namespace drift {
namespace {

using testing::TempDir;

std::shared_ptr<Program> Load(const std::string& path) {
  Diagnostics d;
  auto p = LoadProgram(path, d);
  REQUIRE(p);
  return std::shared_ptr<Program>(std::move(p));
}

std::string Config(const std::string& flags_path) {
  return R"(version: 1
environments: [prod, stage]
services:
  lms:
    owner: team-learning
    sources:
      settings: {type: file, path: "{env}.yaml"}
      flags: {type: file, path: ")" + flags_path + R"("}
  cms:
    sources:
      settings: {type: file, path: "{env}.yaml"}
  discovery:
    owner: team-search
    sources:
      settings: {type: file, path: "{env}.yaml"}
)";
}

TEST_CASE("generation: shards split the services, each target in its (service, source) group") {
  TempDir dir;
  auto program = Load(dir.write("drift.yaml", Config("{env}-flags.yaml")));
  auto now = std::chrono::steady_clock::now();
  auto all = BuildGeneration(program, 1, 0, 1, now);
  CHECK(all->targets.size() == 8);
  CHECK(all->groups.size() == 4);
  CHECK(all->unowned_services() == 1);  // cms
  for (size_t i = 0; i < all->targets.size(); ++i) {
    const auto& grp = all->groups[all->group_of[i]];
    CHECK(grp.service == all->targets[i]->service);
    CHECK(grp.source == all->targets[i]->source);
  }
  std::multiset<std::string> sharded;
  for (int shard = 0; shard < 2; ++shard) {
    auto g = BuildGeneration(program, 2, shard, 2, now);
    std::set<std::string> services;
    for (const auto* t : g->targets) {
      services.insert(t->service->name);
      sharded.insert(t->service->name + "/" + t->source->name + "/" +
                     program->config.environments[t->env].name);
    }
    for (const auto& s : services) CHECK(Fnv1a64(s) % 2 == static_cast<uint64_t>(shard));
  }
  CHECK(sharded.size() == 8);
  CHECK(std::set<std::string>(sharded.begin(), sharded.end()).size() == 8);  // each once
}

TEST_CASE("generation: a reload carries unchanged sources' state and findings, not changed ones") {
  TempDir dir;
  auto cfg = dir.write("drift.yaml", Config("{env}-flags.yaml"));
  auto now = std::chrono::steady_clock::now();
  auto old = BuildGeneration(Load(cfg), 1, 0, 1, now);
  CHECK_FALSE(old->all_tried());
  CHECK(old->Progress() == "0/8 sources tried");
  for (size_t i = 0; i < old->targets.size(); ++i) {
    old->states[i].tried = true;
    old->states[i].hash = "h" + std::to_string(i);
    old->states[i].last_error = i == 0 ? "refused" : "";
  }
  old->tried_count = old->targets.size();  // as Collected counts them
  for (auto& grp : old->groups) {
    Finding f;
    f.service = grp.service->name;
    f.source = grp.source->name;
    f.path = grp.source->name + ".a";
    f.env = "stage";
    f.severity = grp.service->name == "lms" ? Severity::kCritical : Severity::kWarning;
    grp.findings.push_back(f);
  }
  CHECK(old->all_tried());
  auto report = old->Report("", "", "", "2026-11-30T12:00:00Z");
  CHECK(report.findings.size() == 4);
  CHECK(report.sources == 8);
  CHECK(report.sources_failed == 1);
  CHECK(old->Report("lms", "", "", "t").findings.size() == 2);
  CHECK(old->Report("", "prod", "", "t").findings.empty());
  CHECK(old->Report("", "", "critical", "t").findings.size() == 2);
  // lms/flags now reads other files: its targets start afresh, the rest keep their state.
  dir.write("drift.yaml", Config("{env}-flags-v2.yaml"));
  auto g = BuildGeneration(Load(cfg), 2, 0, 1, now);
  auto carried = CarryOver(*old, *g, now);
  CHECK(carried.size() == 3);
  size_t fresh = 0;
  for (size_t i = 0; i < g->targets.size(); ++i) {
    bool flags = g->targets[i]->service->name == "lms" && g->targets[i]->source->name == "flags";
    CHECK(g->states[i].tried == !flags);
    fresh += flags ? 1 : 0;
  }
  CHECK(fresh == 2);
  CHECK(g->Progress() == "6/8 sources tried");
  for (const auto& grp : g->groups) {
    bool flags = grp.service->name == "lms" && grp.source->name == "flags";
    CHECK(grp.findings.size() == (flags ? 0u : 1u));
  }
  auto sources = g->Sources();
  REQUIRE(sources.size() == 8);
  CHECK(sources[0].service == "lms");
  CHECK(sources[0].last_error == "refused");
  CHECK_FALSE(sources[0].up());
}

TEST_CASE("generation: what a collection changes (snapshot, unknown, recovery)") {
  TempDir dir;
  auto g = BuildGeneration(Load(dir.write("drift.yaml", Config("{env}-flags.yaml"))), 1, 0, 1,
                           std::chrono::steady_clock::now());
  auto doc = []() -> Result<Document> { return ParseJson(R"({"a": 1})", {}); };
  auto first = g->Collected(0, doc(), "h1", 0.5, "t1");
  CHECK(first.first);
  CHECK(first.changed);
  CHECK_FALSE(first.error_changed);
  CHECK_FALSE(first.released);
  CHECK(g->states[0].last_success == "t1");
  CHECK(g->states[0].duration == 0.5);
  auto same = g->Collected(0, doc(), "h1", 0.1, "t2");  // the same content: nothing to evaluate
  CHECK_FALSE(same.first);
  CHECK_FALSE(same.changed);
  CHECK(same.released);  // the new copy replaced the held one
  auto unchanged = g->Collected(0, Document::Unchanged("d"), "", 0.1, "t3");
  CHECK_FALSE(unchanged.changed);
  CHECK(g->states[0].doc);
  CHECK(g->states[0].hash == "h1");
  // Held packed once its group is evaluated: still held, still "unchanged" to its collector.
  {
    Result<Document> d = doc();
    d.value().set_raw_digest("raw1");
    auto packed = PackedDocument::Pack(d.value());
    g->Collected(0, std::move(d), "h2", 0.1, "t3", packed);
    CHECK(g->states[0].raw_digest == "raw1");
    auto released = g->Idle(g->group_of[0]);
    CHECK(released.size() == 1);
    CHECK_FALSE(g->states[0].doc);
    CHECK(g->states[0].held());
    CHECK(g->Idle(g->group_of[0]).empty());
    auto still = g->Collected(0, Document::Unchanged("raw1"), "", 0.1, "t3");
    CHECK_FALSE(still.changed);
    CHECK(g->states[0].last_error.empty());
    CHECK(DumpJson(ToJson(g->states[0].packed->Unpack(), 0)) == R"({"a":1})");
  }
  auto failed = g->Collected(0, Error{"refused", {}}, "", 2, "t4");
  CHECK(failed.changed);  // became unknown
  CHECK(failed.error_changed);
  CHECK(failed.newly_failing);
  CHECK_FALSE(failed.released);  // it was held packed only
  CHECK_FALSE(g->states[0].held());
  CHECK(g->states[0].raw_digest.empty());
  CHECK(g->states[0].unknown_since == "t4");
  auto again = g->Collected(0, Error{"refused", {}}, "", 2, "t5");
  CHECK_FALSE(again.changed);
  CHECK_FALSE(again.error_changed);
  CHECK_FALSE(again.newly_failing);
  CHECK(g->states[0].unknown_since == "t4");  // since the first failure
  auto other = g->Collected(0, Error{"timeout", {}}, "", 2, "t6");
  CHECK(other.error_changed);
  CHECK_FALSE(other.newly_failing);
  auto back = g->Collected(0, doc(), "h1", 0.2, "t7");
  CHECK(back.changed);
  CHECK(back.error_changed);
  CHECK(g->states[0].unknown_since.empty());
  // A collector claiming "unchanged" with nothing held is an error, never a blank snapshot.
  auto bad = g->Collected(1, Document::Unchanged("d"), "", 0.1, "t8");
  CHECK(bad.first);
  CHECK(g->states[1].last_error == "internal: unchanged input reported without a held snapshot");
}

}  // namespace
}  // namespace drift
