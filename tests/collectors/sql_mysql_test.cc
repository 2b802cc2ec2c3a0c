// driver: mysql — the DSN forms, the type mapping and every failure, against a real MariaDB.
#include <nlohmann/json.hpp>

#include <future>

#include "collectors/sql_drivers.h"
#include "tests/collectors/collectors_testing.h"
#include "tests/support/mariadb.h"

namespace drift {
namespace {

using testing::AsJson;
using testing::BuildCollector;
using testing::Run;
using testing::TempDir;
using testing::TestMariadb;

TEST_CASE("sql/mysql: DSN as a URL and as key=value words") {
  auto url = ParseMysqlDsn(
      "mysql://drift:p%40ss%3Aw@db1.internal:3307/lms?ssl-mode=verify_ca&ssl-ca=ca.pem");
  REQUIRE(url.ok());
  CHECK(url->user == "drift");
  CHECK(url->password == "p@ss:w");
  CHECK(url->host == "db1.internal");
  CHECK(url->port == 3307);
  CHECK(url->database == "lms");
  CHECK(url->ssl_ca == "ca.pem");
  CHECK(url->effective_ssl_mode() == MysqlDsn::SslMode::kVerifyCa);
  CHECK(url->where() == "db1.internal:3307");

  auto v6 = ParseMysqlDsn("mariadb://u@[::1]:3308/x");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 3308);
  CHECK(v6->password == "");
  CHECK(v6->where() == "[::1]:3308");

  auto words = ParseMysqlDsn("host=db2 user=drift password='its \\'a\\' pw' database=lms "
                             "ssl_mode=REQUIRED");
  REQUIRE(words.ok());
  CHECK(words->host == "db2");
  CHECK(words->password == "its 'a' pw");
  CHECK(words->port == 3306);
  CHECK(words->effective_ssl_mode() == MysqlDsn::SslMode::kRequired);

  // TLS verified by default, except where the connection never leaves the machine.
  CHECK(ParseMysqlDsn("host=db.example.com")->effective_ssl_mode() ==
        MysqlDsn::SslMode::kVerifyIdentity);
  CHECK(ParseMysqlDsn("host=127.0.0.1")->effective_ssl_mode() == MysqlDsn::SslMode::kPreferred);
  CHECK(ParseMysqlDsn("host=::1")->effective_ssl_mode() == MysqlDsn::SslMode::kPreferred);
  CHECK(ParseMysqlDsn("host=127.db.example.org")->effective_ssl_mode() ==
        MysqlDsn::SslMode::kVerifyIdentity);
  CHECK(ParseMysqlDsn("socket=/run/mysqld/mysqld.sock")->effective_ssl_mode() ==
        MysqlDsn::SslMode::kPreferred);

  CHECK(ParseMysqlDsn("host=x sslmode=require").error().message ==
        "unknown mysql DSN option 'sslmode' (expected host, port, user, password, database, "
        "socket, ssl-mode, ssl-ca, ssl-capath, ssl-cert or ssl-key)");
  CHECK(ParseMysqlDsn("mysql://h:99999/db").error().message ==
        "the port of a mysql DSN must be a number from 1 to 65535");
  CHECK(ParseMysqlDsn("host=x ssl-mode=sometimes").error().message ==
        "ssl-mode of a mysql DSN must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA or "
        "VERIFY_IDENTITY");
  // The word is not repeated: it may be the tail of a password with a space in it.
  CHECK(ParseMysqlDsn("host=x password=ab cd").error().message ==
        "a mysql DSN is a mysql:// URL or key=value words; word 3 has no =value (quote a value "
        "with spaces: key='a b')");
  CHECK(ParseMysqlDsn("host=x password='open").error().message ==
        "the value of password in the mysql DSN lacks its closing '");
  CHECK(ParseMysqlDsn("mysql://u:p%zz@h/db").error().message ==
        "bad %-escape in the password of the mysql DSN");
  CHECK(ParseMysqlDsn("postgres://h/db").error().message ==
        "a mysql DSN URL starts with mysql:// or mariadb://");
}

TEST_CASE("sql: exact decimals stay exact") {
  auto text = [](std::string_view t, bool integral) {
    ScalarValue v = DecimalValue(t, integral);
    return std::string(TypeName(v.type)) + " " + v.text();
  };
  CHECK(text("42", true) == "int 42");
  CHECK(text("-42", true) == "int -42");
  CHECK(text("10.50", false) == "float 10.5");
  CHECK(text("0.000123", false) == "float 0.000123");
  CHECK(text("123456789012345", false) == "float 123456789012345.0");
  // 16 significant digits do not fit a double exactly: the text is kept.
  CHECK(text("1234567890123.456", false) == "string 1234567890123.456");
  CHECK(text("99999999999999999999", true) == "string 99999999999999999999");
  CHECK(text("NaN", false) == "string NaN");
}

TEST_CASE("sql/mysql: config errors are positioned") {
  TempDir dir;
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
services:
  lms:
    sources:
      flags:
        type: sql
        driver: mysq
        dsn: "host=db"
        query: SELECT 1
      more:
        type: sql
        driver: mysql
        dsn: "host=db-{env} sslmode=require password=${env:HOME}"
        query: SELECT 1
        max_rows: 0
)");
  auto r = Run({"validate", "-c", cfg});
  CHECK(r.code == 2);
  CHECK(r.err == cfg + ":8:17: unknown sql driver 'mysq' (expected postgresql, mysql or sqlite) "
                       "(did you mean 'mysql'?)\n" +
                 cfg + ":14:14: unknown mysql DSN option 'sslmode' (expected host, port, user, "
                       "password, database, socket, ssl-mode, ssl-ca, ssl-capath, ssl-cert or "
                       "ssl-key)\n" +
                 cfg + ":16:19: max_rows must be between 1 and 1000000000\n" + cfg +
                 ": 3 errors\n");
}

