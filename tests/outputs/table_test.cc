#include <sstream>

#include "core/strings.h"
#include "outputs/sink.h"
#include "tests/testing.h"

namespace drift {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST_CASE("shortening keeps the first difference of two values in view") {
  std::string a = "\"registry.example.org/openedx/lms:v2.14.3\"";
  std::string b = "\"registry.example.org/openedx/lms:v2.17.1\"";
  auto [sa, sb] = ShortenPair(a, b, 20);
  CHECK(sa == "…penedx/lms:v2.14.3\"");
  CHECK(sb == "…penedx/lms:v2.17.1\"");
  CHECK(DisplayWidth(sa) <= 20);
  CHECK(DisplayWidth(sb) <= 20);
  CHECK(sa.find("14.3") != std::string::npos);
  CHECK(sb.find("17.1") != std::string::npos);
  CHECK(sa.starts_with("…"));
  // A difference in the middle: ellipses on both ends, the difference in view.
  std::string host_a = "\"redis://:hmac:0123456789ab@cache-a.prod.example.internal:6379/1\"";
  std::string host_b = "\"redis://:hmac:0123456789ab@cache-b.prod.example.internal:6379/1\"";
  auto [ha, hb] = ShortenPair(host_a, host_b, 24);
  CHECK(ha.find("cache-a") != std::string::npos);
  CHECK(hb.find("cache-b") != std::string::npos);
  CHECK(ha.starts_with("…"));
  CHECK(ha.ends_with("…"));
  CHECK(DisplayWidth(ha) == 24);
  // A difference near the start keeps the start; short values stay whole; UTF-8 stays whole.
  CHECK(ShortenAround("abcdefghijklmnopqrstuvwxyz", 1, 10) == "abcdefghi…");
  CHECK(ShortenPair("short", "shirt", 10) == std::pair<std::string, std::string>{"short", "shirt"});
  std::string accents = "ééééééééééééééééééééééééé1";
  CHECK(ShortenAround(accents, accents.size() - 1, 8) == "…éééééé1");
}

TEST_CASE("table output: no line wider than the width, the differing part always visible") {
  CheckReport r;
  r.baseline = "prod";
  r.environments = {"prod", "stage"};
  r.sources = 2;
  auto add = [&](std::string path, nlohmann::ordered_json b, nlohmann::ordered_json v,
                 FindingKind kind, std::string message = "") {
    Finding f;
    f.service = "lms";
    f.source = "deploy";
    f.path = std::move(path);
    f.env = "stage";
    f.rule = "release-skew";
    f.kind = kind;
    f.owner = "team-learning";
    f.baseline_value = std::move(b);
    f.value = std::move(v);
    f.message = std::move(message);
    r.findings.push_back(f);
  };
  add("deploy.spec.template.spec.containers[name=lms].image",
      "registry.example.org/openedx/lms:v2.14.3", "registry.example.org/openedx/lms:v2.17.1",
      FindingKind::kSkew, "version 2.17.1 vs prod's 2.14.3: minor 3 apart, max_minor is 1");
  add("deploy.CACHE_URL", "redis://:hmac:0123456789ab@cache-a.example.internal:6379/1",
      "redis://:hmac:0123456789ab@cache-b.example.internal:6379/1", FindingKind::kChanged);
  add("deploy.x", 1, 2, FindingKind::kChanged);
  for (size_t width : {60, 80, 100, 191}) {
    CAPTURE(width);
    SinkOptions o;
    o.width = width;
    std::ostringstream out;
    MakeSink("table", o)->Write(r, out);
    auto lines = Lines(out.str());
    for (const auto& l : lines) {
      CAPTURE(l);
      CHECK(DisplayWidth(l) <= width);
    }
    std::string text = out.str();
    CHECK(text.find("14.3") != std::string::npos);
    CHECK(text.find("17.1") != std::string::npos);
    CHECK(text.find("cache-a") != std::string::npos);
    CHECK(text.find("cache-b") != std::string::npos);
    CHECK(text.find("    warning  changed deploy.x  1 → 2  [release-skew]") != std::string::npos);
  }
  // Wide enough: the skew finding and its message on one line.
  SinkOptions wide;
  wide.width = 250;
  std::ostringstream out;
  MakeSink("table", wide)->Write(r, out);
  CHECK(out.str().find(
            "deploy.spec.template.spec.containers[name=lms].image  "
            "\"registry.example.org/openedx/lms:v2.14.3\" → "
            "\"registry.example.org/openedx/lms:v2.17.1\" (version 2.17.1 vs prod's 2.14.3: minor 3 "
            "apart, max_minor is 1)  [release-skew]") != std::string::npos);
}

}  // namespace
}  // namespace drift
