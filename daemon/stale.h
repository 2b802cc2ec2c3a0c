// Stale findings (SPEC §4, "Unknown is neither drift nor a fix"): what the daemon keeps
// showing for a (service, source) while a source it depends on cannot be collected.
// Pure functions; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/finding.h"

namespace drift {

// SPEC §4, unknown is neither drift nor a fix. `unknown_since[e]` is non-empty for each env
// whose source failed. A finding is touched by a failure when its env's, its `with_env`'s
// (differ pairs) or the baseline's source failed: the fresh evaluation's touched findings are
// dropped (nothing new is made from an unknown source) and `previous`'s touched findings are
// kept, marked stale, in `previous` (the rest of it is cleared). Returns the kept ids, which
// the store must not resolve.
std::vector<std::string> KeepStale(const Config& config, int baseline,
                                   const std::vector<std::string>& unknown_since,
                                   std::vector<Finding>& previous, std::vector<Finding>& fresh);

}  // namespace drift
