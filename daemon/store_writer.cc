#include "daemon/store_writer.h"

#include "daemon/log.h"

namespace drift {

void StoreWriter::RecordSnapshot(SnapshotRecord record) {
  std::unique_lock<std::mutex> lock(queue_mu_);
  space_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
  queue_.push_back(std::move(record));
  ++enqueued_;
  if (writing_) return;  // taken with the writer's next batch
  writing_ = true;
  std::vector<SnapshotRecord> batch;
  while (!queue_.empty()) {
    batch.swap(queue_);
    space_.notify_all();
    lock.unlock();
    try {
      WriteBatch(batch);
    } catch (const std::exception& e) {  // (allocation) the batch is lost, the writer is not
      Log(spdlog::level::err, std::string("state store: ") + e.what());
    }
    size_t n = batch.size();
    batch.clear();
    lock.lock();
    done_ += n;
    written_.notify_all();
  }
  writing_ = false;
}

void StoreWriter::WriteBatch(const std::vector<SnapshotRecord>& batch) {
  std::lock_guard<std::mutex> store_lock(mu_);
  bool batched = store_->Begin().ok();
  for (const auto& rec : batch)
    if (auto r = store_->RecordSnapshot(rec); !r.ok()) Log(spdlog::level::err, r.error().message);
  if (!batched) return;
  if (auto st = store_->Commit(); !st.ok()) {
    // The whole batch was rolled back: each record again in its own transaction.
    Log(spdlog::level::warn, st.error().message + " (writing the batch's snapshots one by one)");
    for (const auto& rec : batch)
      if (auto r = store_->RecordSnapshot(rec); !r.ok()) Log(spdlog::level::err, r.error().message);
  }
}

void StoreWriter::Flush() {
  std::unique_lock<std::mutex> lock(queue_mu_);
  uint64_t target = enqueued_;
  written_.wait(lock, [&] { return done_ >= target; });
}

void StoreWriter::RecordFindings(const std::string& service, const std::string& source,
                                 const std::vector<std::string>& envs, std::span<Finding> findings,
                                 const std::string& now, const std::vector<std::string>& keep) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto st = store_->RecordFindings(service, source, envs, findings, now, keep); !st.ok())
    Log(spdlog::level::err, st.error().message);
}

std::vector<Finding> StoreWriter::OpenFindings(const std::string& service,
                                               const std::string& source) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_->OpenFindings(service, source);
}

std::vector<AlertRecord> StoreWriter::LoadAlerts() {
  std::lock_guard<std::mutex> lock(mu_);
  return store_->LoadAlerts();
}

void StoreWriter::SaveAlerts(const AlertWrites& writes) {
  std::vector<AlertRecord> save;
  std::vector<std::string> remove;
  for (const auto& [k, r] : writes) {
    if (r) save.push_back(*r);
    else remove.push_back(k);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (auto st = store_->SaveAlerts(save, remove); !st.ok()) Log(spdlog::level::err, st.error().message);
}

}  // namespace drift
