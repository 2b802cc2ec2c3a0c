// The output extension point: a Sink renders a CheckReport in one format. Sinks are
// immutable and may be used from several threads.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/report.h"

namespace drift {

struct SinkOptions {
  bool color = false;   // ANSI colours (table; only on a terminal)
  size_t width = 100;   // table: values are shortened to fit
  std::string config_path;  // sarif: where rules are defined
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void Write(const CheckReport& report, std::ostream& out) const = 0;
};

// One output format, listed in sink.cc.
struct SinkType {
  std::string_view name, help;
  std::unique_ptr<Sink> (*make)(const SinkOptions& options);
};
std::span<const SinkType> BuiltinSinks();
std::vector<std::string> SinkNames();

// The sink of `format` (a BuiltinSinks name); nullptr for anything else.
std::unique_ptr<Sink> MakeSink(std::string_view format, const SinkOptions& options);

// The SPEC §5 JSON object of a report (shared by `check --format json` and the daemon API).
nlohmann::ordered_json ReportJson(const CheckReport& report);
nlohmann::ordered_json FindingJson(const Finding& f);

}  // namespace drift
