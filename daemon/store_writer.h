// The daemon's state store, shared by the io thread and the worker pool: each call holds one
// lock for its transactions, and failures are logged (a store that cannot be written never
// stops collection or alerting). Snapshots are written in batches: the caller that finds no
// write under way writes what is queued, one transaction per batch, until the queue is
// empty, while the others only queue theirs (a commit per snapshot made the store most of a
// 30,000-source daemon's first round). No thread of its own. Thread-safe.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/finding.h"
#include "state/store.h"

namespace drift {

class StoreWriter {
 public:
  explicit StoreWriter(std::unique_ptr<Store> store) : store_(std::move(store)) {}
  ~StoreWriter() { Flush(); }

  // Written by this call, or queued for the write under way (waits while kMaxQueued are).
  void RecordSnapshot(SnapshotRecord record);
  // Returns once every snapshot queued before the call is written.
  void Flush();
  // Store::RecordFindings: sets the findings' first_seen.
  void RecordFindings(const std::string& service, const std::string& source,
                      const std::vector<std::string>& envs, std::span<Finding> findings,
                      const std::string& now, const std::vector<std::string>& keep);
  std::vector<Finding> OpenFindings(const std::string& service, const std::string& source);
  std::vector<AlertRecord> LoadAlerts();
  // Alert states by key: a record to save, nullopt to delete.
  using AlertWrites = std::map<std::string, std::optional<AlertRecord>>;
  void SaveAlerts(const AlertWrites& writes);
  // Runs `read` on the store under the writer's lock (history for the API).
  template <typename F>
  auto Read(F&& read) {
    std::lock_guard lock(mu_);
    return read(*store_);
  }

 private:
  static constexpr size_t kMaxQueued = 256;  // each holds a redacted document (~10 KB)
  void WriteBatch(const std::vector<SnapshotRecord>& batch);  // one transaction

  std::mutex mu_;  // store_
  std::unique_ptr<Store> store_;
  std::mutex queue_mu_;
  std::condition_variable space_, written_;
  std::vector<SnapshotRecord> queue_;
  uint64_t enqueued_ = 0, done_ = 0;  // snapshots queued and written (or failed) so far
  bool writing_ = false;  // a caller is writing the queue
};

}  // namespace drift
