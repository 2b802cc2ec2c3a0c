// The page and the sources' JSON from a report, without a daemon.
#include "daemon/page.h"

#include "core/report.h"
#include "tests/testing.h"

namespace drift {
namespace {

CheckReport OneFinding() {
  CheckReport r;
  r.baseline = "prod";
  r.environments = {"prod", "stage"};
  Finding f;
  f.service = "lms";
  f.source = "settings";
  f.path = "settings.FEATURE";
  f.env = "stage";
  f.rule = "flags";
  f.kind = FindingKind::kChanged;
  f.severity = Severity::kCritical;
  f.owner = "team-<learning>";
  f.baseline_value = "<script>alert(1)</script>";
  f.value = true;
  f.first_seen = "2026-11-30T10:00:00Z";
  f.stale = true;
  f.unknown_since = "2026-11-30T11:00:00Z";
  r.findings.push_back(f);
  return r;
}

TEST_CASE("page: findings by service with owner, escaped values, age and staleness, and sources") {
  std::vector<SourceStatus> sources{
      {"lms", "settings", "prod", true, "2026-11-30T12:00:00Z", "", 0.25, "abc"},
      {"lms", "settings", "stage", true, "", "connection refused <x>", 1.5, ""},
      {"lms", "settings", "sandbox", false, "", "", 0, ""}};
  double now = ParseTime("2026-11-30T12:00:00Z");
  std::string h = RenderPage(OneFinding(), sources, now,
                             {{"/api/v1/findings", "the current findings", false},
                              {"/api/v1/reload", "reload <drift.yaml>", true}});
  CHECK(h.find("1 findings (1 critical, 0 warning, 0 info), baseline prod.") != std::string::npos);
  CHECK(h.find("<h2>lms <small>team-&lt;learning&gt;</small></h2>") != std::string::npos);
  CHECK(h.find("<script>") == std::string::npos);
  CHECK(h.find("&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;") != std::string::npos);
  CHECK(h.find("<td>2h <span class=\"stale\"") != std::string::npos);
  CHECK(h.find("stale since 2026-11-30T11:00:00Z") != std::string::npos);
  CHECK(h.find("<td class=\"up\">up</td>") != std::string::npos);
  CHECK(h.find("<td class=\"down\">down</td><td></td><td>connection refused &lt;x&gt;</td>") !=
        std::string::npos);
  CHECK(h.find("<td class=\"\">pending</td>") != std::string::npos);
  // The API, from the router's table: GET ones linked, POST ones named.
  CHECK(h.find("<a href=\"/api/v1/findings\">GET /api/v1/findings</a>") != std::string::npos);
  CHECK(h.find("<code>POST /api/v1/reload</code></td><td>reload &lt;drift.yaml&gt;</td>") !=
        std::string::npos);
}

TEST_CASE("page: long values shortened around their difference, the message shown") {
  CheckReport r = OneFinding();
  r.findings[0].baseline_value = "registry.example.org/openedx/lms:v2.14.3-with-a-long-build-suffix-1";
  r.findings[0].value = "registry.example.org/openedx/lms:v2.17.1-with-a-long-build-suffix-1";
  r.findings[0].message = "version 2.17.1 vs prod's 2.14.3: minor 3 apart, max_minor is 1";
  std::string h = RenderPage(r, {}, ParseTime("2026-11-30T12:00:00Z"), {});
  CHECK(h.find("<code>&quot;registry.example.org/openedx/lms:v2.14.3-with-a-long-build…</code>") !=
        std::string::npos);
  CHECK(h.find("<code>&quot;registry.example.org/openedx/lms:v2.17.1-with-a-long-build…</code><br>"
               "<small>version 2.17.1 vs prod's 2.14.3: minor 3 apart, max_minor is 1</small>") !=
        std::string::npos);
}

TEST_CASE("page: the sources' JSON says up, nulls what is unknown") {
  std::vector<SourceStatus> sources{
      {"lms", "settings", "prod", true, "2026-11-30T12:00:00Z", "", 0.25, "abc"},
      {"lms", "settings", "stage", true, "", "refused", 1.5, ""}};
  auto j = SourcesJson(sources);
  CHECK(j.dump() ==
        R"([{"service":"lms","source":"settings","env":"prod","up":true,)"
        R"("last_success":"2026-11-30T12:00:00Z","last_error":null,"duration_seconds":0.25,)"
        R"("snapshot_hash":"abc"},{"service":"lms","source":"settings","env":"stage","up":false,)"
        R"("last_success":null,"last_error":"refused","duration_seconds":1.5,"snapshot_hash":null}])");
}

}  // namespace
}  // namespace drift
