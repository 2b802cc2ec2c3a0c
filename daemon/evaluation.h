// One evaluation of a (service, source) group in the daemon, in two halves: what it needs,
// taken from the generation on the io thread (PrepareEvaluation), and the work, done on the
// pool (EvaluateGroup): the rules, the stale findings an unknown source keeps (SPEC §4), and
// the store's record. Thread-safe as described on each.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon/generation.h"
#include "daemon/store_writer.h"

namespace drift {

struct GroupEvaluation {
  std::vector<std::shared_ptr<const Document>> docs;  // by env; null when not collected
  // By env: the snapshot held packed instead (unpacked by EvaluateGroup, on the pool).
  std::vector<std::shared_ptr<const PackedDocument>> packed;
  // By env: when its source became unknown ("" when it is not).
  std::vector<std::string> unknown_since;
  bool any_unknown = false;
  std::vector<Finding> previous;  // the group's last findings, only while something is unknown
  bool redact_all = false;
};

// Io thread: reads the generation's state for group `gi`.
GroupEvaluation PrepareEvaluation(const Generation& g, size_t gi);

struct EvaluatedGroup {
  std::vector<Finding> findings;  // sorted, first_seen set
  std::vector<std::string> envs;  // those the evaluation could judge (ResolvableEnvs)
};

// Any thread: reads only the generation's immutable parts. With a store, the findings are
// recorded (`record`: false for an evaluation a reload overtook, whose old rules must not
// write over the new generation's) and, restarted while a source is down, the stale ones
// come from it. `now` is RFC 3339.
EvaluatedGroup EvaluateGroup(const Generation& g, size_t gi, GroupEvaluation in,
                             StoreWriter* store, bool record, const std::string& now);

}  // namespace drift
