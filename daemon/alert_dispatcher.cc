#include "daemon/alert_dispatcher.h"

#include <boost/asio/post.hpp>

#include "core/interpolate.h"
#include "core/report.h"
#include "daemon/log.h"

namespace drift {

AlertDispatcher::AlertDispatcher(Runtime& runtime, StoreWriter* store, Metrics& metrics)
    : runtime_(runtime), store_(store), metrics_(metrics), timer_(runtime.io()) {}

void AlertDispatcher::Load() {
  if (!store_) return;
  std::vector<AlertEntry> entries;
  for (const auto& rec : store_->LoadAlerts()) {
    if (auto e = AlertEntry::Decode(rec.payload)) entries.push_back(std::move(*e));
    else Log(spdlog::level::warn, "state store: dropping an unreadable alert state");
  }
  book_.Load(std::move(entries));
}

void AlertDispatcher::Configure(const AlertingConfig& alerting, const std::string& config_dir,
                                const std::string& page_url) {
  alerting_ = alerting;
  config_dir_ = config_dir;
  book_.set_resend_interval(alerting.resend_interval);
  book_.set_page_url(page_url);
}

void AlertDispatcher::Update(const std::string& service, const std::string& source,
                             const std::vector<std::string>& envs, std::vector<Alert> alerts) {
  Persist(book_.Update(service, source, envs, std::move(alerts), UnixNow()));
  Send();
}

void AlertDispatcher::Retain(const std::set<std::pair<std::string, std::string>>& keep) {
  Persist(book_.Retain(keep, UnixNow()));
  Send();
}

void AlertDispatcher::Send() {
  metrics_.SetAlertQueue(book_.queue_length());
  if (!enabled() || in_flight_ || stopping_) return;
  double now = UnixNow();
  auto due = book_.Due(now, kBatch);
  if (due.empty()) {
    if (auto next = book_.NextDue()) {
      auto wait = std::chrono::milliseconds(static_cast<int64_t>(std::max(0.0, *next - now) * 1000) + 10);
      timer_.expires_after(wait);
      timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) Send();
      });
    }
    return;
  }
  HttpRequest req;
  req.method = "POST";
  std::string base = alerting_.alertmanager_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  req.url = base + "/api/v2/alerts";
  req.body = book_.Payload(due, now);
  req.timeout = alerting_.timeout;
  req.max_size = kMaxResponse;
  for (const auto& [k, v] : alerting_.headers) {
    auto value = ResolveSecretRefs(v, config_dir_);
    if (!value.ok()) {
      Log(spdlog::level::err, "alerting.alertmanager.headers." + k + ": " + value.error().message);
      return OnSent(due, false, "");
    }
    req.headers[k] = *value;
  }
  req.headers["Content-Type"] = "application/json";
  in_flight_ = true;
  runtime_.http().Send(req, [this, due](HttpResponse r) {
    in_flight_ = false;
    bool ok = r.status >= 200 && r.status < 300;
    OnSent(due, ok, ok ? "" : r.status ? "HTTP " + std::to_string(r.status) : r.error);
  });
}

void AlertDispatcher::OnSent(const std::vector<std::string>& keys, bool ok, const std::string& why) {
  if (stopping_) return;
  metrics_.AlertsSent(ok, keys.size());
  // One line when delivery starts failing and one when it recovers, not one per retry.
  if (!ok && !failing_)
    Log(spdlog::level::warn, "cannot deliver " + std::to_string(keys.size()) +
                                 " alerts to Alertmanager (" + why + "); retrying with backoff");
  if (ok && failing_) Log(spdlog::level::info, "Alertmanager accepts alerts again");
  failing_ = !ok;
  Persist(book_.Delivered(keys, ok, UnixNow()));
  Send();
}

void AlertDispatcher::Stop() {
  stopping_ = true;
  timer_.cancel();
}

// Alert states go to the store in order, one batch at a time, off the io thread.
void AlertDispatcher::Persist(const std::vector<std::string>& keys) {
  metrics_.SetAlertQueue(book_.queue_length());
  if (!store_ || keys.empty()) return;
  for (const auto& k : keys) {
    const AlertEntry* e = book_.Find(k);
    if (!e) {
      writes_[k] = std::nullopt;
      continue;
    }
    auto time = [](double t) { return t > 0 ? FormatUnixTime(t) : std::string(); };
    writes_[k] = AlertRecord{k, e->Encode(), e->firing ? "firing" : "resolved",
                             time(e->last_sent), e->attempts, time(e->next_attempt)};
  }
  Flush();
}

void AlertDispatcher::Flush() {
  if (flushing_ || writes_.empty()) return;
  flushing_ = true;
  auto batch = std::make_shared<StoreWriter::AlertWrites>(std::move(writes_));
  writes_.clear();
  runtime_.Blocking([this, batch] {
    store_->SaveAlerts(*batch);
    boost::asio::post(runtime_.io(), [this] {
      flushing_ = false;
      Flush();
    });
  });
}

void AlertDispatcher::WriteRemaining() {
  if (store_ && !writes_.empty()) store_->SaveAlerts(writes_);
  writes_.clear();
}

}  // namespace drift
