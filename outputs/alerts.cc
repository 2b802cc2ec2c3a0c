#include "outputs/alerts.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/document.h"
#include "core/report.h"
#include "core/strings.h"

namespace drift {

namespace {

constexpr size_t kMaxPaths = 20;
constexpr double kMaxBackoff = 300;  // seconds

std::string ValueText(const std::optional<nlohmann::ordered_json>& v) {
  return v ? Shorten(DumpJson(*v), 80) : std::string("—");
}

// One line per finding: what a person needs to act on it without opening drift.
std::string PathLine(const Finding& f) {
  std::string line = "- " + f.path + " (" + std::string(FindingKindName(f.kind));
  switch (f.kind) {
    case FindingKind::kMissing:
      line += "): baseline " + ValueText(f.baseline_value) + ", absent here";
      break;
    case FindingKind::kExtra:
      line += "): " + ValueText(f.value) + ", absent in the baseline";
      break;
    case FindingKind::kSame:
      line += " as " + (f.with_env.empty() ? "the baseline" : f.with_env) + "): " +
              ValueText(f.value);
      break;
    case FindingKind::kPattern: line += "): " + ValueText(f.value); break;
    default: line += "): " + ValueText(f.baseline_value) + " -> " + ValueText(f.value);
  }
  if (!f.message.empty()) line += " — " + f.message;
  return line;
}

}  // namespace

std::string Alert::key() const {
  return service + '\x1f' + source + '\x1f' + env + '\x1f' + rule;
}

std::vector<Alert> BuildAlerts(const std::vector<Finding>& findings) {
  // Group by (env, rule), paths in order.
  std::map<std::pair<std::string, std::string>, std::vector<const Finding*>> groups;
  for (const Finding& f : findings) groups[{f.env, f.rule}].push_back(&f);
  std::vector<Alert> out;
  for (auto& [k, fs] : groups) {
    std::sort(fs.begin(), fs.end(), [](const Finding* a, const Finding* b) {
      return std::tie(a->path, a->with_env) < std::tie(b->path, b->with_env);
    });
    const Finding& f0 = *fs.front();
    Alert a;
    a.service = f0.service;
    a.source = f0.source;
    a.env = f0.env;
    a.rule = f0.rule;
    a.labels = {{"alertname", "ConfigDrift"},
                {"service", f0.service},
                {"source", f0.source},
                {"env", f0.env},
                {"rule", f0.rule},
                {"severity", std::string(SeverityName(f0.severity))},
                {"team", f0.owner.empty() ? "unowned" : f0.owner}};
    std::string n = std::to_string(fs.size());
    a.annotations["summary"] = n + (fs.size() == 1 ? " path drifts" : " paths drift") + " in " +
                               f0.service + "/" + f0.source + " on " + f0.env + " (rule " +
                               f0.rule + ")";
    std::string desc;
    if (!f0.description.empty()) desc = f0.description + "\n\n";
    for (size_t i = 0; i < fs.size() && i < kMaxPaths; ++i) desc += PathLine(*fs[i]) + "\n";
    if (fs.size() > kMaxPaths)
      desc += "... and " + std::to_string(fs.size() - kMaxPaths) + " more: drift check --service " +
              f0.service + " --env " + f0.env + "\n";
    a.annotations["description"] = desc;
    if (!f0.runbook.empty()) a.annotations["runbook_url"] = f0.runbook;
    a.starts_at = 0;
    for (const Finding* f : fs) {
      double t = ParseTime(f->first_seen);
      if (t > 0 && (a.starts_at == 0 || t < a.starts_at)) a.starts_at = t;
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::string AlertEntry::Encode() const {
  nlohmann::ordered_json j;
  j["service"] = alert.service;
  j["source"] = alert.source;
  j["env"] = alert.env;
  j["rule"] = alert.rule;
  j["labels"] = alert.labels;
  j["annotations"] = alert.annotations;
  j["starts_at"] = alert.starts_at;
  j["firing"] = firing;
  j["pending"] = pending;
  j["last_sent"] = last_sent;
  j["resolved_at"] = resolved_at;
  j["attempts"] = attempts;
  j["next_attempt"] = next_attempt;
  if (stale_labels) j["stale_labels"] = *stale_labels;
  return DumpJson(j);
}

std::optional<AlertEntry> AlertEntry::Decode(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    AlertEntry e;
    e.alert.service = j.at("service").get<std::string>();
    e.alert.source = j.at("source").get<std::string>();
    e.alert.env = j.at("env").get<std::string>();
    e.alert.rule = j.at("rule").get<std::string>();
    e.alert.labels = j.at("labels").get<std::map<std::string, std::string>>();
    e.alert.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
    e.alert.starts_at = j.at("starts_at").get<double>();
    e.firing = j.at("firing").get<bool>();
    e.pending = j.at("pending").get<bool>();
    e.last_sent = j.at("last_sent").get<double>();
    e.resolved_at = j.at("resolved_at").get<double>();
    e.attempts = j.at("attempts").get<int>();
    e.next_attempt = j.at("next_attempt").get<double>();
    if (j.contains("stale_labels"))
      e.stale_labels = j["stale_labels"].get<std::map<std::string, std::string>>();
    return e;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

AlertBook::AlertBook(std::chrono::milliseconds resend_interval)
    : resend_(resend_interval.count() / 1000.0) {}

void AlertBook::Load(std::vector<AlertEntry> entries) {
  for (auto& e : entries) {
    std::string k = e.alert.key();
    entries_[k] = std::move(e);
  }
}

void AlertBook::Resolve(AlertEntry& e, double now) {
  if (!e.firing) return;
  e.firing = false;
  e.pending = true;
  e.resolved_at = now;
  e.attempts = 0;
  e.next_attempt = 0;
}

std::vector<std::string> AlertBook::Update(const std::string& service, const std::string& source,
                                           const std::vector<std::string>& envs,
                                           std::vector<Alert> alerts, double now) {
  std::vector<std::string> changed;
  std::set<std::string> present;
  for (Alert& a : alerts) {
    std::string k = a.key();
    present.insert(k);
    auto it = entries_.find(k);
    if (it == entries_.end()) {
      AlertEntry e;
      e.alert = std::move(a);
      entries_.emplace(k, std::move(e));
      changed.push_back(k);
      continue;
    }
    AlertEntry& e = it->second;
    // The alert's start is kept while it fires (first_seen can only move with a new drift).
    if (e.firing) a.starts_at = e.alert.starts_at ? e.alert.starts_at : a.starts_at;
    if (e.firing && e.alert == a) continue;
    if (e.alert.labels != a.labels && e.last_sent > 0 && !e.stale_labels)
      e.stale_labels = e.alert.labels;
    e.alert = std::move(a);
    e.firing = true;
    e.pending = true;
    e.resolved_at = 0;
    e.attempts = 0;
    e.next_attempt = 0;
    changed.push_back(k);
  }
  for (auto& [k, e] : entries_) {
    if (e.alert.service != service || e.alert.source != source || present.count(k)) continue;
    if (std::find(envs.begin(), envs.end(), e.alert.env) == envs.end()) continue;  // unknown
    if (!e.firing) continue;
    if (e.last_sent == 0 && !e.stale_labels) {
      e.firing = false;  // never delivered: nothing to resolve in Alertmanager
      e.pending = false;
    } else {
      Resolve(e, now);
    }
    changed.push_back(k);
  }
  std::erase_if(entries_, [](const auto& kv) { return !kv.second.firing && !kv.second.pending; });
  return changed;
}

std::vector<std::string> AlertBook::Retain(
    const std::set<std::pair<std::string, std::string>>& keep, double now) {
  std::vector<std::string> changed;
  for (auto& [k, e] : entries_) {
    if (keep.count({e.alert.service, e.alert.source}) || !e.firing) continue;
    Resolve(e, now);
    changed.push_back(k);
  }
  return changed;
}

std::vector<std::string> AlertBook::Due(double now, size_t max) const {
  std::vector<std::string> out;
  for (const auto& [k, e] : entries_) {
    if (out.size() >= max) break;
    if (e.next_attempt > now) continue;
    if (e.pending || (e.firing && now >= e.last_sent + resend_)) out.push_back(k);
  }
  return out;
}

std::string AlertBook::Payload(const std::vector<std::string>& keys, double now) const {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& k : keys) {
    auto it = entries_.find(k);
    if (it == entries_.end()) continue;
    const AlertEntry& e = it->second;
    nlohmann::ordered_json a;
    a["labels"] = e.alert.labels;
    a["annotations"] = e.alert.annotations;
    if (!page_url_.empty())
      a["generatorURL"] = page_url_ + "/?service=" + UrlEncode(e.alert.service) +
                          "&env=" + UrlEncode(e.alert.env);
    if (e.alert.starts_at > 0) a["startsAt"] = FormatUnixTime(e.alert.starts_at);
    a["endsAt"] = FormatUnixTime(e.firing ? now + 4 * resend_ : e.resolved_at);
    arr.push_back(std::move(a));
    if (e.stale_labels) {
      nlohmann::ordered_json old;
      old["labels"] = *e.stale_labels;
      old["annotations"] = e.alert.annotations;
      old["endsAt"] = FormatUnixTime(now);
      arr.push_back(std::move(old));
    }
  }
  return DumpJson(arr);
}

std::vector<std::string> AlertBook::Delivered(const std::vector<std::string>& keys, bool ok,
                                              double now) {
  std::vector<std::string> changed;
  for (const auto& k : keys) {
    auto it = entries_.find(k);
    if (it == entries_.end()) continue;
    AlertEntry& e = it->second;
    changed.push_back(k);
    if (!ok) {
      ++e.attempts;
      e.next_attempt = now + std::min(kMaxBackoff, std::pow(2.0, e.attempts - 1));
      continue;
    }
    e.attempts = 0;
    e.next_attempt = 0;
    e.last_sent = now;
    e.pending = false;
    e.stale_labels.reset();
    if (!e.firing) entries_.erase(it);
  }
  return changed;
}

std::optional<double> AlertBook::NextDue() const {
  std::optional<double> next;
  for (const auto& [k, e] : entries_) {
    double t = e.pending ? e.next_attempt
                         : (e.firing ? std::max(e.next_attempt, e.last_sent + resend_) : -1);
    if (t < 0) continue;
    if (!next || t < *next) next = t;
  }
  return next;
}

size_t AlertBook::queue_length() const {
  size_t n = 0;
  for (const auto& [k, e] : entries_) n += e.pending ? 1 : 0;
  return n;
}

const AlertEntry* AlertBook::Find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace drift
