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

TEST_CASE("store: a check of 100 findings writes each row once, in batches and one by one") {
  // 100 rows: three statements of 32 rows and four of one; every column of every row as the
  // finding says.
  Fixture fx;
  std::string prod, stage;
  for (int i = 0; i < 100; ++i) {
    prod += "k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
    stage += "k" + std::to_string(i) + ": " + std::to_string(i + 1000) + "\n";
  }
  fx.dir.write("prod.yaml", prod);
  fx.dir.write("stage.yaml", stage);
  auto r1 = fx.Check(1);
  REQUIRE(r1.findings.size() == 100);
  std::string expected_values, expected_paths;
  std::vector<const Finding*> by_id;
  for (const auto& f : r1.findings) by_id.push_back(&f);
  std::sort(by_id.begin(), by_id.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (const Finding* f : by_id) {
    expected_values += f->id + "=" + DumpJson(*f->baseline_value) + ">" + DumpJson(*f->value) + " ";
    expected_paths += f->id + "=" + f->path + "/" + f->env + "/" + f->rule + "/changed/" +
                      std::string(SeverityName(f->severity)) + "/" + f->first_seen + " ";
  }
  CHECK(fx.Column("baseline_value || '>' || value") == expected_values);
  CHECK(fx.Column("path || '/' || env || '/' || rule || '/' || kind || '/' || severity || '/' || "
                  "first_seen") == expected_paths);
  std::string rest = fx.Column(
      "service || '/' || source || '/' || coalesce(resolved_at, 'open') || '/' || "
      "coalesce(with_env, '-') || '/' || coalesce(owner, '-') || '/' || redacted");
  size_t rows = 0;
  for (size_t at = 0; (at = rest.find("=app/conf/open/-/-/0 ", at)) != std::string::npos; ++at) ++rows;
  CHECK(rows == 100);
  // Nothing changed: nothing rewritten, first_seen kept.
  auto r2 = fx.Check(2);
  REQUIRE(r2.findings.size() == 100);
  for (const auto& f : r2.findings) CHECK(f.first_seen == "2026-11-27T01:00:00Z");
  CHECK(fx.Column("last_seen").find("02:00:00Z") == std::string::npos);
  auto store = Store::Open(fx.dir.file("state/drift.db"));
  REQUIRE(store.ok());
  CHECK((*store)->IntegrityCheck() == "ok");
}

TEST_CASE("store: a finding's stored values are DumpJson's text of them, whatever the value") {
  // The common scalars skip nlohmann's serializer; the text must be the same bytes, or every
  // stored digest would differ from the one computed next time.
  using J = nlohmann::ordered_json;
  std::vector<J> values = {
      J("plain"), J(""), J("with \"quote\""), J("back\\slash"), J("tab\there"),
      J(std::string("nul\0byte", 8)), J("del\x7f"), J("caf\xc3\xa9"), J("bad \xff utf-8"),
      J("\x1f"), J(" ~"), J(0), J(-1), J(INT64_MIN), J(INT64_MAX), J(UINT64_MAX), J(1.5),
      J(-0.0), J(1e300), J(true), J(false), J(nullptr), J::array({1, "a", nullptr}),
      J::object({{"k", "v"}, {"n", {1, 2}}}), J::array(), J::object()};
  for (const J& v : values) {
    Finding f;
    f.value = v;
    f.baseline_value = v;
    StoredValues s = StoredValuesOf(f);
    CHECK_MESSAGE(s.value == DumpJson(v), DumpJson(v));
    CHECK(s.baseline_value == DumpJson(v));
  }
  // Absent values store nothing, and absent is not the JSON null.
  Finding absent, null;
  null.value = J(nullptr);
  CHECK(StoredValuesOf(absent).value.empty());
  CHECK(StoredValuesOf(absent).digest != StoredValuesOf(null).digest);
}

TEST_CASE("store: MatchFindings keeps first_seen, writes only what changed, resolves what is gone") {
  auto finding = [](const std::string& path, const std::string& env, int value) {
    Finding f;
    f.service = "app";
    f.source = "conf";
    f.path = path;
    f.env = env;
    f.rule = "default";
    f.id = FindingId(f.service, f.source, f.path, f.env, f.rule);
    f.value = value;
    return f;
  };
  std::vector<Finding> before = {finding("conf.a", "stage", 1), finding("conf.b", "stage", 1),
                                  finding("conf.c", "stage", 1), finding("conf.d", "sandbox", 1),
                                  finding("conf.e", "stage", 1)};
  auto key = [](const std::string& id) { return std::stoull(id, nullptr, 16); };
  OpenFindingRecords open;
  open.envs = {"stage", "sandbox"};
  for (const Finding& f : before) {
    std::string first_seen = "2026-11-0" + std::string(1, f.path.back() - 'a' + '1') + "T00:00:00Z";
    open.records.push_back({key(f.id), static_cast<uint32_t>(open.first_seen.size()),
                            static_cast<uint32_t>(first_seen.size()), f.env == "stage" ? 0u : 1u,
                            StoredValuesOf(f).digest, true});
    open.first_seen += first_seen;
  }
  open.records[1].has_digest = false;  // conf.b: written before digests were kept
  // Now: a unchanged, b unchanged but without a digest, c changed, d gone in an env not
  // evaluated, e gone but kept (stale: its source is unknown), and x new.
  std::vector<Finding> now = {finding("conf.x", "stage", 1), finding("conf.a", "stage", 1),
                              finding("conf.b", "stage", 1), finding("conf.c", "stage", 2)};
  std::vector<StoredValues> values;
  for (const Finding& f : now) values.push_back(StoredValuesOf(f));
  FindingPlan plan = MatchFindings("app", "conf", {"stage"}, now, values, open,
                                   "2026-11-30T00:00:00Z", {before[4].id});
  CHECK(now[0].first_seen == "2026-11-30T00:00:00Z");
  CHECK(now[1].first_seen == "2026-11-01T00:00:00Z");
  CHECK(now[2].first_seen == "2026-11-02T00:00:00Z");
  CHECK(now[3].first_seen == "2026-11-03T00:00:00Z");
  // x (new), b (no digest) and c (changed) are written, in id order, with their values.
  std::vector<std::string> written, expected = {now[0].id, now[2].id, now[3].id};
  for (const auto& row : plan.rows) written.push_back(row.finding->id);
  std::sort(expected.begin(), expected.end());
  CHECK(written == expected);
  for (const auto& row : plan.rows) CHECK(row.value == DumpJson(*row.finding->value));
  CHECK(plan.resolved.empty());  // d: sandbox was not evaluated; e: kept
  // Everything but x gone, every env evaluated, nothing kept: all five resolve.
  values.clear();
  for (const Finding& f : now) values.push_back(StoredValuesOf(f));
  plan = MatchFindings("app", "conf", {"stage", "sandbox"}, std::span<Finding>(now).first(1),
                       std::span<StoredValues>(values).first(1), open, "2026-11-30T00:00:00Z");
  std::vector<std::string> resolved = plan.resolved, gone;
  for (const Finding& f : before) gone.push_back(f.id);
  std::sort(resolved.begin(), resolved.end());
  std::sort(gone.begin(), gone.end());
  CHECK(resolved == gone);
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
