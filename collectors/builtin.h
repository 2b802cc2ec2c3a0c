// The collector types drift knows, listed in one place (builtin.cc).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "collectors/collector.h"

namespace drift {

struct CollectorType {
  std::string_view name;
  CollectorFactory factory;
  std::span<const std::string_view> keys;  // the type's own keys (besides the common ones)
};

std::span<const CollectorType> BuiltinCollectors();
// nullptr when drift has no such type.
const CollectorType* FindCollectorType(std::string_view name);
// "unknown source type 'x' (expected file, http, sql or exec)", with a did-you-mean.
std::string UnknownCollectorType(std::string_view name);

// Builds the collector of one (service, source, env); null with errors in reader when the
// source's config (with the env's overrides) is invalid.
std::unique_ptr<Collector> MakeCollector(const SourceContext& ctx, YamlReader& reader);

}  // namespace drift
