// The daemon's state store, shared by the io thread and the worker pool: each call holds one
// lock for its transaction, and failures are logged (a store that cannot be written never
// stops collection or alerting). Thread-safe.
#pragma once

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

  void RecordSnapshot(const SnapshotRecord& record);
  // Store::RecordFindings: sets the findings' first_seen.
  void RecordFindings(const std::string& service, const std::string& source,
                      const std::vector<std::string>& envs, std::span<Finding> findings,
                      const std::string& now, const std::vector<std::string>& keep);
  std::vector<Finding> OpenFindings(const std::string& service, const std::string& source);
  std::vector<AlertRecord> LoadAlerts();
  // Alert states by key: a record to save, nullopt to delete.
  using AlertWrites = std::map<std::string, std::optional<AlertRecord>>;
  void SaveAlerts(const AlertWrites& writes);

 private:
  std::mutex mu_;
  std::unique_ptr<Store> store_;
};

}  // namespace drift
