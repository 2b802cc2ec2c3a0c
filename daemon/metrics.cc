#include "daemon/metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <set>
#include <ctime>

namespace drift {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  findings_ = &BuildGauge().Name("drift_findings").Help("Current findings").Register(r);
  oldest_ = &BuildGauge()
                 .Name("drift_oldest_finding_age_seconds")
                 .Help("Age of the oldest current finding")
                 .Register(r);
  source_up_ = &BuildGauge()
                    .Name("drift_source_up")
                    .Help("1 when the last collection of the source succeeded")
                    .Register(r);
  last_success_ = &BuildGauge()
                       .Name("drift_source_last_success_timestamp_seconds")
                       .Help("Time of the last successful collection")
                       .Register(r);
  // By source type and env only: per-source labels would be ~14 series per source (420,000
  // at 10,000 services); each source's own last duration is one gauge.
  duration_ = &BuildHistogram()
                   .Name("drift_collect_duration_seconds")
                   .Help("Duration of collections, by source type and env")
                   .Register(r);
  last_duration_ = &BuildGauge()
                        .Name("drift_source_last_collect_duration_seconds")
                        .Help("Duration of the source's last collection")
                        .Register(r);
  evaluations_ =
      &BuildCounter().Name("drift_evaluations_total").Help("Rule evaluations").Register(r);
  auto& alerts = BuildCounter()
                     .Name("drift_alerts_sent_total")
                     .Help("Alerts sent to Alertmanager, by outcome")
                     .Register(r);
  alerts_ok_ = &alerts.Add({{"result", "ok"}});
  alerts_error_ = &alerts.Add({{"result", "error"}});
  alert_queue_ = &BuildGauge()
                      .Name("drift_alert_queue_length")
                      .Help("Alerts waiting to be delivered")
                      .Register(r)
                      .Add({});
  http_open_ = &BuildGauge()
                    .Name("drift_http_connections")
                    .Help("Client connections open to the daemon's HTTP server")
                    .Register(r)
                    .Add({});
  http_rejected_ = &BuildCounter()
                        .Name("drift_http_connections_rejected_total")
                        .Help("Client connections closed at once: over server.max_connections "
                              "or out of file descriptors")
                        .Register(r)
                        .Add({});
  unowned_ = &BuildGauge().Name("drift_unowned_services").Help("Services with no owner").Register(r).Add({});
  waivers_expired_ =
      &BuildGauge().Name("drift_waivers_expired").Help("Expired waivers").Register(r).Add({});
  reload_ok_ = &BuildGauge()
                    .Name("drift_config_last_reload_successful")
                    .Help("1 when the last config (re)load succeeded")
                    .Register(r)
                    .Add({});
  reload_ts_ = &BuildGauge()
                    .Name("drift_config_last_reload_success_timestamp_seconds")
                    .Help("Time of the last successful config load")
                    .Register(r)
                    .Add({});
  BuildGauge()
      .Name("drift_build_info")
      .Help("Build information")
      .Register(r)
      .Add({{"version", DRIFT_VERSION}})
      .Set(1);
}

