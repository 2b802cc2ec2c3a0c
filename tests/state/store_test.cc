#include "state/store.h"

#include <sqlite3.h>

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
  Executor executor{2};  // outlives the reports
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
  CheckReport Check(int hour, bool background = false) {
    Diagnostics d;
    auto p = LoadProgram(cfg, d);
    REQUIRE(p);
    CheckOptions o;
    o.now = At(hour);
    o.record_in_background = background;
    o.executor = background ? &executor : nullptr;
    return RunCheck(*p, o);
  }
  // One column of every finding row, "id=value" sorted by id ("NULL" for null).
  std::string Column(const std::string& column) {
    sqlite3* db;
    REQUIRE(sqlite3_open(dir.file("state/drift.db").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* q;
    std::string sql = "SELECT id, " + column + " FROM findings ORDER BY id";
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) == SQLITE_OK);
    std::string out;
    while (sqlite3_step(q) == SQLITE_ROW) {
      auto* v = sqlite3_column_text(q, 1);
      out += std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, 0))) + "=" +
             (v ? reinterpret_cast<const char*>(v) : "NULL") + " ";
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return out;
  }
  void Sql(const std::string& sql) {
    sqlite3* db;
    REQUIRE(sqlite3_open(dir.file("state/drift.db").c_str(), &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
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

TEST_CASE("store: an unchanged finding is not written again, a changed one or one from before digests is") {
  Fixture fx;
  fx.dir.write("stage.yaml", "a: 2\nb: 3\nDB_PASSWORD: x\n");
  auto r1 = fx.Check(1);
  REQUIRE(r1.findings.size() == 3);
  std::string a = r1.findings[1].id, b = r1.findings[2].id;
  // A row's last_seen is written only with the row: it tells which rows a check wrote.
  auto written_at = [&](const std::string& id) {
    std::string col = fx.Column("last_seen");
    auto at = col.find(id + "=");
    REQUIRE(at != std::string::npos);
    return col.substr(at + id.size() + 1, 20);
  };
  fx.dir.write("stage.yaml", "a: 2\nb: 4\nDB_PASSWORD: x\n");  // b changes, a does not
  auto r2 = fx.Check(2);
  CHECK(written_at(a) == "2026-11-27T01:00:00Z");
  CHECK(written_at(b) == "2026-11-27T02:00:00Z");
  CHECK(r2.findings[1].first_seen == "2026-11-27T01:00:00Z");
  CHECK(r2.findings[2].first_seen == "2026-11-27T01:00:00Z");  // changed, still the same finding
  // Rows written before the digest existed (schema 2) have none: rewritten once, first_seen kept.
  fx.Sql("UPDATE findings SET digest = NULL WHERE id = '" + a + "'");
  auto r3 = fx.Check(3);
  CHECK(written_at(a) == "2026-11-27T03:00:00Z");
  CHECK(written_at(b) == "2026-11-27T02:00:00Z");
  CHECK(r3.findings[1].first_seen == "2026-11-27T01:00:00Z");
  CHECK(fx.Column("digest").find("NULL") == std::string::npos);
  // A finding whose id is not drift's (16 hex digits) is neither matched nor resolved.
  fx.Sql("INSERT INTO findings (id, service, source, path, env, rule, kind, severity, "
         "first_seen, last_seen) VALUES ('not-an-id', 'app', 'conf', 'conf.z', 'stage', 'default', "
         "'changed', 'warning', 'x', 'x')");
  fx.Check(4);
  CHECK(fx.Column("resolved_at").find("not-an-id=NULL") != std::string::npos);
  auto store = Store::Open(fx.dir.file("state/drift.db"));
  REQUIRE(store.ok());
  CHECK((*store)->IntegrityCheck() == "ok");
}

TEST_CASE("drift check records in the background: FinishRecording, or the report's end, waits") {
  Fixture fx;
  fx.dir.write("stage.yaml", "a: 2\nb: 3\nDB_PASSWORD: x\n");
  {
    auto r = fx.Check(1, true);
    REQUIRE(r.findings.size() == 3);
    CHECK(r.findings[1].first_seen == "2026-11-27T01:00:00Z");
    CHECK(r.recording);
    r.FinishRecording();
    CHECK_FALSE(r.recording);
    CHECK(r.warnings.empty());
    CHECK(fx.Column("first_seen").size() > 0);
  }
  fx.dir.write("stage.yaml", "a: 2\nb: 1\nDB_PASSWORD: x\n");  // b is fixed
  {
    auto r = fx.Check(2, true);
    REQUIRE(r.findings.size() == 2);
    CHECK(r.findings[1].first_seen == "2026-11-27T01:00:00Z");
  }  // not finished by hand: destroying the report waits for the writes
  CHECK(fx.Column("resolved_at").find("=2026-11-27T02:00:00Z") != std::string::npos);
  auto r3 = fx.Check(3, true);  // b's record resolved, a's kept its first_seen
  r3.FinishRecording();
  CHECK(r3.findings[1].first_seen == "2026-11-27T01:00:00Z");
  // Through the CLI, with --timings: the store's time is reported once the writes are done.
  auto c = Run({"check", "-c", fx.cfg, "--format", "json", "--fail-on", "never", "--timings"});
  CHECK(c.code == 0);
  CHECK(c.err.find("state store ") != std::string::npos);
  CHECK(nlohmann::json::parse(c.out)["findings"][1]["first_seen"] == "2026-11-27T01:00:00Z");
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
  CHECK(newer.error().message.find("schema version 99, newer than this drift understands (3)") !=
        std::string::npos);
}

}  // namespace
}  // namespace drift
