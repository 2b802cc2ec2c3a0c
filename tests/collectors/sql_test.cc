#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "tests/collectors/collectors_testing.h"
#include "tests/support/postgres.h"

namespace drift {
namespace {

using testing::AsJson;
using testing::BuildCollector;
using testing::Run;
using testing::TempDir;
using testing::TestPostgres;

void Sqlite(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, msg);
}

const char* kFlagsSchema =
    "CREATE TABLE waffle_flag (name TEXT PRIMARY KEY, everyone BOOLEAN, percent NUMERIC, note TEXT);";

// The flags of each env: the same table with different rows.
std::string FlagsData(const std::string& env) {
  if (env == "prod")
    return "INSERT INTO waffle_flag VALUES ('new_ui', false, 10.5, NULL), ('beta', true, 0, 'x');";
  if (env == "stage")
    return "INSERT INTO waffle_flag VALUES ('new_ui', true, 10.5, NULL), ('beta', true, 0, 'x'), "
           "('stage_only', false, 0, NULL);";
  return "INSERT INTO waffle_flag VALUES ('new_ui', false, 50, 'sandbox'), ('beta', true, 0, 'x');";
}

TEST_CASE("sql: SQLite files, typed values, key columns, read-only") {
  TempDir dir;
  Sqlite(dir.file("stage.db"),
         "CREATE TABLE t (org TEXT, name TEXT, n INTEGER, f REAL, s TEXT, z);"
         "INSERT INTO t VALUES ('o1', 'a', 1, 1.5, 'x', NULL), ('o1', 'b', 2, 2.5, 'y', NULL), "
         "('o2', 'a', 3, 3.5, 'z', NULL);");
  auto keyed = BuildCollector(dir, "{type: sql, driver: sqlite, dsn: \"{env}.db\", query: "
                                   "\"SELECT * FROM t ORDER BY org, name\", key: [org, name]}");
  CHECK(AsJson(*keyed->Collect()) ==
        R"({"o1":{"a":{"n":1,"f":1.5,"s":"x","z":null},"b":{"n":2,"f":2.5,"s":"y","z":null}},)"
        R"("o2":{"a":{"n":3,"f":3.5,"s":"z","z":null}}})");
  auto rows = BuildCollector(dir, "{type: sql, driver: sqlite, dsn: stage.db, query: "
                                  "\"SELECT n FROM t ORDER BY n\"}");
  CHECK(AsJson(*rows->Collect()) == R"([{"n":1},{"n":2},{"n":3}])");
  auto dup = BuildCollector(dir, "{type: sql, driver: sqlite, dsn: stage.db, query: \"SELECT * "
                                 "FROM t\", key: name}");
  CHECK(dup->Collect().error().message == "the key (a) appears in more than one row of the query result");
  auto write = BuildCollector(dir, "{type: sql, driver: sqlite, dsn: stage.db, query: \"DELETE "
                                   "FROM t\"}");
  CHECK(write->Collect().error().message.find("read") != std::string::npos);
  auto missing = BuildCollector(dir, "{type: sql, driver: sqlite, dsn: nope.db, query: \"SELECT 1\"}");
  CHECK(missing->Collect().error().message.starts_with("cannot open SQLite database"));
  auto bad = BuildCollector(dir, "{type: sql, driver: sqlite, dsn: stage.db, query: \"SELEC 1\"}");
  CHECK(bad->Collect().error().message == "SQLite query: near \"SELEC\": syntax error");
}

TEST_CASE("sql: drift check over SQLite databases per env") {
  TempDir dir;
  for (std::string env : {"prod", "stage", "sandbox"})
    Sqlite(dir.file(env + ".db"), std::string(kFlagsSchema) + FlagsData(env));
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage, sandbox]
services:
  lms:
    sources:
      flags:
        type: sql
        driver: sqlite
        dsn: "{env}.db"
        query: SELECT name, everyone, percent, note FROM waffle_flag
        key: name
)");
  auto r = Run({"check", "-c", cfg, "--format", "json"});
  CHECK(r.err == "");
  CHECK(r.code == 1);
  std::vector<std::string> got;
  auto j = nlohmann::json::parse(r.out);
  for (auto& f : j["findings"])
    got.push_back(f["path"].get<std::string>() + " " + f["env"].get<std::string>() + " " +
                  f["kind"].get<std::string>());
  // SQLite has no boolean type: everyone is an integer there.
  CHECK(got == std::vector<std::string>{"flags.new_ui.everyone stage changed",
                                        "flags.new_ui.note sandbox type",
                                        "flags.new_ui.percent sandbox changed",
                                        "flags.stage_only stage extra"});
}

