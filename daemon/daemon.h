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
  std::string log_level = "info";  // debug | info | warn | error (the CLI sets spdlog's level)
  // Parsing, hashing and diffing on the worker pool yield to the io thread, so API and
  // /metrics latency holds while a round runs (bench/run-daemon measures it).
  int worker_nice = 10;
};

// Runs until SIGTERM/SIGINT (or one round with `once`); returns the exit code.
int RunDaemon(const DaemonOptions& options);

}  // namespace drift
