// The fault matrix (issue: hardening): every way a source can fail, at once, in one running
// daemon. While a fault holds the daemon keeps serving, the source is drift_source_up 0 and
// makes no finding; when the fault goes, the source comes back.
#include <sqlite3.h>
#include <zlib.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>

#include "state/store.h"
#include "tests/support/http_server.h"
#include "tests/support/process.h"

namespace drift {
namespace {

using testing::HttpDo;
using testing::HttpReply;
using testing::ReadFile;
using testing::TempDir;
using testing::WaitFor;

const char* kGood = R"({"a": 1, "b": [1, 2]})";

std::string Gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// What the faulty endpoint answers for one fault (stage only, while `on`).
HttpReply Fault(const std::string& name, const std::string& self_url) {
  HttpReply r;
  if (name == "hang_before") return HttpReply{200, kGood, "application/json", {}, 3000};
  if (name == "hang_after") {
    r.raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\"";
    r.stall_ms = 3000;
    return r;
  }
  if (name == "status500") return HttpReply{500, "broken", "text/plain"};
  if (name == "status429") return HttpReply{429, "later", "text/plain", {{"Retry-After", "1"}}};
  if (name == "truncated") return HttpReply{200, "{\"a\": 1", "application/json", {}, 0, true};
  if (name == "invalid_json") return HttpReply{200, "{\"a\": 1,,}", "application/json"};
  if (name == "oversize") return HttpReply{200, "[" + std::string(4096, ' ') + "]"};
  if (name == "chunked_oversize") {
    std::string chunk(1000, ' ');
    r.raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) r.raw += "3e8\r\n" + chunk + "\r\n";
    r.raw += "0\r\n\r\n";
    return r;
  }
  if (name == "gzip_bomb") {
    std::string z = Gzip("[" + std::string(50 << 20, ' ') + "]");  // 50 MB of JSON, ~50 KB
    r.raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            "Content-Length: " + std::to_string(z.size()) + "\r\nConnection: close\r\n\r\n" + z;
    return r;
  }
  if (name == "redirect_loop") return HttpReply{302, "", "text/plain", {{"Location", self_url}}};
  if (name == "redirect_file") return HttpReply{302, "", "text/plain", {{"Location", "file:///etc/passwd"}}};
  return HttpReply{404, ""};
}

const std::vector<std::string> kHttpFaults = {
    "refused", "hang_before", "hang_after", "status500", "status429", "truncated",
    "invalid_json", "oversize", "chunked_oversize", "gzip_bomb", "redirect_loop", "redirect_file"};
const std::vector<std::pair<std::string, std::string>> kExecFaults = {
    {"exec_timeout", "sleep 30"}, {"exec_nonzero", "echo no >&2; exit 3"},
    {"exec_huge", "head -c 100000000 /dev/zero"}};
const std::vector<std::string> kSqliteFaults = {"sqlite_corrupt", "sqlite_locked"};

void MakeDb(const std::string& path) {
  std::filesystem::remove(path);
  sqlite3* db;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE t (name TEXT, v INTEGER); INSERT INTO t VALUES ('x', 1), ('y', 2);",
               nullptr, nullptr, nullptr);
  sqlite3_close(db);
}

