#include "state/store.h"

#include <nlohmann/json.hpp>

#include "pipeline/program.h"
#include "tests/testing.h"

namespace drift {
namespace {

using testing::ReadFile;
using testing::Run;
using testing::TempDir;

std::chrono::system_clock::time_point At(int hour) {
  return std::chrono::sys_days(std::chrono::year(2026) / 11 / 27) + std::chrono::hours(hour);
}

struct Fixture {
  TempDir dir;
  std::string cfg;
  Fixture() {
    cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
state: {path: state/drift.db}
services:
  app: {sources: {conf: {type: file, path: "{env}.yaml"}}}
)");
    std::filesystem::create_directories(dir.file("state"));
    dir.write("prod.yaml", "a: 1\nb: 1\nDB_PASSWORD: prod-pw-secret\n");
  }
  CheckReport Check(int hour) {
    Diagnostics d;
    auto p = LoadProgram(cfg, d);
    REQUIRE(p);
    CheckOptions o;
    o.now = At(hour);
    return RunCheck(*p, o);
  }
};

TEST_CASE("first_seen survives runs, gone findings resolve, unknown is not resolved") {
  Fixture fx;
  fx.dir.write("stage.yaml", "a: 2\nb: 1\nDB_PASSWORD: stage-pw-secret\n");
  auto r1 = fx.Check(1);
  REQUIRE(r1.findings.size() == 2);
  CHECK(r1.findings[1].path == "conf.a");
  CHECK(r1.findings[1].first_seen == "2026-11-27T01:00:00Z");

  fx.dir.write("stage.yaml", "a: 2\nb: 2\nDB_PASSWORD: stage-pw-secret\n");
  auto r2 = fx.Check(2);
  REQUIRE(r2.findings.size() == 3);
  CHECK(r2.findings[1].path == "conf.a");
  CHECK(r2.findings[1].first_seen == "2026-11-27T01:00:00Z");  // since when: the first run
  CHECK(r2.findings[2].first_seen == "2026-11-27T02:00:00Z");

  std::filesystem::remove(fx.dir.file("stage.yaml"));  // unknown: nothing resolves
  fx.Check(3);
  auto store = Store::Open(fx.dir.file("state/drift.db"));
  REQUIRE(store.ok());
  auto a = (*store)->FindingById(r1.findings[1].id);
  REQUIRE(a);
  CHECK(a->resolved_at == "");
  CHECK(a->last_seen == "2026-11-27T02:00:00Z");

  fx.dir.write("stage.yaml", "a: 1\nb: 2\nDB_PASSWORD: stage-pw-secret\n");  // a is fixed
  fx.Check(4);
  a = (*store)->FindingById(r1.findings[1].id);
  CHECK(a->resolved_at == "2026-11-27T04:00:00Z");
  fx.dir.write("stage.yaml", "a: 3\nb: 2\nDB_PASSWORD: stage-pw-secret\n");  // and back
  auto r5 = fx.Check(5);
  CHECK(r5.findings[1].first_seen == "2026-11-27T05:00:00Z");
  auto earlier = (*store)->FindingHistory(r1.findings[1].id);
  REQUIRE(earlier.size() == 1);
  CHECK(earlier[0].first_seen == "2026-11-27T01:00:00Z");
  CHECK(earlier[0].resolved_at == "2026-11-27T04:00:00Z");
  CHECK((*store)->IntegrityCheck() == "ok");

  // Secrets are stored only as fingerprints.
  store = Result<std::unique_ptr<Store>>(MakeError("closed"));
  std::string bytes = ReadFile(fx.dir.file("state/drift.db")) + ReadFile(fx.dir.file("state/drift.db-wal"));
  CHECK(bytes.find("pw-secret") == std::string::npos);
  CHECK(bytes.find("hmac:") != std::string::npos);
}

TEST_CASE("drift history: a finding, and a path's values over time") {
  Fixture fx;
  fx.dir.write("stage.yaml", "a: 2\nb: 1\nDB_PASSWORD: x\n");
  auto r1 = fx.Check(1);
  fx.dir.write("stage.yaml", "a: 5\nb: 1\nDB_PASSWORD: x\n");
  fx.Check(2);
  std::string id = r1.findings[1].id;
  auto h = Run({"history", "-c", fx.cfg, "--finding", id, "--format", "json"});
  CHECK(h.code == 0);
  auto j = nlohmann::json::parse(h.out)["finding"];
  CHECK(j["path"] == "conf.a");
  CHECK(j["first_seen"] == "2026-11-27T01:00:00Z");
  CHECK(j["last_seen"] == "2026-11-27T02:00:00Z");
  CHECK(j["resolved_at"].is_null());
  CHECK(j["value"] == 5);
  auto p = Run({"history", "-c", fx.cfg, "--service", "app", "--path", "conf.a"});
  CHECK(p.code == 0);
  CHECK(p.out == "app conf.a\n  findings:\n    stage  changed  default  open since "
                 "2026-11-27T01:00:00Z  [" + id + "]\n  values over time:\n"
                 "    2026-11-27T01:00:00Z  prod  1\n    2026-11-27T01:00:00Z  stage  2\n"
                 "    2026-11-27T02:00:00Z  stage  5\n");
  CHECK(Run({"history", "-c", fx.cfg, "--finding", "0000000000000000"}).code == 1);
  CHECK(Run({"history", "-c", fx.cfg}).code == 2);
}

TEST_CASE("schema versions: a new store migrates, a newer one is refused") {
  TempDir dir;
  {
    auto s = Store::Open(dir.file("s.db"));
    REQUIRE(s.ok());
  }
  auto again = Store::Open(dir.file("s.db"));
  REQUIRE(again.ok());
  CHECK((*again)->IntegrityCheck() == "ok");
  {
    // Version 2 added the index open findings are resolved by.
    sqlite3* db;
    sqlite3_open(dir.file("s.db").c_str(), &db);
    sqlite3_stmt* q;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name='findings_open'", -1, &q,
                       nullptr);
    REQUIRE(sqlite3_step(q) == SQLITE_ROW);
    CHECK(sqlite3_column_int(q, 0) == 1);
    sqlite3_finalize(q);
    sqlite3_close(db);
  }
  again = Result<std::unique_ptr<Store>>(MakeError("closed"));
  sqlite3* db;
  sqlite3_open(dir.file("s.db").c_str(), &db);
  sqlite3_exec(db, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto newer = Store::Open(dir.file("s.db"));
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.error().message.find("schema version 99, newer than this drift understands (2)") !=
        std::string::npos);
}

}  // namespace
}  // namespace drift
