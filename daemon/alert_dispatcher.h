// Alerting (SPEC §7): the alert book decides what fires, resolves and is due; the dispatcher
// delivers it to Alertmanager (one POST in flight at most, backoff while it fails, one log
// line when delivery starts failing and one when it recovers) and keeps the book's state in
// the store, written in order off the io thread. Not thread-safe: call it on the io thread.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "collectors/runtime.h"
#include "core/config.h"
#include "daemon/metrics.h"
#include "daemon/store_writer.h"
#include "outputs/alerts.h"

namespace drift {

class AlertDispatcher {
 public:
  // `store` may be null (no state store: the book lives in memory only).
  AlertDispatcher(Runtime& runtime, StoreWriter* store, Metrics& metrics);

  // The book as a previous run left it.
  void Load();
  // The alerting section of the config in force (a reload calls it again).
  // `page_url`: where the page is (server.external_url, else the listen address), for
  // generatorURL.
  void Configure(const AlertingConfig& alerting, const std::string& config_dir,
                 const std::string& page_url);
  bool enabled() const { return !alerting_.alertmanager_url.empty(); }

  // One evaluation's alerts (AlertBook::Update), then a delivery if one is due.
  void Update(const std::string& service, const std::string& source,
              const std::vector<std::string>& envs, std::vector<Alert> alerts);
  // Resolves what belongs to (service, source) pairs no longer in `keep`.
  void Retain(const std::set<std::pair<std::string, std::string>>& keep);
  // Sends what is due in one POST; when nothing is, waits until something will be.
  void Send();
  // No more deliveries; the io loop may end.
  void Stop();
  // At exit, once the pool is drained: writes the states not written yet.
  void WriteRemaining();

  size_t size() const { return book_.size(); }

 private:
  static constexpr size_t kBatch = 500;  // alerts per POST
  static constexpr size_t kMaxResponse = 1 << 20;
  void OnSent(const std::vector<std::string>& keys, bool ok, const std::string& why);
  void Persist(const std::vector<std::string>& keys);
  void Flush();

  Runtime& runtime_;
  StoreWriter* store_;
  Metrics& metrics_;
  AlertingConfig alerting_;
  std::string config_dir_;
  AlertBook book_{std::chrono::minutes(1)};
  boost::asio::steady_timer timer_;
  bool in_flight_ = false, failing_ = false, flushing_ = false, stopping_ = false;
  StoreWriter::AlertWrites writes_;  // queued for the store
};

}  // namespace drift
