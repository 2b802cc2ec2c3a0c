// The result of one check: what every output format renders (SPEC §5 `check --format json`).
#pragma once

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/finding.h"

namespace drift {

struct CollectError {
  std::string service, source, env, message;
  bool operator==(const CollectError&) const = default;
};

struct CheckReport {
  std::string checked_at;  // RFC 3339 UTC
  std::string baseline;
  std::vector<std::string> environments;
  std::vector<Finding> findings;  // sorted (SortFindings)
  std::vector<CollectError> errors;
  size_t sources = 0;  // (service, source, env) collections attempted
  size_t sources_failed = 0;
  double collect_seconds = 0, evaluate_seconds = 0;  // for --timings and benchmarks
  double record_seconds = 0;                          // writing the state store
  std::vector<std::string> warnings;  // e.g. the state store could not be written
  // The state store's writes when they run on while the report is rendered
  // (CheckOptions::record_in_background): FinishRecording waits for them, adds their time
  // to record_seconds and their problems to warnings. Destroying the report also waits.
  // The writes read the findings: a report with writes pending moves but does not copy.
  struct Recorded {
    std::vector<std::string> warnings;
    double seconds = 0;
  };
  struct Recording {
    std::future<Recorded> done;
    ~Recording() {
      if (done.valid()) done.wait();
    }
  };
  std::unique_ptr<Recording> recording;
  void FinishRecording() {
    if (!recording) return;
    Recorded r = recording->done.get();
    recording.reset();
    record_seconds += r.seconds;
    warnings.insert(warnings.end(), r.warnings.begin(), r.warnings.end());
  }
  size_t count(Severity s) const {
    size_t n = 0;
    for (const auto& f : findings) n += f.severity == s ? 1 : 0;
    return n;
  }
};

std::string FormatTime(std::chrono::system_clock::time_point t);  // 2026-11-27T18:00:00Z
// 2026-11-27T18:00:00Z -> seconds since the epoch (0 when unparsable).
double ParseTime(const std::string& rfc3339);
// Seconds since the epoch -> 2026-11-27T18:00:00Z (the inverse of ParseTime).
std::string FormatUnixTime(double seconds);
// Now, in seconds since the epoch (what metrics and the alert book count in).
double UnixNow();

}  // namespace drift
