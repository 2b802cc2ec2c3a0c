// A real Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1 for the tests, with a
// receiver that drops everything: the tests read what it holds through its v2 API.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "tests/support/process.h"

namespace drift::testing {

class Alertmanager {
 public:
  // `config`: the alertmanager.yml to run with (default: one receiver that drops everything).
  Alertmanager(const TempDir& dir, int port, const std::string& config = "") : port_(port) {
    dir.write("am.yml", !config.empty() ? config
                                        : "route: {receiver: blackhole, group_by: [team]}\n"
                                          "receivers: [{name: blackhole}]\n");
    RequireTool("/usr/bin/prometheus-alertmanager", "prometheus-alertmanager");
    child_ = std::make_unique<Child>(
        std::vector<std::string>{"/usr/bin/prometheus-alertmanager",
                                 "--config.file=" + dir.file("am.yml"),
                                 "--storage.path=" + dir.file("am"),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                 "--cluster.listen-address="},
        dir.file("alertmanager.log"));
    bool ready = WaitFor([&] { return HttpDo(url("/-/ready")).status == 200; });
    INFO(ReadFile(dir.file("alertmanager.log")));
    REQUIRE(ready);
  }
  std::string url(const std::string& p) const {
    return "http://127.0.0.1:" + std::to_string(port_) + p;
  }
  // The alerts Alertmanager holds that are not resolved.
  nlohmann::json Active() const {
    auto r = HttpDo(url("/api/v2/alerts?active=true&silenced=true&inhibited=true"));
    return r.status == 200 ? nlohmann::json::parse(r.body) : nlohmann::json::array();
  }

 private:
  int port_;
  std::unique_ptr<Child> child_;
};

}  // namespace drift::testing
