#include "daemon/store_writer.h"

#include "daemon/log.h"

namespace drift {

void StoreWriter::RecordSnapshot(const SnapshotRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto r = store_->RecordSnapshot(record); !r.ok()) Log(spdlog::level::err, r.error().message);
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
