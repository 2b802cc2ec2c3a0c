// SPEC §7 scale-out: N daemons with --shard I/N together watch exactly what one unsharded
// daemon watches — on a 300-service fleet (with discovery: every shard discovers, then keeps
// its share), the union of the shards' findings is the single daemon's, and the sums of
// their drift_findings series are its.
#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "tests/support/process.h"

namespace drift {
namespace {

using nlohmann::json;
using testing::HttpDo;
using testing::TempDir;
using testing::WaitFor;

// finding id -> "service env path kind"
std::map<std::string, std::string> Findings(const testing::DaemonProcess& d) {
  std::map<std::string, std::string> out;
  auto j = json::parse(HttpDo(d.url("/api/v1/findings")).body);
  for (const auto& f : j["findings"])
    out[f["id"].get<std::string>()] = f["service"].get<std::string>() + " " + f["env"].get<std::string>() +
                                      " " + f["path"].get<std::string>() + " " + f["kind"].get<std::string>();
  return out;
}

// Sum of drift_findings by (service, severity) from /metrics.
std::map<std::string, double> FindingSeries(const testing::DaemonProcess& d) {
  std::map<std::string, double> out;
  std::string m = HttpDo(d.url("/metrics")).body;
  std::istringstream in(m);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("drift_findings{")) continue;
    auto sp = line.rfind(' ');
    out[line.substr(0, sp)] += std::stod(line.substr(sp + 1));
  }
  return out;
}

TEST_CASE("shards: three shards together equal one unsharded daemon on a 300-service fleet") {
  TempDir dir;
  const char* envs[] = {"prod", "stage", "sandbox"};
  for (int i = 0; i < 300; ++i) {
    std::string svc = "svc-" + std::to_string(i);
    for (int e = 0; e < 3; ++e) {
      // Every 13th service drifts in stage, every 17th in sandbox; every 29th is not in sandbox.
      if (e == 2 && i % 29 == 0) continue;
      std::string level = (e == 1 && i % 13 == 0) || (e == 2 && i % 17 == 0) ? "debug" : "info";
      dir.write(std::string("envs/") + envs[e] + "/" + svc + ".yml",
                "LOG_LEVEL: " + level + "\nWORKERS: 4\nNAME: " + svc + "\n");
    }
  }
  dir.write("drift.yaml", R"(version: 1
environments: [prod, stage, sandbox]
defaults: {interval: 1s, timeout: 5s}
discover:
  - name: fleet
    from: {type: glob, path: "envs/{env}/{service}.yml"}
    template:
      owner: team-{service}
      sources:
        settings: {type: file, path: "envs/{env}/{service}.yml"}
)");
  testing::DaemonProcess one(dir.file("drift.yaml"), dir.file("one.log"));
  std::vector<std::unique_ptr<testing::DaemonProcess>> shards;
  for (int s = 0; s < 3; ++s)
    shards.push_back(std::make_unique<testing::DaemonProcess>(
        dir.file("drift.yaml"), dir.file("shard" + std::to_string(s) + ".log"),
        std::vector<std::string>{"--shard", std::to_string(s) + "/3"}));
  // 24 services drift in stage (i % 13), 17 in sandbox (i % 17, but svc-0 is not there), 11
  // are missing in sandbox (i % 29).
  size_t expected = 24 + 17 + 11;
  if (!WaitFor([&] { return Findings(one).size() == expected; })) FAIL_CHECK(Findings(one).size());
  std::map<std::string, std::string> all = Findings(one);
  std::map<std::string, std::string> unioned;
  std::set<std::string> services_seen;
  REQUIRE(WaitFor([&] {
    unioned.clear();
    size_t total = 0;
    for (const auto& d : shards) {
      auto f = Findings(*d);
      total += f.size();
      unioned.insert(f.begin(), f.end());
    }
    return total == expected && unioned.size() == expected;  // disjoint, and complete
  }));
  CHECK(unioned == all);
  // Every shard holds some of them: the hash spreads the fleet.
  for (const auto& d : shards) CHECK(!Findings(*d).empty());
  // The metrics add up series by series.
  std::map<std::string, double> sum;
  for (const auto& d : shards)
    for (const auto& [k, v] : FindingSeries(*d)) sum[k] += v;
  CHECK(sum == FindingSeries(one));
  CHECK(sum.size() == expected);
}

}  // namespace
}  // namespace drift