const char* kWaffleSchema =
    "CREATE TABLE waffle_flag (name VARCHAR(100) PRIMARY KEY, everyone TINYINT(1) NULL, "
    "percent DECIMAL(5,1), rollout_count INT, note TEXT, created DATETIME, "
    "modified TIMESTAMP(3) NULL DEFAULT NULL);";

std::string WaffleRows(const std::string& env) {
  std::string ins = "INSERT INTO waffle_flag VALUES ";
  if (env == "prod")
    return ins + "('new_ui', 0, 10.5, 3, NULL, '2024-01-02 03:04:05', NULL), "
                 "('beta', 1, 0, 7, 'x', '2024-01-02 03:04:05', NULL);";
  if (env == "stage")
    return ins + "('new_ui', 1, 10.5, 3, NULL, '2024-01-02 03:04:05', NULL), "
                 "('beta', 1, 0, 7, 'x', '2024-01-02 03:04:05', NULL), "
                 "('stage_only', 0, 0, 1, NULL, '2024-05-06 07:08:09', NULL);";
  return ins + "('new_ui', 0, 50, 3, 'sandbox', '2024-01-02 03:04:05', NULL), "
               "('beta', 1, 0, 7, 'x', '2024-01-02 03:04:05', NULL);";
}

TEST_CASE("sql/mysql: a real MariaDB, three databases, types, TLS, read-only, every failure") {
  TestMariadb db;
  const std::string pw = "Pw-7f3a'9 z";  // a quote and a space: resolved after parsing
  db.Exec("CREATE USER drift@'127.0.0.1' IDENTIFIED BY '" + std::string("Pw-7f3a\\'9 z") +
          "'; GRANT ALL ON *.* TO drift@'127.0.0.1';");
  for (std::string env : {"prod", "stage", "sandbox"})
    db.Exec("CREATE DATABASE " + env + "; USE " + env + "; " + kWaffleSchema + WaffleRows(env));
  setenv("DRIFT_TEST_MYSQL_PW", pw.c_str(), 1);
  const std::string port = std::to_string(db.port());
  const std::string words = "host=127.0.0.1 port=" + port + " user=drift password=${env:DRIFT_TEST_MYSQL_PW}";

  SUBCASE("drift check: findings per env, keyed by name, one env unknown") {
    TempDir dir;
    std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage, sandbox]
services:
  lms:
    sources:
      flags:
        type: sql
        driver: mysql
        dsn: "mysql://drift:${env:DRIFT_TEST_MYSQL_PW}@127.0.0.1:)" + port + R"(/{env}"
        query: SELECT name, everyone, percent, note, created FROM waffle_flag ORDER BY name
        key: name
)");
    auto r = Run({"check", "-c", cfg, "--format", "json"});
    CHECK(r.err == "");
    CHECK(r.code == 1);
    auto j = nlohmann::json::parse(r.out);
    std::vector<std::string> got;
    for (auto& f : j["findings"])
      got.push_back(f["path"].get<std::string>() + " " + f["env"].get<std::string>() + " " +
                    f["kind"].get<std::string>() + " " +
                    f.value("baseline_value", nlohmann::json()).dump() + " " +
                    f.value("value", nlohmann::json()).dump());
    CHECK(got == std::vector<std::string>{
                     "flags.new_ui.everyone stage changed false true",
                     "flags.new_ui.note sandbox type null \"sandbox\"",
                     "flags.new_ui.percent sandbox changed 10.5 50.0",
                     "flags.stage_only stage extra null {\"created\":\"2024-05-06T07:08:09\","
                     "\"everyone\":false,\"note\":null,\"percent\":0.0}"});

    // stage's database gone: stage is unknown (exit 3 when nothing else drifts), never drift,
    // and the password is nowhere.
    db.Exec("DROP DATABASE stage");
    auto unknown = Run({"check", "-c", cfg, "--format", "json", "--env", "stage"});
    CHECK(unknown.code == 3);
    auto u = nlohmann::json::parse(unknown.out);
    CHECK(u["findings"].size() == 0);
    REQUIRE(u["errors"].size() == 1);
    CHECK(u["errors"][0]["message"] ==
          "cannot connect to MySQL at 127.0.0.1:" + port + ": Unknown database 'stage'");
    CHECK(unknown.out.find(pw) == std::string::npos);
    CHECK(unknown.err.find(pw) == std::string::npos);
  }

  SUBCASE("the django-waffle example of docs/configuration.md, as written but for the host") {
    std::string docs = testing::ReadFile(std::string(DRIFT_SOURCE_DIR) + "/docs/configuration.md");
    size_t at = docs.find("```yaml\n", docs.find("Django's feature flags"));
    REQUIRE(at != std::string::npos);
    std::string example = docs.substr(at + 8, docs.find("```", at + 8) - at - 8);
    auto replace_all = [&](const std::string& from, const std::string& to) {
      for (size_t p = example.find(from); p != std::string::npos; p = example.find(from, p))
        example.replace(p, from.size(), to), p += to.size();
    };
    replace_all("edxapp-db.{env}.internal/edxapp?ssl-ca=rds-ca.pem",
                "127.0.0.1:" + port + "/edxapp_{env}?ssl-mode=VERIFY_IDENTITY&ssl-ca=" + db.ca());
    REQUIRE(example.find("internal") == std::string::npos);
    db.Exec("CREATE USER drift_ro@'127.0.0.1' IDENTIFIED BY 'ro-3c1d8e'");
    for (std::string env : {"prod", "stage", "sandbox"}) {
      std::string d = "edxapp_" + env;
      db.Exec("CREATE DATABASE " + d + "; USE " + d + "; "
              "CREATE TABLE waffle_flag (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) "
              "UNIQUE, everyone TINYINT(1) NULL, percent DECIMAL(3,1) NULL, testing TINYINT(1), "
              "superusers TINYINT(1), staff TINYINT(1), authenticated TINYINT(1), "
              "languages LONGTEXT, rollout TINYINT(1), note LONGTEXT, created DATETIME(6), "
              "modified DATETIME(6));"
              "CREATE TABLE waffle_switch (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) "
              "UNIQUE, active TINYINT(1), note LONGTEXT, created DATETIME(6), modified DATETIME(6));"
              "CREATE TABLE django_site (id INT PRIMARY KEY, domain VARCHAR(100), name VARCHAR(50));"
              "CREATE TABLE site_configuration_siteconfiguration (id INT PRIMARY KEY, site_id INT, "
              "enabled TINYINT(1), site_values LONGTEXT);"
              "INSERT INTO waffle_flag (name, everyone, percent, testing, superusers, staff, "
              "authenticated, rollout) VALUES ('new_ui', " + std::string(env == "stage" ? "1" : "0") +
              ", NULL, 0, 1, 0, 0, 0), ('course_v2', NULL, 25.5, 0, 1, 1, 0, 0);"
              "INSERT INTO waffle_switch (name, active) VALUES ('maintenance', 0)" +
              std::string(env == "sandbox" ? "" : ", ('new_grading', 1)") + ";"
              "INSERT INTO django_site VALUES (1, 'courses.example.com', 'Example');"
              "INSERT INTO site_configuration_siteconfiguration VALUES (1, 1, 1, "
              "'{\"ENABLE_X\": " + std::string(env == "sandbox" ? "true" : "false") +
              ", \"PLATFORM_NAME\": \"Example\"}');"
              "GRANT SELECT ON " + d + ".* TO drift_ro@'127.0.0.1';");
    }
    setenv("EDXAPP_DB_PASSWORD", "ro-3c1d8e", 1);
    TempDir dir;
    std::string cfg = dir.write("drift.yaml", "version: 1\nenvironments: [prod, stage, sandbox]\n" +
                                                  example);
    auto r = Run({"check", "-c", cfg, "--format", "json"});
    unsetenv("EDXAPP_DB_PASSWORD");
    CHECK(r.err == "");
    CHECK(r.code == 1);
    std::vector<std::string> got;
    auto j = nlohmann::json::parse(r.out);
    for (auto& f : j["findings"])
      got.push_back(f["path"].get<std::string>() + " " + f["env"].get<std::string>() + " " +
                    f["kind"].get<std::string>() + " " + f["owner"].get<std::string>() + " " +
                    f.value("baseline_value", nlohmann::json()).dump() + " " +
                    f.value("value", nlohmann::json()).dump());
    CHECK(got == std::vector<std::string>{
                     "site_configuration[\"courses.example.com\"].site_values.ENABLE_X sandbox "
                     "changed team-learning false true",
                     "waffle_flags.new_ui.everyone stage changed team-learning false true",
                     "waffle_switches.new_grading sandbox missing team-learning {\"active\":true} null"});
  }

  SUBCASE("types: booleans, integers, exact decimals, dates, binary, NULL") {
    db.Exec("USE prod; CREATE TABLE typed (id INT PRIMARY KEY, flag BOOLEAN, tiny TINYINT, "
            "big BIGINT UNSIGNED, d DECIMAL(30,10), whole DECIMAL(12,0), f DOUBLE, "
            "dt DATETIME(3), ts TIMESTAMP NULL DEFAULT NULL, day DATE, y YEAR, b BIT(1), "
            "bits BIT(12), blob_col BLOB, vb VARBINARY(16), label ENUM('a','b'), "
            "doc JSON, nothing VARCHAR(5));"
            "SET time_zone = '+02:00'; INSERT INTO typed VALUES (1, TRUE, 7, "
            "18446744073709551615, 12345678901234567890.0123456789, 42, 0.25, "
            "'2024-01-02 03:04:05.678', '2024-01-02 05:00:00', '2024-01-02', 2024, b'1', "
            "b'101', x'00ff10', x'cafe', 'b', '{\"k\": [1, 2]}', NULL);");
    TempDir dir;
    auto c = BuildCollector(dir, "{type: sql, driver: mysql, dsn: \"" + words +
                                     " database=prod\", query: \"SELECT * FROM typed\", key: id}");
    auto doc = c->Collect();
    REQUIRE_MESSAGE(doc.ok(), doc.error().message);
    CHECK(AsJson(*doc) ==
          R"({"1":{"flag":true,"tiny":7,"big":1.8446744073709552e+19,)"
          R"("d":"12345678901234567890.0123456789","whole":42,"f":0.25,)"
          R"("dt":"2024-01-02T03:04:05.678","ts":"2024-01-02T03:00:00Z","day":"2024-01-02",)"
          R"("y":2024,"b":true,"bits":5,)"
          R"("blob_col":"[binary 3 bytes, sha256:2da45f2cd1f9]",)"
          R"("vb":"[binary 2 bytes, sha256:03346f0e7990]","label":"b",)"
          R"("doc":"{\"k\": [1, 2]}","nothing":null}})");
  }

  SUBCASE("TLS: verified with the CA, refused without it, off when asked") {
    TempDir dir;
    auto cipher = [&](const std::string& extra) {
      auto c = BuildCollector(dir, "{type: sql, driver: mysql, dsn: \"" + words + " " + extra +
                                       "\", query: \"SHOW SESSION STATUS LIKE 'Ssl_cipher'\", "
                                       "key: Variable_name}");
      return c->Collect();
    };
    auto verified = cipher("ssl-mode=VERIFY_IDENTITY ssl-ca=" + db.ca());
    REQUIRE_MESSAGE(verified.ok(), verified.error().message);
    CHECK(AsJson(*verified).find(R"("Value":"TLS_)") != std::string::npos);
    auto preferred = cipher("");  // loopback: TLS when offered
    REQUIRE(preferred.ok());
    CHECK(AsJson(*preferred).find(R"("Value":"TLS_)") != std::string::npos);
    auto clear = cipher("ssl-mode=DISABLED");
    REQUIRE(clear.ok());
    CHECK(AsJson(*clear) == R"({"Ssl_cipher":{"Value":""}})");
    // A password from a file, its path full of the '/' and ':' that split a URL.
    std::string pw_file = dir.write("secrets/mysql:pw", pw);
    auto from_file = BuildCollector(dir, "{type: sql, driver: mysql, dsn: \"mysql://drift:${file:" +
                                             pw_file + "}@127.0.0.1:" + port +
                                             "/prod\", query: \"SELECT 1 AS one\"}");
    auto one = from_file->Collect();
    REQUIRE_MESSAGE(one.ok(), one.error().message);
    CHECK(AsJson(*one) == R"([{"one":1}])");
    auto unknown_ca = cipher("ssl-mode=VERIFY_IDENTITY");  // the system's CAs do not know it
    REQUIRE(!unknown_ca.ok());
    CHECK(unknown_ca.error().kind == ErrorKind::kTls);
    CHECK(unknown_ca.error().message.starts_with("cannot connect to MySQL at 127.0.0.1:" + port +
                                                  ": "));
  }

  SUBCASE("read-only, time limit, row limit, wrong password, server gone") {
    TempDir dir;
    auto make = [&](const std::string& query, const std::string& extra = "") {
      return BuildCollector(dir, "{type: sql, driver: mysql, dsn: \"" + words +
                                     " database=prod\", query: \"" + query + "\"" + extra + "}");
    };
    CHECK(make("DELETE FROM waffle_flag")->Collect().error().message ==
          "a mysql query must be a SELECT (or WITH, SHOW, TABLE, VALUES, DESCRIBE) statement, "
          "without INTO OUTFILE or DUMPFILE");
    CHECK(make("SELECT name INTO  OUTFILE '/tmp/x' FROM waffle_flag")->Collect().error().message ==
          make("DELETE FROM waffle_flag")->Collect().error().message);
    // A SELECT that writes through a function: the read-only transaction refuses it.
    db.Exec("USE prod; CREATE FUNCTION wipe() RETURNS INT MODIFIES SQL DATA "
            "BEGIN DELETE FROM waffle_flag; RETURN 1; END");
    CHECK(make("SELECT wipe()")->Collect().error().message ==
          "MySQL query: Cannot execute statement in a READ ONLY transaction");
    // No second statement rides along.
    CHECK(make("SELECT 1; DROP TABLE waffle_flag")->Collect().error().message.starts_with(
        "MySQL query: You have an error in your SQL syntax"));
    CHECK(AsJson(*make("SELECT count(*) AS n FROM waffle_flag")->Collect()) == R"([{"n":2}])");

    auto slow = make("SELECT SLEEP(5)", ", timeout: 500ms")->Collect();
    CHECK(slow.error().message == "MySQL query timed out after 500ms");
    CHECK(slow.error().kind == ErrorKind::kTimeout);

    CHECK(make("SELECT name FROM waffle_flag", ", max_rows: 1")->Collect().error().message ==
          "MySQL query returned more than 1 rows (max_rows): narrow the query or raise the "
          "source's max_rows");
    CHECK(make("SELECT name FROM waffle_flag", ", max_rows: 2")->Collect().ok());

    setenv("DRIFT_TEST_MYSQL_PW", "wrong-password-1", 1);
    auto denied = make("SELECT 1")->Collect();
    CHECK(denied.error().message ==
          "cannot connect to MySQL at 127.0.0.1:" + port +
              ": Access denied for user 'drift'@'127.0.0.1' (using password: YES)");
    setenv("DRIFT_TEST_MYSQL_PW", pw.c_str(), 1);

    auto closed = BuildCollector(dir, "{type: sql, driver: mysql, dsn: \"host=127.0.0.1 port=" +
                                          std::to_string(testing::FreePort()) +
                                          " user=drift\", query: \"SELECT 1\"}");
    auto refused = closed->Collect();
    CHECK(refused.error().kind == ErrorKind::kUnreachable);
    CHECK(refused.error().message.starts_with("cannot connect to MySQL at 127.0.0.1:"));

    // The connection killed in the middle of a query.
    auto gone = make("SELECT SLEEP(20) AS drift_gone_probe", ", timeout: 30s");
    auto pending = std::async(std::launch::async, [&] { return gone->Collect(); });
    std::string id;
    for (int i = 0; i < 200 && id.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      id = db.Scalar("SELECT id FROM information_schema.processlist WHERE info LIKE "
                     "'SELECT SLEEP(20) AS drift_gone_probe%'");
    }
    REQUIRE(!id.empty());
    db.Exec("KILL CONNECTION " + id);
    auto lost = pending.get();
    REQUIRE(!lost.ok());
    // Over TLS (the default on loopback) the connector names the TLS read that failed.
    INFO(lost.error().message);
    CHECK(lost.error().message.starts_with("MySQL query: the connection to the server was lost: "));
  }
  unsetenv("DRIFT_TEST_MYSQL_PW");
}

}  // namespace
}  // namespace drift
