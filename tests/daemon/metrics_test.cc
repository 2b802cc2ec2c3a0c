// daemon/metrics: series sized for fleets and labelled for routing.
#include "daemon/metrics.h"

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
  m.RetainSources({{"lms", "deploy", "stage"}});
  t = m.Serialize();
  CHECK(t.find("source=\"settings\"") == std::string::npos);
  CHECK(Has(t, "drift_source_up{env=\"stage\",owner=\"team-platform\",service=\"lms\",source=\"deploy\"} 1"));
}

}  // namespace
}  // namespace drift
