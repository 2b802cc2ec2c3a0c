// daemon/metrics: series sized for fleets and labelled for routing.
#include "daemon/metrics.h"

#include <map>

#include "tests/testing.h"

namespace drift {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST_CASE("metrics: durations by type and env, a last duration per source, owners relabelled on reload") {
  Metrics m;
  m.SetOwners({{"lms", "team-learning"}});
  m.SourceCollected("lms", "settings", "stage", "file", false, 0.25, 1000);
  m.SourceCollected("lms", "deploy", "stage", "kubernetes", true, 0.5, 1000);
  m.SourceCollected("cms", "settings", "stage", "file", true, 0.75, 1000);
  std::string t = m.Serialize();
  CHECK(Has(t, "drift_source_up{env=\"stage\",owner=\"team-learning\",service=\"lms\",source=\"settings\"} 0"));
  CHECK(Has(t, "drift_source_up{env=\"stage\",owner=\"\",service=\"cms\",source=\"settings\"} 1"));
  CHECK(Has(t, "drift_source_last_collect_duration_seconds{env=\"stage\",service=\"lms\",source=\"deploy\"} 0.5"));
  CHECK(Has(t, "drift_collect_duration_seconds_count{env=\"stage\",type=\"file\"} 2"));
  CHECK(Has(t, "drift_collect_duration_seconds_count{env=\"stage\",type=\"kubernetes\"} 1"));
  CHECK(t.find("drift_collect_duration_seconds_bucket{env=\"stage\",service=") == std::string::npos);
  // A reload gives lms another owner: its series move at once, with their values.
  m.SetOwners({{"lms", "team-platform"}, {"cms", "team-authoring"}});
  t = m.Serialize();
  CHECK(Has(t, "drift_source_up{env=\"stage\",owner=\"team-platform\",service=\"lms\",source=\"settings\"} 0"));
  CHECK(Has(t, "drift_source_up{env=\"stage\",owner=\"team-authoring\",service=\"cms\",source=\"settings\"} 1"));
  CHECK(t.find("team-learning") == std::string::npos);
  // Sources gone after a reload lose their series.
  m.RetainSources({{"lms", "deploy", "stage", "kubernetes"}});
  t = m.Serialize();
  CHECK(t.find("source=\"settings\"") == std::string::npos);
  // No file source is left: its duration histogram goes too.
  CHECK(t.find("type=\"file\"") == std::string::npos);
  CHECK(Has(t, "drift_collect_duration_seconds_count{env=\"stage\",type=\"kubernetes\"} 1"));
  CHECK(Has(t, "drift_source_up{env=\"stage\",owner=\"team-platform\",service=\"lms\",source=\"deploy\"} 1"));
}

TEST_CASE("metrics: a fleet's per-source series, one line each, and evaluation counters that go with their service") {
  Metrics m;
  std::map<std::string, std::string> owners;
  for (int i = 0; i < 3000; ++i) owners["svc" + std::to_string(i)] = "team-" + std::to_string(i % 7);
  m.SetOwners(owners);
  std::vector<std::vector<std::string>> keep;
  for (int i = 0; i < 3000; ++i) {
    std::string s = "svc" + std::to_string(i);
    for (const char* env : {"prod", "stage", "sandbox"}) {
      m.SourceCollected(s, "config", env, "file", i % 10 != 0, 0.001 * (i % 50), 1764540000 + i);
      if (i < 1500) keep.push_back({s, "config", env});
    }
    m.Evaluated(s);
    if (i % 2 == 0) m.Evaluated(s);
  }
  auto count = [](const std::string& t, const std::string& prefix) {
    size_t n = 0;
    for (size_t p = t.find("\n" + prefix); p != std::string::npos; p = t.find("\n" + prefix, p + 1)) ++n;
    return n;
  };
  std::string t = m.Serialize();
  CHECK(count(t, "drift_source_up{") == 9000);
  CHECK(count(t, "drift_source_last_collect_duration_seconds{") == 9000);
  CHECK(count(t, "drift_source_last_success_timestamp_seconds{") == 8100);  // 1 in 10 never up
  CHECK(count(t, "drift_evaluations_total{") == 3000);
  CHECK(Has(t, "drift_source_up{env=\"sandbox\",owner=\"team-3\",service=\"svc10\",source=\"config\"} 0"));
  CHECK(Has(t, "drift_source_last_success_timestamp_seconds{env=\"prod\",service=\"svc11\",source=\"config\"} 1764540011"));
  CHECK(Has(t, "drift_evaluations_total{service=\"svc12\"} 2"));
  CHECK(Has(t, "drift_evaluations_total{service=\"svc13\"} 1"));
  // A collection changes only its own lines.
  m.SourceCollected("svc10", "config", "sandbox", "file", true, 0.5, 1764549999);
  t = m.Serialize();
  CHECK(Has(t, "drift_source_up{env=\"sandbox\",owner=\"team-3\",service=\"svc10\",source=\"config\"} 1"));
  CHECK(Has(t, "drift_source_up{env=\"prod\",owner=\"team-3\",service=\"svc10\",source=\"config\"} 0"));
  CHECK(count(t, "drift_source_last_success_timestamp_seconds{") == 8101);
  // Half the services go away with a reload: their sources' series and counters with them.
  m.RetainSources(keep);
  t = m.Serialize();
  CHECK(count(t, "drift_source_up{") == 4500);
  CHECK(count(t, "drift_evaluations_total{") == 1500);
  CHECK(t.find("service=\"svc1500\"") == std::string::npos);
  CHECK(Has(t, "drift_evaluations_total{service=\"svc1499\"} 1"));
}

}  // namespace
}  // namespace drift
