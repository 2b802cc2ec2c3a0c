// The process_* metrics every Prometheus client library exposes on Linux (CPU seconds,
// resident and virtual memory, open and maximum file descriptors, start time), read from
// /proc/self at scrape time. Thread-safe (reads only).
#pragma once

#include <string>

namespace drift {

// Appends the families in the text exposition format; a figure /proc cannot give is left out.
void AppendProcessMetrics(std::string& out);

}  // namespace drift
