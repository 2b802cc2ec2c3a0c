// Alerts for Alertmanager (SPEC §7): one alert per (service, source, env, rule) with
// findings, and the book that decides what to send when — new and changed alerts at once,
// firing ones again every resend interval, resolved ones once more, failed deliveries again
// with backoff. Pure logic with times passed in (tests drive it with a fake clock); the
// daemon does the HTTP and keeps the entries in the state store so they survive restarts.
// Not thread-safe: the daemon uses it from its io thread.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/finding.h"

namespace drift {

struct Alert {
  std::string service, source, env, rule;
  std::map<std::string, std::string> labels, annotations;
  double starts_at = 0;  // unix seconds: the oldest finding's first_seen

  // service \x1f source \x1f env \x1f rule: the book's and the store's key.
  std::string key() const;
  bool operator==(const Alert&) const = default;
};

// The alerts of one evaluation's findings (of one service and source): labels alertname,
// service, source, env, rule, severity, team (owner or "unowned"); annotations summary,
// description (the rule's description, then up to 20 paths with their values, redacted
// values as fingerprints) and runbook_url when the rule has one.
std::vector<Alert> BuildAlerts(const std::vector<Finding>& findings);

struct AlertEntry {
  Alert alert;
  bool firing = true;        // false: resolved, to be sent once more with endsAt
  bool pending = true;       // new, changed or resolved since the last delivery
  double last_sent = 0;      // unix seconds of the last delivery (0: never)
  double resolved_at = 0;    // when the drift was gone (the resolved alert's endsAt)
  int attempts = 0;          // failed deliveries in a row
  double next_attempt = 0;   // no delivery before this (backoff after failures)
  // Labels Alertmanager last got when they changed since (severity or team did): that alert
  // is resolved with the next delivery, or it would fire on until it expires.
  std::optional<std::map<std::string, std::string>> stale_labels;

  // JSON for the state store; Decode returns nullopt for text it cannot read.
  std::string Encode() const;
  static std::optional<AlertEntry> Decode(const std::string& text);
};

class AlertBook {
 public:
  explicit AlertBook(std::chrono::milliseconds resend_interval);
  void set_resend_interval(std::chrono::milliseconds d) { resend_ = d.count() / 1000.0; }
  // The page's address (no trailing /): each alert's generatorURL is the page filtered to
  // its service and env. "" = no generatorURL.
  void set_page_url(std::string url) { page_url_ = std::move(url); }

  // Entries from the state store (after a restart).
  void Load(std::vector<AlertEntry> entries);

  // The alerts of one evaluation of (service, source). Alerts of envs not in `envs` (not
  // collected: unknown) are left as they are; the others not in `alerts` resolve. Returns
  // the keys whose entries changed or went away (to write to the store).
  std::vector<std::string> Update(const std::string& service, const std::string& source,
                                  const std::vector<std::string>& envs, std::vector<Alert> alerts,
                                  double now);
  // Resolves the alerts of every (service, source) not in `keep` (gone after a reload).
  std::vector<std::string> Retain(const std::set<std::pair<std::string, std::string>>& keep,
                                  double now);

  // Keys to deliver now: pending ones past their backoff, firing ones due for a resend.
  std::vector<std::string> Due(double now, size_t max) const;
  // The Alertmanager v2 body (a JSON array) for these keys: firing alerts end at now + 4 ×
  // resend interval, resolved ones at their resolved_at.
  std::string Payload(const std::vector<std::string>& keys, double now) const;
  // After a delivery of `keys`: on success they are sent (resolved ones leave the book); on
  // failure they are retried after 1 s, 2 s, 4 s ... up to 5 minutes. Returns the keys
  // whose entries changed or went away.
  std::vector<std::string> Delivered(const std::vector<std::string>& keys, bool ok, double now);

  // When something is next due (nullopt: nothing ever, until an Update).
  std::optional<double> NextDue() const;
  size_t queue_length() const;  // alerts waiting for a delivery (pending)
  const AlertEntry* Find(const std::string& key) const;
  size_t size() const { return entries_.size(); }

 private:
  std::string page_url_;
  void Resolve(AlertEntry& e, double now);
  double resend_;
  std::map<std::string, AlertEntry> entries_;
};

}  // namespace drift
