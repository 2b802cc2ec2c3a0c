// The collector extension point: one Collector per (service, source, env), built by its
// type's factory from the source's config section (which the factory validates itself,
// rejecting unknown keys). Collect() is called from worker threads, possibly concurrently
// for different collectors; one collector is never run twice at once.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/document.h"
#include "core/parse.h"
#include "core/path.h"
#include "core/result.h"
#include "core/yaml_reader.h"

namespace drift {

class Collector {
 public:
  virtual ~Collector() = default;
  // One snapshot, parsed. Errors never contain secret values.
  virtual Result<Document> Collect() = 0;
  // What the collector reads, for messages ("/srv/lms.yml", "https://…"); no secrets.
  virtual std::string describe() const = 0;
};

// What a factory is told about the source it builds a collector for.
struct SourceContext {
  const Config& config;
  const ServiceConfig& service;
  const SourceConfig& source;
  std::string env;
  std::string expand(std::string_view s) const;  // {env} {ENV} {service} {source}
};

// Fields every source type has (kCommonSourceKeys).
struct CommonOptions {
  Format format = Format::kAuto;
  std::optional<Path> extract;
  Millis interval{0};
  Millis timeout{0};
  bool yaml_1_1 = false;
};
CommonOptions ReadCommonOptions(const YAML::Node& spec, const Config& config, YamlReader& r);

// Parses collected bytes and applies `extract`; `hint` is the format from the extension or
// Content-Type when `format:` did not say.
Result<Document> ParseSnapshot(std::string_view bytes, const CommonOptions& options,
                               const std::string& origin, Format hint);

using CollectorFactory = std::unique_ptr<Collector> (*)(const YAML::Node& spec,
                                                        const SourceContext& ctx,
                                                        YamlReader& reader);

}  // namespace drift
