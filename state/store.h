// The state store (SPEC §7 State): one SQLite file in WAL mode holding each source's latest
// snapshot (redacted), the history of snapshot hashes, and every finding with first_seen,
// last_seen and resolved_at. Each evaluation is recorded in one transaction, so a kill -9
// leaves the store as of the last completed evaluation. One Store per thread; SQLite itself
// serializes writers between processes.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/finding.h"
#include "core/result.h"

// SQLite's handles, kept out of this header (it is the store's business alone).
struct sqlite3;
struct sqlite3_stmt;

namespace drift {

struct SnapshotRecord {
  std::string service, source, env, hash;
  std::string document;  // redacted JSON ("" when too large to keep)
  std::string collected_at;
};

struct FindingRecord {
  std::string id, service, source, path, env, rule, kind, severity;
  std::string first_seen, last_seen, resolved_at;  // resolved_at "" while open
  std::string baseline_value, value;               // JSON text, redacted; "" when absent
};

// What a finding's row stores besides its identity and times: its values as JSON text and a
// digest of every column a write can change (equal digests: nothing to write). Pure and
// thread-safe, so drift check computes it on every core while the store reads.
struct StoredValues {
  std::string baseline_value, value;  // JSON text; "" when absent
  uint64_t digest = 0;
};
StoredValues StoredValuesOf(const Finding& f);

// The open findings of one (service, source) as last recorded (Store::ReadOpenFindings),
// compact: ids as numbers, first_seen texts in one buffer, envs by index.
struct OpenFindingRecords {
  struct Record {
    uint64_t key;  // the id's 16 hex digits as a number
    uint32_t first_seen_offset, first_seen_length;  // into first_seen
    uint32_t env;                                   // into envs
    uint64_t digest;
    bool has_digest;  // false on rows written before digests were kept
  };
  std::vector<Record> records;
  std::string first_seen;
  std::vector<std::string> envs;
};

// What recording one evaluation of a (service, source) writes (MatchFindings,
// Store::PlanFindings).
struct FindingPlan {
  std::string service, source, now;
  std::vector<std::string> envs;  // evaluated: their evaluated_at becomes `now`
  struct Row {
    const Finding* finding;  // must be alive, and unchanged, when the plan is applied
    std::string baseline_value, value;  // JSON text
    uint64_t digest;
  };
  std::vector<Row> rows;              // new, back after being resolved, or changed; id order
  std::vector<std::string> resolved;  // ids of open findings gone
};

// The plan of one evaluation from the open records it is compared with: sets each finding's
// first_seen (kept from its open record, else now) and takes what needs a write (new, back
// after being resolved, or changed) with its `values` (findings[i]'s StoredValuesOf, moved
// from); open records not seen again in `envs` are resolved, except those in `keep`. Pure.
FindingPlan MatchFindings(const std::string& service, const std::string& source,
                          const std::vector<std::string>& envs, std::span<Finding> findings,
                          std::span<StoredValues> values, const OpenFindingRecords& open,
                          const std::string& now, const std::vector<std::string>& keep = {});

// One alert's delivery state (the alert book's entry, as JSON in `payload`).
struct AlertRecord {
  std::string key, payload;
  std::string state;         // firing | resolved
  std::string last_sent;     // RFC 3339; "" when never delivered
  int attempts = 0;          // failed deliveries in a row
  std::string next_attempt;  // RFC 3339; "" when not backing off
};

class Store {
 public:
  static constexpr int kSchemaVersion = 3;
  // Opens (creating and migrating as needed) the store at path.
  static Result<std::unique_ptr<Store>> Open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;  // owns the connection
  Store& operator=(const Store&) = delete;

  // The page cache SQLite may hold (Open sets 64 MiB, for writing a whole fleet at once).
  Status SetCacheKib(int kib) { return Exec("PRAGMA cache_size=-" + std::to_string(kib)); }
  // Records a snapshot; returns true when its hash differs from the previous one.
  Result<bool> RecordSnapshot(const SnapshotRecord& s);
  // Records one evaluation of a (service, source): the findings now present get their
  // first_seen (kept from the open record, else now) and last_seen = now; open findings of
  // that service and source in `envs` (those evaluated: unknown is not resolved) that are
  // gone are resolved, except those in `keep` (stale findings: their source is unknown).
  // Atomic.
  Status RecordFindings(const std::string& service, const std::string& source,
                        const std::vector<std::string>& envs, std::span<Finding> findings,
                        const std::string& now, const std::vector<std::string>& keep = {});
  // RecordFindings in two halves, for a caller that overlaps the writes with other work:
  // PlanFindings only reads (and sets each finding's first_seen); ApplyFindings writes
  // (the findings may have moved meanwhile if the caller points the rows at them again).
  // Apply a plan before planning the same (service, source) again. PlanFindings is
  // ReadOpenFindings, StoredValuesOf each finding and MatchFindings, which a caller may run
  // apart (drift check reads while other cores compute the values).
  Result<OpenFindingRecords> ReadOpenFindings(const std::string& service,
                                              const std::string& source);
  Result<FindingPlan> PlanFindings(const std::string& service, const std::string& source,
                                   const std::vector<std::string>& envs,
                                   std::span<Finding> findings, const std::string& now,
                                   const std::vector<std::string>& keep = {});
  Status ApplyFindings(const FindingPlan& plan);
  // Groups the records until Commit into one transaction (drift check records everything it
  // evaluated at once). Without it each record is its own transaction.
  Status Begin();
  Status Commit();
  // The open findings of a (service, source) as they were last recorded (no message, file
  // or line), for a daemon restarted while a source is down.
  std::vector<Finding> OpenFindings(const std::string& service, const std::string& source);
  // The (service, source, env) hashes and times of the last snapshots.
  std::vector<SnapshotRecord> LatestSnapshots();
  std::optional<FindingRecord> FindingById(const std::string& id);
  // Earlier, resolved occurrences of a finding: first_seen, resolved_at, values.
  std::vector<FindingRecord> FindingHistory(const std::string& id);
  // Per service, how many findings were open at the end of each of the last `days` days
  // (the last ending at `now`, Unix seconds), oldest first: the page's trend.
  std::map<std::string, std::vector<int>> OpenFindingsByDay(int days, double now);
  std::vector<FindingRecord> FindingsForPath(const std::string& service, const std::string& path);
  std::vector<SnapshotRecord> SnapshotHistory(const std::string& service, const std::string& source);
  // Alert delivery state: upserts `save` and deletes `remove` in one transaction.
  Status SaveAlerts(const std::vector<AlertRecord>& save, const std::vector<std::string>& remove);
  std::vector<AlertRecord> LoadAlerts();
  std::string IntegrityCheck();

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  Status Exec(const std::string& sql);
  // Statements are prepared once per store and reused (re-preparing each one per finding
  // made a check with a store 8-15x slower than without).
  sqlite3_stmt* Prepared(const char* sql);
  sqlite3* db_;
  std::map<const char*, sqlite3_stmt*> statements_;
  bool in_transaction_ = false;
};

}  // namespace drift
