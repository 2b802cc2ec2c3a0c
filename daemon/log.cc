#include "daemon/log.h"

#include <atomic>

#include "core/strings.h"

namespace drift {
namespace {
std::atomic<bool> json_logs{false};
}  // namespace

void SetJsonLogs(bool json) { json_logs = json; }

void Log(spdlog::level::level_enum level, const std::string& msg) {
  if (json_logs) spdlog::log(level, "{}", JsonQuote(msg));
  else spdlog::log(level, "{}", msg);
}

}  // namespace drift
