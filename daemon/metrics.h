// Every metric of SPEC §7, served as Prometheus text format: the few-series families on a
// prometheus-cpp registry, the per-source and per-service ones (tens of thousands of series in
// a fleet) as TextFamily lines re-rendered only when they change.
// Label sets are bounded by the config (services, sources, envs, rules, owners): no
// per-finding labels. Not thread-safe: updated and serialized on the daemon's io thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/finding.h"
#include "core/report.h"
#include "daemon/text_family.h"

namespace drift {

class Metrics {
 public:
  Metrics();
  // Findings gauges from the current findings (stale label sets are removed). Call when the
  // findings change; UpdateAges keeps drift_oldest_finding_age_seconds current in between.
  void SetFindings(const std::vector<const Finding*>& findings, double now_unix);
  void UpdateAges(double now_unix);
  // Each service's owner ("" = unowned): the `owner` label of drift_source_up and
  // drift_oldest_finding_age_seconds, so alerts on them route to the team. On every install.
  // A source whose service changed owner is relabelled at once (its value kept), so that an
  // alert on it goes to the new team without waiting for its next collection.
  void SetOwners(std::map<std::string, std::string> owners);
  // `type`: the source's type (file, http, …), the histogram's label.
  void SourceCollected(const std::string& service, const std::string& source,
                       const std::string& env, const std::string& type, bool up, double seconds,
                       double now_unix);
  void Evaluated(const std::string& service);
  void SetUnowned(size_t n) { unowned_->Set(static_cast<double>(n)); }
  void SetWaiversExpired(size_t n) { waivers_expired_->Set(static_cast<double>(n)); }
  void AlertsSent(bool ok, size_t n) { (ok ? alerts_ok_ : alerts_error_)->Increment(static_cast<double>(n)); }
  void SetAlertQueue(size_t n) { alert_queue_->Set(static_cast<double>(n)); }
  void Reloaded(bool ok, double now_unix);
  void SetConnections(size_t open, uint64_t rejected_total);
  // After a reload: series of sources that no longer exist go away, and the duration
  // histogram of a (type, env) no source has any more. Keys: service, source, env[, type].
  void RetainSources(const std::vector<std::vector<std::string>>& keep);
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>* findings_;
  prometheus::Family<prometheus::Gauge>* oldest_;
  TextFamily source_up_;
  TextFamily last_success_;
  TextFamily last_duration_;
  TextFamily evaluations_;
  prometheus::Family<prometheus::Histogram>* duration_;
  std::map<std::pair<std::string, std::string>, prometheus::Histogram*> durations_;  // type, env
  prometheus::Counter* alerts_ok_;
  prometheus::Counter* alerts_error_;
  prometheus::Gauge* alert_queue_;
  prometheus::Gauge* unowned_;
  prometheus::Gauge* http_open_;
  prometheus::Counter* http_rejected_;
  prometheus::Gauge* waivers_expired_;
  prometheus::Gauge* reload_ok_;
  prometheus::Gauge* reload_ts_;
  std::map<std::vector<std::string>, prometheus::Gauge*> finding_series_, oldest_series_;
  std::map<std::vector<std::string>, double> oldest_first_seen_;
  static constexpr TextFamily::Handle kNone = UINT32_MAX;
  struct SourceSeries {
    TextFamily::Handle up = kNone;
    TextFamily::Handle last_success = kNone;
    TextFamily::Handle last_duration = kNone;
    std::string owner;  // the owner label `up` carries
  };
  std::map<std::string, std::string> owners_;
  const std::string& OwnerOf(const std::string& service) const;
  // Keyed by service NUL source NUL env: one string per source, not three.
  std::unordered_map<std::string, SourceSeries> source_series_;
  std::unordered_map<std::string, TextFamily::Handle> evaluation_series_;
};

}  // namespace drift
