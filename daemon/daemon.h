// `drift daemon` (SPEC §7): scheduled collection, evaluation on change, the state store,
// the HTTP API and metrics, reload on SIGHUP, clean stop on SIGTERM.
#pragma once

#include <string>

namespace drift {

struct DaemonOptions {
  std::string config_path = "drift.yaml";
  std::string listen;  // overrides server.listen when set
  int shard_index = 0, shard_count = 1;
  bool once = false;  // one full round, then exit
  std::string log_format = "text";
};

// Runs until SIGTERM/SIGINT (or one round with `once`); returns the exit code.
int RunDaemon(const DaemonOptions& options);

// FNV-1a 64 of the service name: which shard owns it.
uint64_t Fnv1a64(const std::string& s);

}  // namespace drift
