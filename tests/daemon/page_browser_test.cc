// The page in a real browser (headless Chromium): the example's parity matrix as the DOM
// has it after the page's script ran, a filter link, a value holding markup shown as text,
// no horizontal scroll at 1366 px, and screenshots under the build directory for people.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <map>

#include "tests/support/example.h"
#include "tests/support/process.h"
#include "tests/testing.h"

namespace drift {
namespace {

using testing::HttpDo;
using testing::ReadFile;
using testing::TempDir;

const char* kChromium = "/usr/bin/chromium";

// Chromium's flags for a headless run as root in a container, at 1366×900.
std::string Browser(const TempDir& profile) {
  return std::string(kChromium) +
         " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars "
         "--no-first-run --user-data-dir=" + profile.path() +
         " --window-size=1366,900 --virtual-time-budget=3000 ";
}

// The DOM after the page's scripts ran.
std::string Dom(const TempDir& profile, const std::string& url) {
  std::string cmd = Browser(profile) + "--dump-dom '" + url + "' 2>/dev/null";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  pclose(p);
  REQUIRE_MESSAGE(out.find("<html") != std::string::npos, ("chromium printed no DOM for " + url));
  return out;
}

void Screenshot(const TempDir& profile, const std::string& url, const std::string& file) {
  std::filesystem::create_directories(std::filesystem::path(file).parent_path());
  std::filesystem::remove(file);
  std::string cmd = Browser(profile) + "--screenshot=" + file + " '" + url + "' >/dev/null 2>&1";
  CHECK(std::system(cmd.c_str()) == 0);
  REQUIRE(std::filesystem::exists(file));
  CHECK(std::filesystem::file_size(file) > 10000);
}

// Where people find the screenshots after `make test`: <build dir>/screenshots.
std::string ScreenshotDir() {
  return std::string(DRIFT_BUILD_DIR) + "/screenshots";
}

TEST_CASE("page in Chromium: the example's matrix, a filter link, screenshots at 1366x900") {
  testing::RequireTool(kChromium, "chromium");
  TempDir dir, profile;
  std::string envs = dir.path() + "/example/envs";
  testing::TestHttpServer server(
      [&](const testing::HttpCall& c) { return testing::ServeFile(envs, c); });
  std::string cfg = testing::CopyExample(dir, server);
  auto kube = testing::StartExampleClusters(dir);
  testing::DaemonProcess d(cfg, dir.file("daemon.log"));

  // What the matrix must show, from the API: per (service, env) the count and worst severity.
  auto report = nlohmann::json::parse(HttpDo(d.url("/api/v1/findings")).body);
  std::map<std::pair<std::string, std::string>, std::pair<int, int>> cells;  // count, worst
  auto rank = [](const std::string& s) { return s == "critical" ? 2 : s == "warning" ? 1 : 0; };
  for (const auto& f : report["findings"]) {
    auto& c = cells[{f["service"], f["env"]}];
    ++c.first;
    c.second = std::max(c.second, rank(f["severity"]));
  }
  REQUIRE(cells.size() >= 3);
  std::string dom = Dom(profile, d.url("/"));
  CHECK(dom.find("<html lang=\"en\" data-hscroll=\"false\">") != std::string::npos);
  const char* names[] = {"info", "warning", "critical"};
  for (const auto& [key, c] : cells) {
    const auto& [service, env] = key;
    INFO(service, " ", env);
    CHECK(dom.find("<tr data-service=\"" + service + "\">") != std::string::npos);
    CHECK(dom.find("<td class=\"cell " + std::string(names[c.second]) + "\" data-env=\"" + env +
                   "\"><a href=\"/?env=" + env + "&amp;service=" + service + "\">" +
                   std::to_string(c.first)) != std::string::npos);
  }
  // The worst service comes first.
  std::string worst;
  int worst_rank = -1, worst_count = 0;
  std::map<std::string, std::pair<int, int>> per_service;
  for (const auto& [key, c] : cells) {
    auto& s = per_service[key.first];
    s.first = std::max(s.first, c.second);
    s.second += c.first;
  }
  for (const auto& [name, s] : per_service)
    if (std::tie(s.first, s.second) > std::tie(worst_rank, worst_count)) {
      worst = name;
      worst_rank = s.first;
      worst_count = s.second;
    }
  CHECK(dom.find("<tr data-service=") == dom.find("<tr data-service=\"" + worst + "\">"));

  // A filter link gives the filtered view: stage's column alone, the filter selected.
  std::string stage = Dom(profile, d.url("/?env=stage"));
  CHECK(stage.find("data-env=\"stage\"") != std::string::npos);
  CHECK(stage.find("data-env=\"prod\"") == std::string::npos);
  CHECK(stage.find("<option selected=\"\" value=\"stage\">stage</option>") != std::string::npos);

  // A service's view fits too.
  std::string view = Dom(profile, d.url("/?service=lms"));
  CHECK(view.find("data-hscroll=\"false\"") != std::string::npos);
  CHECK(view.find("<mark>") != std::string::npos);

  Screenshot(profile, d.url("/"), ScreenshotDir() + "/page-matrix.png");
  Screenshot(profile, d.url("/?service=lms"), ScreenshotDir() + "/page-service-lms.png");
}

TEST_CASE("page in Chromium: a value holding markup is shown as text and runs nothing") {
  testing::RequireTool(kChromium, "chromium");
  TempDir dir, profile;
  dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
defaults: {interval: 1h}
services:
  app:
    owner: team-app
    sources:
      conf: {type: file, path: "{env}.yaml"}
)");
  dir.write("prod.yaml", "banner: plain\n");
  dir.write("stage.yaml",
            "banner: \"<script>document.title='pwned'</script><img src=x "
            "onerror=\\\"document.title='pwned'\\\">\"\n");
  testing::DaemonProcess d(dir.file("drift.yaml"), dir.file("daemon.log"));
  std::string dom = Dom(profile, d.url("/?service=app"));
  CHECK(dom.find("<title>drift · app</title>") != std::string::npos);
  CHECK(dom.find("pwned") != std::string::npos);  // shown...
  CHECK(dom.find("&lt;script&gt;document.title='pwned'&lt;/script&gt;") != std::string::npos);
  CHECK(dom.find("<img src=\"x\"") == std::string::npos);  // ...never made an element
}

}  // namespace
}  // namespace drift
