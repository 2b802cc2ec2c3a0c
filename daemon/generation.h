// One loaded config in the daemon with everything derived from it: this shard's targets on
// their schedule, each target's last snapshot and health, and each (service, source)'s
// findings. A reload builds a new Generation; work still in flight for the old one is
// ignored when it completes. Not thread-safe: the io thread owns it (the pool reads a
// generation's immutable parts and the snapshots it is handed).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/packed_document.h"
#include "core/report.h"
#include "daemon/page.h"
#include "daemon/scheduler.h"
#include "pipeline/program.h"
#include "rules/engine.h"

namespace drift {

struct Generation {
  uint64_t id = 0;
  std::shared_ptr<Program> program;
  std::unique_ptr<Evaluator> evaluator;
  std::vector<const Target*> targets;
  Scheduler scheduler{32, 1};
  struct TargetState {
    // The last snapshot: parsed while in use, and also packed (small ones) to be held
    // compressed once its group's evaluation is done (Idle).
    std::shared_ptr<const Document> doc;
    std::shared_ptr<const PackedDocument> packed;
    bool held() const { return doc || packed; }
    std::string raw_digest;  // of the held snapshot's input (collectors skip unchanged input)
    std::string hash, last_success, last_error, last_attempt;
    std::string unknown_since;  // set while the source fails: when it first failed
    double duration = 0;
    bool tried = false;
  };
  std::vector<TargetState> states;
  size_t tried_count = 0;  // states with `tried` (checked after every collection: not a scan)
  struct Group {
    const ServiceConfig* service;
    size_t service_index;
    const SourceConfig* source;
    std::vector<size_t> targets;  // indexes into `targets`
    std::vector<Finding> findings;
    bool evaluating = false, dirty = false;
  };
  std::vector<Group> groups;
  std::vector<size_t> group_of;  // target -> group
  size_t pending_evaluations = 0;
  bool round_done = false;  // every source tried once and what that changed evaluated

  // What one collection of target `i` changed (Collected).
  struct CollectOutcome {
    bool first = false;          // its first attempt in this generation
    bool changed = false;        // a new snapshot, or it became unknown: evaluate its group
    bool error_changed = false;  // the report's errors changed (failed, recovered, new text)
    bool newly_failing = false;  // worth a log line: failing after working, or at once
    std::shared_ptr<const Document> released;  // the snapshot it replaced (free it off-thread)
  };
  // Records one collection of target `i` that took `seconds`, finished at `now` (RFC 3339):
  // a document (hashed `hash`; "unchanged" keeps the one held), or an error (shown as is:
  // masked by the caller).
  // `packed`: the document compressed (PackedDocument::Pack), or null to hold it parsed.
  CollectOutcome Collected(size_t i, Result<Document> r, const std::string& hash, double seconds,
                           const std::string& now,
                           std::shared_ptr<const PackedDocument> packed = nullptr);
  // Group `gi` was evaluated: its packed snapshots are held packed only; returns the parsed
  // documents let go (to be freed off the io thread).
  std::vector<std::shared_ptr<const Document>> Idle(size_t gi);

  // The current findings and collection errors, filtered ("" = all), dated `checked_at`.
  CheckReport Report(const std::string& service, const std::string& env,
                     const std::string& severity, const std::string& checked_at) const;
  std::vector<SourceStatus> Sources() const;
  bool all_tried() const;
  // "N/M sources tried[, evaluating]" (the body of /readyz).
  std::string Progress() const;
  // Services of this shard with no owner.
  size_t unowned_services() const;
  // (service, source, env, type) of every target: the label sets the metrics keep.
  std::vector<std::vector<std::string>> source_labels() const;
};

// The generation of `program` for shard `shard_index` of `shard_count` (services are
// assigned by the FNV-1a hash of their name), every target due at `now`. Large snapshots
// are evaluated in parts on `executor` (without one, on the evaluating thread alone).
std::shared_ptr<Generation> BuildGeneration(std::shared_ptr<Program> program, uint64_t id,
                                            int shard_index, int shard_count,
                                            std::chrono::steady_clock::time_point now,
                                            Executor* executor = nullptr);

// Hands a reloaded generation the last snapshot and the schedule of every source whose
// definition did not change (same service, source and env, same spec with that env's
// overrides), and each (service, source)'s findings until they are evaluated again; changed
// and new sources are collected at once. Returns the groups that got something to evaluate.
std::vector<size_t> CarryOver(const Generation& old, Generation& g,
                              std::chrono::steady_clock::time_point now);

}  // namespace drift
