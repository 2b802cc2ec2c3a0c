// Hostile or unlucky input through the real commands: nothing crashes, every problem is a
// positioned error (issue: hardening).
#include <nlohmann/json.hpp>

#include "tests/testing.h"

namespace drift {
namespace {

using testing::Run;
using testing::TempDir;

std::string TwoEnvs(const std::string& rules) {
  return "version: 1\nenvironments: [prod, stage]\nservices:\n  app:\n    owner: team-app\n"
         "    sources:\n      conf: {type: file, path: \"{env}.json\"}\nrules:\n" +
         rules;
}

TEST_CASE("hardening: matches and replace on 1 MB values, through check") {
  TempDir dir;
  std::string big(1 << 20, 'a');
  dir.write("prod.json", "{\"v\": \"" + big + "\", \"w\": \"" + big + "\"}");
  dir.write("stage.json", "{\"v\": \"" + big + "b\", \"w\": \"" + big + "c\"}");
  std::string cfg = dir.write("drift.yaml", TwoEnvs(R"(  - name: v-pattern
    match: conf.v
    expect: {matches: "(a|b)*"}
  - name: w-replace
    match: conf.w
    normalize: [{replace: {pattern: "(a*)*([bc]?)$", with: "x$2"}}]
)"));
  auto r = Run({"check", "-c", cfg, "--format", "json"});
  INFO(r.err);
  CHECK(r.code == 1);
  auto j = nlohmann::json::parse(r.out);
  // v: both match (no finding); w: "x" against "xc" after replace.
  REQUIRE(j["findings"].size() == 1);
  CHECK(j["findings"][0]["path"] == "conf.w");
  CHECK(j["findings"][0]["kind"] == "changed");
}

TEST_CASE("hardening: a 100,000-character regex is a positioned error or works, never a crash") {
  TempDir dir;
  dir.write("prod.json", "{\"v\": \"a\"}");
  dir.write("stage.json", "{\"v\": \"a\"}");
  std::string huge = "(" + std::string(100000, 'a') + "){1000}";
  std::string cfg = dir.write("drift.yaml", TwoEnvs("  - name: huge\n    match: conf.v\n"
                                                    "    expect: {matches: \"" + huge + "\"}\n"));
  auto v = Run({"validate", "-c", cfg});
  CHECK(v.code == 2);
  CHECK(v.err.find("/drift.yaml:11:23: invalid regex '(aaaa") != std::string::npos);
  CHECK(v.err.size() < 600);
  auto c = Run({"check", "-c", cfg});
  CHECK(c.code == 2);
  CHECK(c.err.find("/drift.yaml:11:23: invalid regex") != std::string::npos);
  // One that RE2 compiles (100,000 characters of alternatives) simply works.
  std::string alt = "a";
  while (alt.size() < 100000) alt += "|b" + std::to_string(alt.size());
  cfg = dir.write("drift.yaml", TwoEnvs("  - name: long\n    match: conf.v\n"
                                        "    expect: {matches: \"" + alt + "\"}\n"));
  CHECK(Run({"validate", "-c", cfg}).code == 0);
  CHECK(Run({"check", "-c", cfg}).code == 0);
}

TEST_CASE("hardening: durations and numbers out of range are positioned errors") {
  TempDir dir;
  dir.write("prod.json", "{}");
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod]
defaults:
  interval: "100000000000000000000s"
  timeout: 9999999h
  max_concurrency: 99999999999999999999999
services:
  app:
    owner: x
    sources:
      conf: {type: http, url: "http://127.0.0.1:1/", retries: 1e999, max_size: -5}
server: {listen: "127.0.0.1:99999"}
)");
  auto r = Run({"validate", "-c", cfg});
  CHECK(r.code == 2);
  CHECK(r.err.find("internal error") == std::string::npos);
  CHECK(r.err.find("drift.yaml:4:13: defaults.interval: duration '100000000000000000000s' is too "
                   "long (at most 366d)") != std::string::npos);
  CHECK(r.err.find("drift.yaml:5:12: defaults.timeout: duration '9999999h' is too long") !=
        std::string::npos);
  CHECK(r.err.find("drift.yaml:6:20: defaults.max_concurrency must be between 1 and 10000") !=
        std::string::npos);
  CHECK(r.err.find("drift.yaml:11:63: retries must be an integer") != std::string::npos);
  CHECK(r.err.find("drift.yaml:12:18: server.listen must be HOST:PORT with a port from 0 to "
                   "65535") != std::string::npos);
}

TEST_CASE("hardening: JSON integers beyond 64 bits and 1e400 are floats, as in YAML") {
  TempDir dir;
  dir.write("a.json",
            R"({"big": 18446744073709551616, "neg": -9223372036854775809, "huge": 1e400,
                "ok": 18446744073709551615})");
  dir.write("b.yaml", "big: 18446744073709551616\nneg: -9223372036854775809\nhuge: 1e400\n"
                      "ok: 18446744073709551615\n");
  auto r = Run({"diff", dir.file("a.json"), dir.file("b.yaml"), "--format", "json"});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(nlohmann::json::parse(r.out)["summary"]["differences"] == 0);
  // A bare big number as the whole document too.
  dir.write("c.json", "18446744073709551616");
  dir.write("d.yaml", "18446744073709551616.0\n");
  CHECK(Run({"diff", dir.file("c.json"), dir.file("d.yaml")}).code == 0);
  // And not-a-number text is still a positioned parse error.
  dir.write("e.json", "{\"x\": 01}");
  auto e = Run({"diff", dir.file("e.json"), dir.file("d.yaml")});
  CHECK(e.code == 2);
  CHECK(e.err.find("e.json:1:") != std::string::npos);
}

}  // namespace
}  // namespace drift