TEST_CASE("sql: a real PostgreSQL, three databases, read-only, timeouts, connection errors") {
  TestPostgres pg;
  for (std::string env : {"prod", "stage", "sandbox"}) {
    pg.Exec("postgres", "CREATE DATABASE " + env);
    pg.Exec(env, std::string(kFlagsSchema) + FlagsData(env));
  }
  TempDir dir;
  setenv("DRIFT_TEST_PG", pg.base_dsn().c_str(), 1);
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage, sandbox]
services:
  lms:
    sources:
      flags:
        type: sql
        driver: postgresql
        dsn: "${env:DRIFT_TEST_PG} dbname={env}"
        query: SELECT name, everyone, percent, note FROM waffle_flag ORDER BY name
        key: name
)");
  auto r = Run({"check", "-c", cfg, "--format", "json"});
  CHECK(r.err == "");
  CHECK(r.code == 1);
  auto j = nlohmann::json::parse(r.out);
  std::vector<std::string> got;
  for (auto& f : j["findings"])
    got.push_back(f["path"].get<std::string>() + " " + f["env"].get<std::string>() + " " +
                  f["kind"].get<std::string>() + " " + f.value("baseline_value", nlohmann::json()).dump() +
                  " " + f.value("value", nlohmann::json()).dump());
  CHECK(got == std::vector<std::string>{
                   "flags.new_ui.everyone stage changed false true",
                   "flags.new_ui.note sandbox type null \"sandbox\"",
                   "flags.new_ui.percent sandbox changed 10.5 50.0",
                   "flags.stage_only stage extra null {\"everyone\":false,\"note\":null,\"percent\":0.0}"});

  TempDir d2;
  auto write = BuildCollector(d2, "{type: sql, driver: postgresql, dsn: \"" + pg.dsn("prod") +
                                      "\", query: \"DELETE FROM waffle_flag\"}");
  CHECK(write->Collect().error().message ==
        "PostgreSQL query: ERROR:  cannot execute DELETE in a read-only transaction");
  pg.Exec("prod", "SELECT 1");  // the rows are still there:
  auto count = BuildCollector(d2, "{type: sql, driver: postgresql, dsn: \"" + pg.dsn("prod") +
                                      "\", query: \"SELECT count(*) AS n FROM waffle_flag\"}");
  CHECK(AsJson(*count->Collect()) == R"([{"n":2}])");
  auto slow = BuildCollector(d2, "{type: sql, driver: postgresql, dsn: \"" + pg.dsn("prod") +
                                     "\", query: \"SELECT pg_sleep(5)\", timeout: 500ms}");
  CHECK(slow->Collect().error().message == "PostgreSQL query timed out after 500ms");
  CHECK(slow->Collect().error().kind == ErrorKind::kTimeout);
  int closed = testing::FreePort();
  auto down = BuildCollector(d2, "{type: sql, driver: postgresql, dsn: \"host=127.0.0.1 port=" +
                                     std::to_string(closed) + " user=postgres dbname=x\", query: \"SELECT 1\"}");
  CHECK(down->Collect().error().message.starts_with("cannot connect to PostgreSQL: "));
  unsetenv("DRIFT_TEST_PG");
}

}  // namespace
}  // namespace drift
