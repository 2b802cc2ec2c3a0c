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

PageInput Input(const CheckReport& r, std::vector<SourceStatus> sources = {}) {
  PageInput in;
  in.report = &r;
  in.sources = std::move(sources);
  in.services = {{"cms", ""}, {"lms", "team-<learning>"}};
  in.now = ParseTime("2026-11-30T12:00:00Z");
  return in;
}

TEST_CASE("page: the parity matrix, worst first, owners, stale and down marks, filters in links") {
  CheckReport r = OneFinding();
  std::vector<SourceStatus> sources{
      {"lms", "settings", "prod", true, "2026-11-30T12:00:00Z", "", 0.25, "abc"},
      {"lms", "settings", "stage", true, "", "connection refused <x>", 1.5, ""},
      {"lms", "settings", "sandbox", false, "", "", 0, ""}};
  PageInput in = Input(r, sources);
  in.trend["lms"] = {0, 1, 1};
  in.endpoints = {{"/api/v1/findings", "the current findings", false},
                  {"/api/v1/reload", "reload <drift.yaml>", true}};
  std::string h = RenderPage(in, PageView{});
  CHECK(h.find("1 findings (1 critical, 0 warning, 0 info), baseline prod, 0 of 0 sources down.") !=
        std::string::npos);
  // lms (a critical finding) before cms (none), whatever the names' order.
  CHECK(h.find("data-service=\"lms\"") < h.find("data-service=\"cms\""));
  CHECK(h.find("<tr data-service=\"lms\"><td><a href=\"/?service=lms\">lms</a></td><td>"
               "team-&lt;learning&gt;</td>") != std::string::npos);
  CHECK(h.find("<tr data-service=\"cms\"><td><a href=\"/?service=cms\">cms</a></td><td><span "
               "class=\"unowned\">unowned</span></td>") != std::string::npos);
  // stage: critical, 1 finding, held while its source is down.
  CHECK(h.find("<td class=\"cell critical\" data-env=\"stage\"><a href=\"/?env=stage&amp;"
               "service=lms\">1<span class=\"mark stale\"") != std::string::npos);
  CHECK(h.find("1 source(s) down\">▼ down</span>") != std::string::npos);
  CHECK(h.find("<td class=\"cell none\" data-env=\"prod\">") != std::string::npos);
  CHECK(h.find("<svg class=\"trend\"") != std::string::npos);
  CHECK(h.find("alert(1)") == std::string::npos);  // values are for the service view
  // Source health: the down one first; the API from the router's table.
  CHECK(h.find("<td class=\"down\">down</td><td></td><td>connection refused &lt;x&gt;</td>") <
        h.find("<td class=\"up\">up</td>"));
  CHECK(h.find("<td class=\"\">pending</td>") != std::string::npos);
  CHECK(h.find("<a href=\"/api/v1/findings\">GET /api/v1/findings</a>") != std::string::npos);
  CHECK(h.find("<code>POST /api/v1/reload</code></td><td>reload &lt;drift.yaml&gt;</td>") !=
        std::string::npos);

  // A filtered view: links keep the filters, the env column alone, other owners' rows gone.
  PageView v;
  v.owner = "team-<learning>";
  v.env = "stage";
  std::string f = RenderPage(in, v);
  CHECK(f.find("data-service=\"cms\"") == std::string::npos);
  CHECK(f.find("<a href=\"/?env=stage&amp;owner=team-%3Clearning%3E&amp;service=lms\">lms</a>") !=
        std::string::npos);
  CHECK(f.find("data-env=\"prod\"") == std::string::npos);
  CHECK(f.find("<option selected value=\"stage\">stage</option>") != std::string::npos);
  PageView warnings;
  warnings.severity = "warning";
  CHECK(RenderPage(in, warnings).find("<td class=\"cell ok\" data-env=\"stage\">") != std::string::npos);
}

TEST_CASE("page: a service's view: values side by side, the difference marked, history, pages") {
  CheckReport r = OneFinding();
  r.findings[0].baseline_value = "registry.example.org/openedx/lms:v2.14.3-build-1";
  r.findings[0].value = "registry.example.org/openedx/lms:v2.17.1-build-1";
  r.findings[0].message = "version 2.17.1 vs prod's 2.14.3: <minor> 3 apart";
  PageInput in = Input(r);
  in.history[r.findings[0].id] = {{"2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"}};
  PageView v;
  v.service = "lms";
  std::string h = RenderPage(in, v);
  CHECK(h.find("<code>&quot;registry.example.org/openedx/lms:v2.1<mark>4.3</mark>-build-1&quot;</code>") !=
        std::string::npos);
  CHECK(h.find("<code>&quot;registry.example.org/openedx/lms:v2.1<mark>7.1</mark>-build-1&quot;</code>"
               "<br><small>version 2.17.1 vs prod&#39;s 2.14.3: &lt;minor&gt; 3 apart</small>") !=
        std::string::npos);
  CHECK(h.find("earlier: 2026-11-01T00:00:00Z → resolved 2026-11-02T00:00:00Z") != std::string::npos);
  CHECK(h.find("2h<br><small class=\"muted\">since 2026-11-30T10:00</small><br><span "
               "class=\"stale\"") != std::string::npos);
  // 250 findings: three pages of 100.
  for (int i = 0; i < 249; ++i) {
    Finding f = r.findings[0];
    f.path = "settings.F" + std::to_string(i);
    r.findings.push_back(f);
  }
  v.page = 2;
  std::string last = RenderPage(in, v);
  CHECK(last.find("page 3 of 3 · <a href=\"/?page=2&amp;service=lms\">previous</a>") !=
        std::string::npos);
  CHECK(PageView::From([](const char* n) { return std::string(n) == "page" ? "3" : ""; }).page == 2);
  size_t rows = 0;
  for (size_t at = last.find("<tr data-env="); at != std::string::npos; at = last.find("<tr data-env=", at + 1))
    ++rows;
  CHECK(rows == 50);
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
