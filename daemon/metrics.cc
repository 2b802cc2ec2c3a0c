#include "daemon/metrics.h"

#include "daemon/process_metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <set>
#include <unordered_set>
#include <ctime>

namespace drift {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

namespace {

std::string SourceKey(const std::string& service, const std::string& source,
                      const std::string& env) {
  std::string k;
  k.reserve(service.size() + source.size() + env.size() + 2);
  k += service;
  k += '\0';
  k += source;
  k += '\0';
  k += env;
  return k;
}

// service, source, env of a SourceKey.
std::array<std::string_view, 3> SplitSourceKey(std::string_view k) {
  size_t a = k.find('\0'), b = k.find('\0', a + 1);
  return {k.substr(0, a), k.substr(a + 1, b - a - 1), k.substr(b + 1)};
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      source_up_("drift_source_up", "1 when the last collection of the source succeeded", "gauge"),
      last_success_("drift_source_last_success_timestamp_seconds",
                    "Time of the last successful collection", "gauge"),
      last_duration_("drift_source_last_collect_duration_seconds",
                     "Duration of the source's last collection", "gauge"),
      evaluations_("drift_evaluations_total", "Rule evaluations", "counter") {
  auto& r = *registry_;
  findings_ = &BuildGauge().Name("drift_findings").Help("Current findings").Register(r);
  oldest_ = &BuildGauge()
                 .Name("drift_oldest_finding_age_seconds")
                 .Help("Age of the oldest current finding")
                 .Register(r);
  // By source type and env only: per-source labels would be ~14 series per source (420,000
  // at 10,000 services); each source's own last duration is one gauge.
  duration_ = &BuildHistogram()
                   .Name("drift_collect_duration_seconds")
                   .Help("Duration of collections, by source type and env")
                   .Register(r);
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
  auto& s = source_series_[SourceKey(service, source, env)];
  const TextFamily::Labels l = {{"service", service}, {"source", source}, {"env", env}};
  if (s.up == kNone) {  // (SetOwners relabels existing series when an owner changes)
    const std::string& owner = OwnerOf(service);
    s.up = source_up_.Add({{"service", service}, {"source", source}, {"env", env}, {"owner", owner}});
    s.owner = owner;
  }
  if (s.last_duration == kNone) s.last_duration = last_duration_.Add(l);
  source_up_.Set(s.up, up ? 1 : 0);
  last_duration_.Set(s.last_duration, seconds);
  if (up) {
    if (s.last_success == kNone) s.last_success = last_success_.Add(l);
    last_success_.Set(s.last_success, now);
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
    if (s.up == kNone) continue;
    auto [service, source, env] = SplitSourceKey(key);
    const std::string& owner = OwnerOf(std::string(service));
    if (owner == s.owner) continue;
    double value = source_up_.value(s.up);
    source_up_.Remove(s.up);
    s.up = source_up_.Add({{"service", service}, {"source", source}, {"env", env}, {"owner", owner}});
    source_up_.Set(s.up, value);
    s.owner = owner;
  }
}

const std::string& Metrics::OwnerOf(const std::string& service) const {
  static const std::string kNone;
  auto it = owners_.find(service);
  return it == owners_.end() ? kNone : it->second;
}

void Metrics::Evaluated(const std::string& service) {
  auto [it, added] = evaluation_series_.try_emplace(service, 0);
  if (added) it->second = evaluations_.Add({{"service", service}});
  evaluations_.Increment(it->second);
}

void Metrics::Reloaded(bool ok, double now) {
  reload_ok_->Set(ok ? 1 : 0);
  if (ok) reload_ts_->Set(now);
}

void Metrics::RetainSources(const std::vector<std::vector<std::string>>& keep) {
  // A set: a fleet has tens of thousands of sources, and this runs on the io thread.
  std::unordered_set<std::string> kept;
  std::unordered_set<std::string> services;
  std::set<std::pair<std::string, std::string>> durations;  // type, env
  bool typed = true;  // every key names its type: histograms can be pruned
  for (const auto& k : keep) {
    kept.insert(SourceKey(k[0], k[1], k[2]));
    services.insert(k[0]);
    if (k.size() > 3) durations.insert({k[3], k[2]});
    else typed = false;
  }
  for (auto it = durations_.begin(); it != durations_.end();) {
    if (!typed || durations.count(it->first)) {
      ++it;
      continue;
    }
    duration_->Remove(it->second);
    it = durations_.erase(it);
  }
  for (auto it = source_series_.begin(); it != source_series_.end();) {
    if (kept.count(it->first)) {
      ++it;
      continue;
    }
    source_up_.Remove(it->second.up);
    if (it->second.last_success != kNone) last_success_.Remove(it->second.last_success);
    if (it->second.last_duration != kNone) last_duration_.Remove(it->second.last_duration);
    it = source_series_.erase(it);
  }
  // A removed service's evaluation counter goes too (a counter reset if it comes back, which
  // rate() handles).
  for (auto it = evaluation_series_.begin(); it != evaluation_series_.end();) {
    if (services.count(it->first)) {
      ++it;
      continue;
    }
    evaluations_.Remove(it->second);
    it = evaluation_series_.erase(it);
  }
}

std::string Metrics::Serialize() const {
  std::string out = prometheus::TextSerializer().Serialize(registry_->Collect());
  for (const TextFamily* f : {&evaluations_, &source_up_, &last_success_, &last_duration_})
    f->AppendTo(out);
  AppendProcessMetrics(out);
  return out;
}

void Metrics::SetConnections(size_t open, uint64_t rejected_total) {
  http_open_->Set(static_cast<double>(open));
  double seen = http_rejected_->Value();
  if (static_cast<double>(rejected_total) > seen)
    http_rejected_->Increment(static_cast<double>(rejected_total) - seen);
}

}  // namespace drift
