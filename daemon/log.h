// The daemon's log lines: spdlog to stderr, each message as text or, with `--log-format
// json`, as a JSON string (the pattern RunDaemon sets wraps it in an object). Thread-safe.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace drift {

void SetJsonLogs(bool json);
void Log(spdlog::level::level_enum level, const std::string& msg);

}  // namespace drift
