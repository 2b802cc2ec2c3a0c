#include <nlohmann/json.hpp>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>

#include <sys/resource.h>
#include <sys/socket.h>

#include "state/store.h"
#include "core/crypto.h"
#include "tests/support/http_server.h"
#include "tests/support/process.h"

namespace drift {
namespace {

using testing::Child;
using testing::HttpDo;
using testing::ReadFile;
using testing::TempDir;
using testing::WaitFor;

std::string Config(int http_port, const std::string& extra = "") {
  return R"(version: 1
environments: [prod, stage]
defaults: {interval: 300ms, timeout: 2s}
state: {path: state.db}
server: {api_token: "${file:token}"}
services:
  app:
    owner: team-app
    sources:
      conf: {type: file, path: "{env}.yaml"}
      api: {type: http, url: "http://127.0.0.1:)" + std::to_string(http_port) + R"(/{env}", retries: 0}
      broken: {type: file, path: "missing-{env}.yaml"}
)" + extra;
}

// drift.yaml (Config), the API token file and the two envs' conf files.
void WriteFixture(const TempDir& dir, int http_port, const std::string& prod,
                  const std::string& stage) {
  dir.write("drift.yaml", Config(http_port));
  dir.write("token", "t0ken\n");
  dir.write("prod.yaml", prod);
  if (!stage.empty()) dir.write("stage.yaml", stage);
}

struct Daemon : testing::DaemonProcess {
  explicit Daemon(const TempDir& dir)
      : DaemonProcess(dir.file("drift.yaml"), dir.file("daemon.log")) {}
  nlohmann::json Findings(const std::string& q = "") const {
    return nlohmann::json::parse(HttpDo(url("/api/v1/findings" + q)).body);
  }
};

std::string EtagOf(const testing::HttpResult& r) {
  auto at = r.headers.find("ETag: ");
  REQUIRE(at != std::string::npos);
  return r.headers.substr(at + 6, r.headers.find("\r\n", at) - at - 6);
}

testing::HttpReply Api(const testing::HttpCall& c) {
  return {200, c.target == "/prod" ? "{\"replicas\": 3}" : "{\"replicas\": 2}"};
}

TEST_CASE("daemon: findings follow changes, restarts keep first_seen, SIGTERM exits 0") {
  TempDir dir;
  testing::TestHttpServer api(Api);
  WriteFixture(dir, api.port(), "a: 1\nb: 1\n", "a: 2\nb: 1\n");
  std::string first_seen, etag, before_restart;
  {
    Daemon d(dir);
    CHECK(HttpDo(d.url("/healthz")).status == 200);
    auto f = d.Findings();
    REQUIRE(f["findings"].size() == 2);
    CHECK(f["findings"][0]["path"] == "api.replicas");
    CHECK(f["findings"][1]["path"] == "conf.a");
    first_seen = f["findings"][1]["first_seen"];
    CHECK(f["summary"]["sources_failed"] == 2);
    CHECK(f["errors"][0]["source"] == "broken");
    // The io thread (the main one) keeps its priority; pool threads that ran jobs yield to it.
    std::map<int, int> nice_of;  // tid -> nice (field 19 of /proc/PID/task/TID/stat)
    for (const auto& task : std::filesystem::directory_iterator(
             "/proc/" + std::to_string(d.child->pid()) + "/task")) {
      std::string stat = ReadFile(task.path() / "stat");
      std::istringstream rest(stat.substr(stat.rfind(')') + 2));
      std::string field;
      for (int i = 3; i <= 19 && rest >> field; ++i) {}
      nice_of[std::stoi(task.path().filename())] = std::stoi(field);
    }
    CHECK(nice_of[d.child->pid()] == 0);
    CHECK(std::count_if(nice_of.begin(), nice_of.end(), [](auto& t) { return t.second == 10; }) >= 1);
    CHECK(d.Findings("?service=app&env=stage&severity=critical")["findings"].empty());

    // Later rounds read the same bytes (not parsed again): the findings stay as they are.
    auto hash = [&] {
      return nlohmann::json::parse(HttpDo(d.url("/api/v1/sources")).body)["sources"][0]["snapshot_hash"];
    };
    std::string conf_hash = hash();
    CHECK(conf_hash.size() == 16);
    // Durations: a histogram by source type and env (stage's conf and broken are files), and
    // each source's last one.
    std::string collections = "drift_collect_duration_seconds_count{env=\"stage\",type=\"file\"}";
    CHECK(WaitFor([&] { return d.Metric(collections) >= 6; }));
    CHECK(d.Metric("drift_collect_duration_seconds_count{env=\"stage\",type=\"http\"}") >= 1);
    CHECK(d.Metric("drift_source_last_collect_duration_seconds{env=\"stage\",service=\"app\",source=\"conf\"}") >= 0);
    std::string text = HttpDo(d.url("/metrics")).body;
    CHECK(text.find("drift_collect_duration_seconds_bucket{env=\"stage\",service=") == std::string::npos);
    CHECK(d.Findings()["findings"] == f["findings"]);
    CHECK(hash() == conf_hash);

    dir.write("stage.yaml", "a: 2\nb: 3\n");
    CHECK(WaitFor([&] { return d.Findings()["findings"].size() == 3; }));
    std::string metrics = HttpDo(d.url("/metrics")).body;
    CHECK(metrics.find("drift_findings{env=\"stage\",owner=\"team-app\",rule=\"default\","
                       "service=\"app\",severity=\"warning\",source=\"conf\"} 2") != std::string::npos);
    CHECK(metrics.find("drift_source_up{env=\"stage\",owner=\"team-app\",service=\"app\",source=\"broken\"} 0") !=
          std::string::npos);
    CHECK(metrics.find("drift_build_info{version=\"0.1.0\"} 1") != std::string::npos);
    // The process_* figures every Prometheus client exposes.
    CHECK(d.Metric("process_resident_memory_bytes") > 1e6);
    CHECK(d.Metric("process_open_fds") >= 3);
    CHECK(d.Metric("process_max_fds") >= d.Metric("process_open_fds"));
    CHECK(d.Metric("process_cpu_seconds_total") > 0);
    CHECK(std::abs(d.Metric("process_start_time_seconds") - static_cast<double>(std::time(nullptr))) < 600);
    CHECK(metrics.find("# TYPE process_cpu_seconds_total counter") != std::string::npos);

    // A filter that names nothing is an error saying so, not an empty report.
    auto bad_env = HttpDo(d.url("/api/v1/findings?env=nope"));
    CHECK(bad_env.status == 400);
    CHECK(nlohmann::json::parse(bad_env.body)["error"] == "unknown env 'nope' (expected prod or stage)");
    auto bad_service = HttpDo(d.url("/api/v1/findings?service=ap"));
    CHECK(bad_service.status == 400);
    CHECK(nlohmann::json::parse(bad_service.body)["error"] == "unknown service 'ap' (did you mean 'app'?)");
    CHECK(nlohmann::json::parse(HttpDo(d.url("/api/v1/findings?severity=bogus")).body)["error"] ==
          "unknown severity 'bogus' (expected critical, warning or info)");

    // History from the state store, the same JSON `drift history` prints.
    std::string id = d.Findings("?service=app&env=stage")["findings"][1]["id"];
    auto by_id = HttpDo(d.url("/api/v1/history?finding=" + id));
    CHECK(by_id.status == 200);
    auto h = nlohmann::json::parse(by_id.body)["finding"];
    CHECK(h["path"] == "conf.a");
    CHECK(h["first_seen"] == first_seen);
    CHECK(h["resolved_at"].is_null());
    CHECK(h["history"].empty());
    auto cli = testing::Run({"history", "-c", dir.file("drift.yaml"), "--finding", id, "--format", "json"});
    CHECK(nlohmann::json::parse(cli.out) == nlohmann::json::parse(by_id.body));
    auto by_path = HttpDo(d.url("/api/v1/history?service=app&source=conf&env=stage&path=conf.a"));
    CHECK(by_path.status == 200);
    auto values = nlohmann::json::parse(by_path.body)["values"];
    REQUIRE(values.size() >= 1);
    CHECK(values.back()["env"] == "stage");
    CHECK(values.back()["value"] == "2");
    CHECK(HttpDo(d.url("/api/v1/history?finding=0000000000000000")).status == 404);
    CHECK(HttpDo(d.url("/api/v1/history?service=app")).status == 400);
    CHECK(HttpDo(d.url("/api/v1/history?service=app&source=api&path=conf.a")).status == 400);
    // The first round's summary is logged.
    CHECK(ReadFile(dir.file("daemon.log")).find("round done: ") != std::string::npos);
    std::string page = HttpDo(d.url("/")).body;
    CHECK(page.find("<tr data-service=\"app\"><td><a href=\"/?service=app\">app</a></td><td>team-app</td>") !=
          std::string::npos);
    CHECK(HttpDo(d.url("/?env=nope")).status == 400);
    std::string view = HttpDo(d.url("/?service=app&env=stage")).body;
    CHECK(view.find("<code>conf.a</code>") != std::string::npos);
    // Every endpoint of the router, listed at the bottom.
    for (const char* e : {"GET /metrics", "GET /healthz", "GET /readyz", "GET /api/v1/findings",
                          "GET /api/v1/history",
                          "GET /api/v1/sources", "POST /api/v1/check", "POST /api/v1/reload"})
      CHECK(page.find(e) != std::string::npos);
    auto sources = nlohmann::json::parse(HttpDo(d.url("/api/v1/sources")).body)["sources"];
    CHECK(sources.size() == 6);

    // POST needs the token; a check can be triggered.
    CHECK(HttpDo(d.url("/api/v1/check"), "POST").status == 401);
    CHECK(HttpDo(d.url("/api/v1/check"), "POST", "Bearer wrong").status == 401);
    auto trig = HttpDo(d.url("/api/v1/check?service=app"), "POST", "Bearer t0ken");
    CHECK(trig.status == 202);
    CHECK(nlohmann::json::parse(trig.body)["triggered"] == 6);

    auto last = HttpDo(d.url("/api/v1/findings"));
    etag = EtagOf(last);
    before_restart = last.body;
    auto t0 = std::chrono::steady_clock::now();
    d.child->Signal(SIGTERM);
    CHECK(d.child->Wait(std::chrono::seconds(10)) == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  }
  {
    Daemon d(dir);
    auto f = d.Findings();
    REQUIRE(f["findings"].size() == 3);
    CHECK(f["findings"][1]["path"] == "conf.a");
    CHECK(f["findings"][1]["first_seen"] == first_seen);  // since when survives restarts
    // The tag is the body's digest: it differs exactly when the body does, restarts or not.
    auto again = HttpDo(d.url("/api/v1/findings"));
    CHECK(EtagOf(again) == "\"" + Sha256Hex(again.body).substr(0, 24) + "\"");
    CHECK((EtagOf(again) == etag) == (again.body == before_restart));
    d.child->Signal(SIGINT);
    CHECK(d.child->Wait(std::chrono::seconds(10)) == 0);
  }
}

TEST_CASE("daemon: reports and metrics go gzip'd to clients that ask, ETags spare pollers") {
  TempDir dir;
  testing::TestHttpServer api(Api);
  std::string big;  // enough findings for a report worth compressing
  for (int i = 0; i < 200; ++i) big += "k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  WriteFixture(dir, api.port(), big, "a: 1\n");
  Daemon d(dir);
  auto plain = HttpDo(d.url("/api/v1/findings"));
  REQUIRE(plain.status == 200);
  CHECK(nlohmann::json::parse(plain.body)["findings"].size() == 202);
  CHECK_FALSE(plain.has_header("Content-Encoding: gzip"));
  CHECK(plain.has_header("Vary: Accept-Encoding"));

  auto zipped = HttpDo(d.url("/api/v1/findings"), "GET", "", {}, "gzip");
  CHECK(zipped.has_header("Content-Encoding: gzip"));
  CHECK(zipped.body == plain.body);  // curl decoded it: valid gzip of the same report
  auto raw = HttpDo(d.url("/api/v1/findings"), "GET", "", {"Accept-Encoding: gzip"});
  CHECK(raw.body.size() * 5 < plain.body.size());
  auto refused = HttpDo(d.url("/api/v1/findings"), "GET", "", {"Accept-Encoding: gzip;q=0, br"});
  CHECK_FALSE(refused.has_header("Content-Encoding: gzip"));
  CHECK(refused.body == plain.body);

  // The ETag names this report: polling with it costs a 304 until the findings change.
  std::string etag = EtagOf(plain);
  auto same = HttpDo(d.url("/api/v1/findings"), "GET", "", {"If-None-Match: " + etag});
  CHECK(same.status == 304);
  CHECK(same.body.empty());
  dir.write("stage.yaml", "a: 1\nk0: 0\n");
  CHECK(WaitFor([&] {
    auto r = HttpDo(d.url("/api/v1/findings"), "GET", "", {"If-None-Match: " + etag});
    return r.status == 200 && nlohmann::json::parse(r.body)["findings"].size() == 201;
  }));

  auto metrics = HttpDo(d.url("/metrics"));
  auto metrics_gz = HttpDo(d.url("/metrics"), "GET", "", {}, "gzip");
  CHECK(metrics_gz.has_header("Content-Encoding: gzip"));
  CHECK(metrics_gz.body.find("drift_build_info{version=\"0.1.0\"} 1") != std::string::npos);
  CHECK(metrics.body.find("drift_build_info{version=\"0.1.0\"} 1") != std::string::npos);
}

TEST_CASE("daemon: a broken reload keeps the running config and its findings") {
  TempDir dir;
  testing::TestHttpServer api(Api);
  WriteFixture(dir, api.port(), "a: 1\n", "a: 2\n");
  Daemon d(dir);
  CHECK(d.Findings()["findings"].size() == 2);
  dir.write("drift.yaml", "version: 1\nenvironments: [prod]\nservices: {app: {sources: {}}}\nbogus: 1\n");
  d.child->Signal(SIGHUP);
  CHECK(WaitFor([&] {
    return HttpDo(d.url("/metrics")).body.find("drift_config_last_reload_successful 0") !=
           std::string::npos;
  }));
  CHECK(d.Findings()["findings"].size() == 2);
  auto rejected = HttpDo(d.url("/api/v1/reload"), "POST", "Bearer t0ken");
  CHECK(rejected.status == 400);
  CHECK(nlohmann::json::parse(rejected.body) ==
        nlohmann::json{{"reloaded", false},
                       {"errors", {dir.file("drift.yaml") + ":4:1: unknown key 'bogus' in drift.yaml"}}});
  // A good config is taken by POST /api/v1/reload.
  dir.write("drift.yaml", Config(api.port(), "rules:\n  - ignore: api.replicas\n"));
  CHECK(HttpDo(d.url("/api/v1/reload"), "POST", "Bearer t0ken").status == 200);
  CHECK(WaitFor([&] { return d.Findings()["findings"].size() == 1; }));
  CHECK(HttpDo(d.url("/metrics")).body.find("drift_config_last_reload_successful 1") !=
        std::string::npos);
  CHECK(ReadFile(dir.file("daemon.log")).find("reload rejected, keeping the running config") !=
        std::string::npos);
}

TEST_CASE("daemon: a reload re-judges the held snapshots at once and keeps their schedule") {
  TempDir dir;
  testing::TestHttpServer api(Api);
  auto config = [&](const std::string& more_sources, const std::string& rules) {
    return R"(version: 1
environments: [prod, stage]
defaults: {interval: 1h, timeout: 2s}
services:
  app:
    sources:
      conf: {type: file, path: "{env}.yaml"}
      api: {type: http, url: "http://127.0.0.1:)" +
           std::to_string(api.port()) + "/{env}\", retries: 0}\n" + more_sources + rules;
  };
  dir.write("drift.yaml", config("", ""));
  dir.write("token", "t0ken\n");
  dir.write("prod.yaml", "a: 1\n");
  dir.write("stage.yaml", "a: 2\n");
  Daemon d(dir);
  auto paths = [&] {
    std::vector<std::string> out;
    auto report = d.Findings();
    for (const auto& f : report["findings"]) out.push_back(f["path"]);
    return out;
  };
  CHECK(paths() == std::vector<std::string>{"api.replicas", "conf.a"});
  CHECK(api.requests() == 2);

  // New rules and a new source; the file changes too, but `conf` is not due for an hour.
  dir.write("stage.yaml", "a: 5\n");
  dir.write("drift.yaml", config("      more: {type: file, path: \"{env}.yaml\"}\n",
                                 "rules:\n  - ignore: api.replicas\n"));
  d.child->Signal(SIGHUP);
  CHECK(WaitFor([&] { return paths() == std::vector<std::string>{"conf.a", "more.a"}; }));
  CHECK(HttpDo(d.url("/readyz")).status == 200);  // a reload never makes it unready
  auto f = d.Findings()["findings"];
  CHECK(f[0]["value"] == 2);  // the held snapshot, judged by the new rules
  CHECK(f[1]["value"] == 5);  // the new source, collected at once
  CHECK(api.requests() == 2);  // the unchanged http source kept its schedule

  // POST /api/v1/check collects now.
  CHECK(HttpDo(d.url("/api/v1/check"), "POST").status == 202);
  CHECK(WaitFor([&] { return d.Findings()["findings"][0]["value"] == 5; }));
  CHECK(WaitFor([&] { return api.requests() == 4; }));
}

TEST_CASE("daemon: invalid config at start-up is fatal, --once runs one round") {
  TempDir dir;
  dir.write("drift.yaml", "version: 1\nenvironments: [prod]\n");
  Child bad({DRIFT_BINARY, "daemon", "-c", dir.file("drift.yaml")}, dir.file("bad.log"));
  CHECK(bad.Wait(std::chrono::seconds(10)) == 2);
  CHECK(ReadFile(dir.file("bad.log")).find("missing 'services'") != std::string::npos);

  testing::TestHttpServer api(Api);
  WriteFixture(dir, api.port(), "a: 1\n", "a: 2\n");
  Child once({DRIFT_BINARY, "daemon", "-c", dir.file("drift.yaml"), "--once"}, dir.file("once.log"));
  CHECK(once.Wait(std::chrono::seconds(20)) == 0);
  auto store = Store::Open(dir.file("state.db"));
  REQUIRE(store.ok());
  CHECK((*store)->FindingsForPath("app", "conf.a").size() == 1);
}

TEST_CASE("daemon: kill -9 during evaluations never corrupts the store") {
  TempDir dir;
  testing::TestHttpServer api(Api);
  WriteFixture(dir, api.port(), "a: 0\n", "");
  std::mt19937 rng(1234);
  // The open conf.a finding's value in the store, or 0.
  auto stored = [&] {
    auto s = Store::Open(dir.file("state.db"));
    if (!s.ok()) return 0;
    for (const auto& f : (*s)->FindingsForPath("app", "conf.a"))
      if (f.resolved_at.empty()) return std::stoi(f.value);
    return 0;
  };
  int current = 0;  // rounds whose own evaluation made it to the store before the kill
  for (int i = 1; i <= 25; ++i) {
    dir.write("stage.yaml", "a: " + std::to_string(i) + "\n");
    {
      Child c({DRIFT_BINARY, "daemon", "-c", dir.file("drift.yaml"), "--listen", "127.0.0.1:0"},
              dir.file("kill.log"));
      // The first round is killed only once its evaluation is stored (so the later ones,
      // killed at random, have a record to corrupt); the others at a random moment.
      if (i == 1) REQUIRE(WaitFor([&] { return stored() == 1; }));
      else std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 400));
      c.Signal(SIGKILL);
      c.Wait(std::chrono::seconds(5));
    }
    current += stored() == i ? 1 : 0;
    auto store = Store::Open(dir.file("state.db"));
    REQUIRE(store.ok());
    CHECK((*store)->IntegrityCheck() == "ok");
    // The open finding for conf.a is from a completed evaluation: this round's or an earlier.
    int open = 0;
    for (const auto& f : (*store)->FindingsForPath("app", "conf.a")) {
      if (!f.resolved_at.empty()) continue;
      ++open;
      int v = std::stoi(f.value);
      CHECK(v >= 1);
      CHECK(v <= i);
    }
    CHECK(open <= 1);
  }
  CHECK(current >= 1);
}

TEST_CASE("daemon: a real Prometheus scrapes it, promtool accepts the metrics") {
  testing::RequireTool("promtool", "prometheus");
  testing::RequireTool("/usr/bin/prometheus", "prometheus");
  TempDir dir;
  testing::TestHttpServer api(Api);
  WriteFixture(dir, api.port(), "a: 1\n", "a: 2\n");
  Daemon d(dir);
  dir.write("metrics.txt", HttpDo(d.url("/metrics")).body);
  CHECK(std::system(("promtool check metrics < " + dir.file("metrics.txt") + " > " +
                     dir.file("promtool.log") + " 2>&1").c_str()) == 0);
  INFO(ReadFile(dir.file("promtool.log")));

  int prom_port = testing::FreePort();
  dir.write("prometheus.yml", "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                              "scrape_configs:\n  - job_name: drift\n    static_configs:\n"
                              "      - targets: ['127.0.0.1:" + std::to_string(d.port) + "']\n");
  Child prom({"/usr/bin/prometheus", "--config.file=" + dir.file("prometheus.yml"),
              "--storage.tsdb.path=" + dir.file("prom"),
              "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
             dir.file("prometheus.log"));
  auto query = [&](const std::string& q) {
    std::string url = "http://127.0.0.1:" + std::to_string(prom_port) + "/api/v1/query?query=";
    char* esc = curl_easy_escape(nullptr, q.c_str(), 0);
    url += esc;
    curl_free(esc);
    auto r = HttpDo(url);
    return r.status == 200 ? nlohmann::json::parse(r.body)["data"]["result"] : nlohmann::json::array();
  };
  nlohmann::json findings;
  bool scraped = WaitFor([&] {
    findings = query("drift_findings{source=\"conf\"}");
    return !findings.empty();
  }, std::chrono::seconds(40));
  INFO(ReadFile(dir.file("prometheus.log")));
  REQUIRE(scraped);
  REQUIRE(findings.size() == 1);
  auto& m = findings[0]["metric"];
  CHECK(m["service"] == "app");
  CHECK(m["env"] == "stage");
  CHECK(m["severity"] == "warning");
  CHECK(m["owner"] == "team-app");
  CHECK(m["rule"] == "default");
  CHECK(findings[0]["value"][1] == "1");
  auto down = query("drift_source_up{source=\"broken\"}");
  REQUIRE(down.size() == 2);
  CHECK(down[0]["value"][1] == "0");
  auto up = query("drift_source_up{source=\"conf\",env=\"prod\"}");
  REQUIRE(up.size() == 1);
  CHECK(up[0]["value"][1] == "1");
  CHECK(query("drift_build_info").size() == 1);
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

// Idle TCP connections to 127.0.0.1:port (as many as could be opened).
std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> OpenIdle(boost::asio::io_context& io,
                                                                    int port, int n) {
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> out;
  for (int i = 0; i < n; ++i) {
    auto s = std::make_unique<boost::asio::ip::tcp::socket>(io);
    boost::system::error_code ec;
    s->connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
    if (ec) break;
    out.push_back(std::move(s));
  }
  return out;
}

TEST_CASE("daemon: 1500 idle connections under a soft limit of 1024 descriptors") {
  // This process needs the descriptors too.
  rlimit lim{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
  if (lim.rlim_max < 4096) {
    MESSAGE("hard open-file limit " << lim.rlim_max << " is below 4096: nothing to raise to");
    return;
  }
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  TempDir dir;
  testing::TestHttpServer api(Api);
  WriteFixture(dir, api.port(), "a: 1\n", "a: 2\n");
  dir.write("drift.yaml", Config(api.port()) + "\n");
  std::string cfg = ReadFile(dir.file("drift.yaml"));
  cfg.replace(cfg.find("server: {"), 9, "server: {max_connections: 2000, ");
  dir.write("drift.yaml", cfg);
  Child child({"/bin/sh", "-c",
               std::string("ulimit -Sn 1024 && exec ") + DRIFT_BINARY + " daemon -c " +
                   dir.file("drift.yaml") + " --listen 127.0.0.1:0"},
              dir.file("daemon.log"));
  int port = testing::WaitForBoundPort(dir.file("daemon.log"), 0);
  REQUIRE(port != 0);
  auto url = [&](const std::string& p) { return "http://127.0.0.1:" + std::to_string(port) + p; };
  REQUIRE(WaitFor([&] { return HttpDo(url("/readyz")).status == 200; }));
  // The daemon took the hard limit as its soft one.
  std::string limits = ReadFile("/proc/" + std::to_string(child.pid()) + "/limits");
  CHECK(limits.find("Max open files            " + std::to_string(lim.rlim_max)) != std::string::npos);
  boost::asio::io_context io;
  auto idle = OpenIdle(io, port, 1500);
  REQUIRE(idle.size() == 1500);
  CHECK(HttpDo(url("/healthz")).status == 200);
  // Collections go on: a change is seen.
  dir.write("stage.yaml", "a: 3\n");
  bool seen = WaitFor([&] {
    auto r = HttpDo(url("/api/v1/findings"));
    if (r.status != 200) return false;
    auto report = nlohmann::json::parse(r.body);
    for (const auto& f : report["findings"])
      if (f["path"] == "conf.a" && f["value"] == 3) return true;
    return false;
  });
  INFO(HttpDo(url("/api/v1/findings")).body);
  CHECK(seen);
  CHECK(ReadFile(dir.file("daemon.log")).find("Too many open files") == std::string::npos);
}

TEST_CASE("daemon: connections beyond server.max_connections are closed at once and counted") {
  TempDir dir;
  testing::TestHttpServer api(Api);
  WriteFixture(dir, api.port(), "a: 1\n", "a: 2\n");
  std::string cfg = ReadFile(dir.file("drift.yaml"));
  cfg.replace(cfg.find("server: {"), 9, "server: {max_connections: 20, ");
  dir.write("drift.yaml", cfg);
  Daemon d(dir);
  {
    boost::asio::io_context io;
    auto idle = OpenIdle(io, d.port, 60);
    REQUIRE(idle.size() == 60);
    // The daemon closes the ones over the limit: reading them gives end of file.
    auto closed = [&] {
      int n = 0;
      char c;
      for (auto& s : idle)
        if (::recv(s->native_handle(), &c, 1, MSG_DONTWAIT) == 0) ++n;
      return n;
    };
    CHECK(WaitFor([&] { return closed() == 40; }));
  }
  // With the idle ones gone, the daemon answers again, and counted what it refused.
  CHECK(WaitFor([&] { return d.Metric("drift_http_connections_rejected_total") >= 40; }));
  CHECK(HttpDo(d.url("/healthz")).status == 200);
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

TEST_CASE("daemon: 1 MB values under matches and replace, a 100000-character regex on reload") {
  TempDir dir;
  std::string big(1 << 20, 'a');
  dir.write("prod.json", "{\"v\": \"" + big + "\", \"w\": \"" + big + "\"}");
  dir.write("stage.json", "{\"v\": \"" + big + "b\", \"w\": \"" + big + "c\"}");
  auto config = [](const std::string& pattern) {
    return R"(version: 1
environments: [prod, stage]
defaults: {interval: 300ms, timeout: 2s}
services:
  app:
    owner: team-app
    sources:
      conf: {type: file, path: "{env}.json"}
rules:
  - name: v-pattern
    match: conf.v
    expect: {matches: ")" + pattern + R"("}
  - name: w-replace
    match: conf.w
    normalize: [{replace: {pattern: "(a*)*([bc]?)$", with: "x$2"}}]
)";
  };
  dir.write("drift.yaml", config("(a|b)*"));
  Daemon d(dir);
  auto f = d.Findings();
  REQUIRE(f["findings"].size() == 1);
  CHECK(f["findings"][0]["path"] == "conf.w");
  // A pattern RE2 cannot take: the reload is refused with its position, the daemon goes on.
  dir.write("drift.yaml", config("(" + std::string(100000, 'a') + "){1000}"));
  auto r = HttpDo(d.url("/api/v1/reload"), "POST");
  CHECK(r.status == 400);
  INFO(r.body);
  CHECK(r.body.find("drift.yaml:12:23: invalid regex '(aaaa") != std::string::npos);
  CHECK(r.body.size() < 1000);
  CHECK(HttpDo(d.url("/healthz")).status == 200);
  CHECK(d.Findings()["findings"].size() == 1);
  // A long one that compiles is taken.
  std::string alt = "a";
  while (alt.size() < 100000) alt += "|b" + std::to_string(alt.size());
  dir.write("drift.yaml", config(alt));
  d.child->Signal(SIGHUP);
  CHECK(WaitFor([&] {
    auto now = d.Findings()["findings"];
    return now.size() == 3;  // v matches neither env now, w still differs
  }));
}

TEST_CASE("daemon: logs go to stderr, at the level asked for") {
  TempDir dir;
  testing::TestHttpServer api(Api);
  WriteFixture(dir, api.port(), "a: 1\n", "a: 2\n");
  std::string cfg = dir.file("drift.yaml");
  for (std::string level : {"debug", "warn"}) {
    std::string out = dir.file("stdout-" + level), err = dir.file("stderr-" + level);
    Child child({DRIFT_BINARY, "daemon", "-c", cfg, "--once", "--log-level", level}, out, err);
    CHECK(child.Wait(std::chrono::seconds(20)) == 0);
    CHECK(ReadFile(out) == "");
    std::string logs = ReadFile(err);
    INFO(logs);
    CHECK(logs.find("warning cannot collect service app, source broken") != std::string::npos);
    CHECK((logs.find(" debug collected service app, source conf, env prod") != std::string::npos) ==
          (level == "debug"));
    CHECK((logs.find(" info ") != std::string::npos) == (level == "debug"));
  }
}

}  // namespace
}  // namespace drift