void Metrics::SetFindings(const std::vector<const Finding*>& findings, double now) {
  std::map<std::vector<std::string>, double> counts;
  std::map<std::vector<std::string>, double> oldest;
  for (const Finding* f : findings) {
    std::string sev(SeverityName(f->severity));
    counts[{f->service, f->source, f->env, sev, f->owner, f->rule}] += 1;
    double first = ParseTime(f->first_seen);
    auto& o = oldest[{f->service, f->env, sev, OwnerOf(f->service)}];
    if (first > 0 && (o == 0 || first < o)) o = first;
  }
  auto sync = [](prometheus::Family<prometheus::Gauge>* fam,
                 std::map<std::vector<std::string>, prometheus::Gauge*>& series,
                 const std::map<std::vector<std::string>, double>& values,
                 const std::vector<std::string>& names, auto value_of) {
    for (auto it = series.begin(); it != series.end();) {
      if (!values.count(it->first)) {
        fam->Remove(it->second);
        it = series.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [key, v] : values) {
      auto& g = series[key];
      if (!g) {
        std::map<std::string, std::string> labels;
        for (size_t i = 0; i < names.size(); ++i) labels[names[i]] = key[i];
        g = &fam->Add(labels);
      }
      g->Set(value_of(v));
    }
  };
  sync(findings_, finding_series_, counts, {"service", "source", "env", "severity", "owner", "rule"},
       [](double v) { return v; });
  sync(oldest_, oldest_series_, oldest, {"service", "env", "severity", "owner"},
       [now](double first) { return first > 0 ? std::max(0.0, now - first) : 0.0; });
  oldest_first_seen_ = std::move(oldest);
}

void Metrics::UpdateAges(double now) {
  for (const auto& [key, first] : oldest_first_seen_) {
    auto it = oldest_series_.find(key);
    if (it != oldest_series_.end()) it->second->Set(first > 0 ? std::max(0.0, now - first) : 0.0);
  }
}

void Metrics::SourceCollected(const std::string& service, const std::string& source,
                              const std::string& env, const std::string& type, bool up,
                              double seconds, double now) {
  auto& s = source_series_[{service, source, env}];
  const std::string& owner = OwnerOf(service);
  if (s.up && s.owner != owner) {  // the owner changed with a reload: a new series
    source_up_->Remove(s.up);
    s.up = nullptr;
  }
  std::map<std::string, std::string> l;  // only built for a new series (this runs per collection)
  if (!s.up || !s.last_duration || (up && !s.last_success))
    l = {{"service", service}, {"source", source}, {"env", env}};
  if (!s.up) {
    auto with_owner = l;
    with_owner["owner"] = owner;
    s.up = &source_up_->Add(with_owner);
    s.owner = owner;
  }
  if (!s.last_duration) s.last_duration = &last_duration_->Add(l);
  s.up->Set(up ? 1 : 0);
  s.last_duration->Set(seconds);
  if (up) {
    if (!s.last_success) s.last_success = &last_success_->Add(l);
    s.last_success->Set(now);
  }
  auto& h = durations_[{type, env}];
  if (!h)
    h = &duration_->Add({{"type", type}, {"env", env}},
                        prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                0.5, 1, 2.5, 5, 10, 30, 60});
  h->Observe(seconds);
}

void Metrics::SetOwners(std::map<std::string, std::string> owners) {
  owners_ = std::move(owners);
  for (auto& [key, s] : source_series_) {
    if (!s.up) continue;
    const std::string& owner = OwnerOf(key[0]);
    if (owner == s.owner) continue;
    double value = s.up->Value();
    source_up_->Remove(s.up);
    s.up = &source_up_->Add({{"service", key[0]}, {"source", key[1]}, {"env", key[2]}, {"owner", owner}});
    s.up->Set(value);
    s.owner = owner;
  }
}

const std::string& Metrics::OwnerOf(const std::string& service) const {
  static const std::string kNone;
  auto it = owners_.find(service);
  return it == owners_.end() ? kNone : it->second;
}

void Metrics::Evaluated(const std::string& service) {
  evaluations_->Add({{"service", service}}).Increment();
}

void Metrics::Reloaded(bool ok, double now) {
  reload_ok_->Set(ok ? 1 : 0);
  if (ok) reload_ts_->Set(now);
}

void Metrics::RetainSources(const std::vector<std::vector<std::string>>& keep) {
  // A set: a fleet has tens of thousands of sources, and this runs on the io thread.
  std::set<std::vector<std::string>> kept(keep.begin(), keep.end());
  for (auto it = source_series_.begin(); it != source_series_.end();) {
    if (kept.count(it->first)) {
      ++it;
      continue;
    }
    source_up_->Remove(it->second.up);
    if (it->second.last_success) last_success_->Remove(it->second.last_success);
    if (it->second.last_duration) last_duration_->Remove(it->second.last_duration);
    it = source_series_.erase(it);
  }
}

std::string Metrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

void Metrics::SetConnections(size_t open, uint64_t rejected_total) {
  http_open_->Set(static_cast<double>(open));
  double seen = http_rejected_->Value();
  if (static_cast<double>(rejected_total) > seen)
    http_rejected_->Increment(static_cast<double>(rejected_total) - seen);
}

}  // namespace drift