TEST_CASE("daemon: the fault matrix - every failure is unknown, never drift, and recovers") {
  TempDir dir;
  std::atomic<bool> on{false};
  // The "refused" endpoint: its port is bound (so nothing else takes it) but refuses
  // connections from the start; it listens at recovery.
  testing::TestHttpServer refused([](const testing::HttpCall&) { return HttpReply{200, kGood}; },
                                  "", "", 0, false);
  int refused_port = refused.port();
  std::unique_ptr<testing::TestHttpServer> api;
  api = std::make_unique<testing::TestHttpServer>([&](const testing::HttpCall& c) -> HttpReply {
    // /<fault>/<env>
    auto slash = c.target.find('/', 1);
    std::string fault = c.target.substr(1, slash - 1), env = c.target.substr(slash + 1);
    if (on && env == "stage") return Fault(fault, api->url(c.target));
    return HttpReply{200, kGood};
  });
  std::string cfg = R"(version: 1
environments: [prod, stage]
defaults: {interval: 300ms, timeout: 1s}
state: {path: state.db}
services:
)";
  for (const auto& f : kHttpFaults) {
    int port = f == "refused" ? refused_port : api->port();
    std::string url = "http://127.0.0.1:" + std::to_string(port) + "/" + f + "/{env}";
    cfg += "  " + f + ":\n    owner: team-a\n    sources:\n      s: {type: http, url: \"" + url +
           "\", retries: 0, max_size: 2048}\n";
    if (f == "refused")  // only stage's endpoint goes away
      cfg += "    overrides: {prod: {s: {url: \"" + api->url("/refused/prod") + "\"}}}\n";
  }
  for (const auto& [f, cmd] : kExecFaults)
    cfg += "  " + f + ":\n    owner: team-a\n    sources:\n      s: {type: exec, command: [sh, -c, "
           "'if [ -e {env}-{service}.fault ]; then " + cmd + "; else echo \"[1, 2]\"; fi']}\n";
  for (const auto& f : kSqliteFaults) {
    for (std::string env : {"prod", "stage"}) MakeDb(dir.file(env + "-" + f + ".db"));
    cfg += "  " + f + ":\n    owner: team-a\n    sources:\n      s: {type: sql, driver: sqlite, dsn: "
           "\"{env}-{service}.db\", query: \"SELECT name, v FROM t\", key: name}\n";
  }
  dir.write("drift.yaml", cfg);
  std::vector<std::string> services = kHttpFaults;
  for (const auto& [f, _] : kExecFaults) services.push_back(f);
  for (const auto& f : kSqliteFaults) services.push_back(f);

  testing::DaemonProcess d(dir.file("drift.yaml"), dir.file("daemon.log"));
  auto up = [&](const std::string& service, const std::string& env) {
    return d.Metric("drift_source_up{env=\"" + env + "\",owner=\"team-a\",service=\"" + service + "\",source=\"s\"}");
  };
  auto findings_of = [&](const std::string& service) {
    auto r = HttpDo(d.url("/api/v1/findings?service=" + service));
    REQUIRE(r.status == 200);
    return nlohmann::json::parse(r.body)["findings"].size();
  };
  for (const auto& s : services) {
    INFO(s);
    if (s != "refused") CHECK(WaitFor([&] { return up(s, "stage") == 1; }));
    CHECK(findings_of(s) == 0);
  }

  // Every fault at once (the refused one has been refused since the start).
  on = true;
  for (const auto& [f, _] : kExecFaults) dir.write("stage-" + f + ".fault", "");
  std::filesystem::copy_file(dir.file("stage-sqlite_corrupt.db"), dir.file("saved.db"));
  {
    std::string garbage(8192, '\x5a');
    dir.write("stage-sqlite_corrupt.db", "SQLite format 3" + garbage);
  }
  sqlite3* locker;
  sqlite3_open(dir.file("stage-sqlite_locked.db").c_str(), &locker);
  REQUIRE(sqlite3_exec(locker, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);

  for (const auto& s : services) {
    INFO(s);
    CHECK(WaitFor([&] { return up(s, "stage") == 0; }));
    CHECK(up(s, "prod") == 1);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a few more rounds of it
  CHECK(HttpDo(d.url("/healthz")).status == 200);
  auto sources = nlohmann::json::parse(HttpDo(d.url("/api/v1/sources")).body);
  for (const auto& s : services) {
    INFO(s);
    CHECK(findings_of(s) == 0);  // unknown is not drift
  }
  std::string log = ReadFile(dir.file("daemon.log"));
  for (const auto& s : services) {
    INFO(s);
    CHECK(log.find("cannot collect service " + s + ", source s, env stage") != std::string::npos);
  }
  CHECK(log.find("file:///etc/passwd") == std::string::npos);  // never followed
  CHECK(log.find("root:") == std::string::npos);

  // The faults go: every source comes back, still no finding.
  on = false;
  refused.Listen();
  for (const auto& [f, _] : kExecFaults) std::filesystem::remove(dir.file("stage-" + f + ".fault"));
  std::filesystem::copy_file(dir.file("saved.db"), dir.file("stage-sqlite_corrupt.db"),
                             std::filesystem::copy_options::overwrite_existing);
  sqlite3_exec(locker, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(locker);
  for (const auto& s : services) {
    INFO(s);
    CHECK(WaitFor([&] { return up(s, "stage") == 1; }));
    CHECK(findings_of(s) == 0);
  }
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

TEST_CASE("daemon: a state store that cannot grow (file-size limit) is an error, not a stop") {
  TempDir dir;
  std::string prod, stage;
  for (int i = 0; i < 3000; ++i) {
    prod += "key_" + std::to_string(i) + ": value-" + std::to_string(i) + "\n";
    stage += "key_" + std::to_string(i) + ": value-" + std::to_string(i % 7 ? i : -i) + "\n";
  }
  dir.write("prod.yaml", prod);
  dir.write("stage.yaml", stage);
  dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
defaults: {interval: 300ms, timeout: 2s}
state: {path: state.db}
services:
  app:
    owner: team-a
    sources:
      conf: {type: file, path: "{env}.yaml"}
)");
  // The store exists (schema made); then 64 KiB per file: the first snapshots do not fit.
  REQUIRE(Store::Open(dir.file("state.db")).ok());
  testing::Child child({"/bin/sh", "-c",
                        std::string("ulimit -f 64 && exec ") + DRIFT_BINARY + " daemon -c " +
                            dir.file("drift.yaml") + " --listen 127.0.0.1:0"},
                       dir.file("daemon.log"));
  int port = testing::WaitForBoundPort(dir.file("daemon.log"), 0);
  REQUIRE(port != 0);
  auto url = [&](const std::string& p) { return "http://127.0.0.1:" + std::to_string(port) + p; };
  bool ready = WaitFor([&] { return HttpDo(url("/readyz")).status == 200; });
  INFO(ReadFile(dir.file("daemon.log")));
  REQUIRE(ready);
  auto report = nlohmann::json::parse(HttpDo(url("/api/v1/findings")).body);
  CHECK(report["findings"].size() == 428);  // every 7th key but key_0
  CHECK(WaitFor([&] {
    return ReadFile(dir.file("daemon.log")).find("state store") != std::string::npos;
  }));
  // Still collecting and serving after failed writes.
  dir.write("stage.yaml", prod);
  CHECK(WaitFor([&] {
    auto r = nlohmann::json::parse(HttpDo(url("/api/v1/findings")).body);
    return r["findings"].empty();
  }));
  CHECK(HttpDo(url("/healthz")).status == 200);
  child.Signal(SIGTERM);
  CHECK(child.Wait(std::chrono::seconds(10)) == 0);
  // What was committed is intact.
  sqlite3* db;
  REQUIRE(sqlite3_open(dir.file("state.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* q;
  sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, nullptr);
  REQUIRE(sqlite3_step(q) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, 0))) == "ok");
  sqlite3_finalize(q);
  sqlite3_close(db);
}

}  // namespace
}  // namespace drift
