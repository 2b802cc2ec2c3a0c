// Builds one collector of one source from a YAML snippet, as drift.yaml would.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "collectors/builtin.h"
#include "collectors/runtime.h"
#include "tests/testing.h"

namespace drift::testing {

struct BuiltCollector {
  Diagnostics diags;
  std::optional<Config> config;
  std::unique_ptr<Collector> collector;
  Result<Document> Collect(CollectRequest request = {}) {
    return CollectOnce(*collector, std::move(request));
  }
};

inline std::unique_ptr<BuiltCollector> BuildCollector(const TempDir& dir,
                                                      const std::string& source_yaml,
                                                      const std::string& env = "stage",
                                                      const std::string& defaults = "") {
  auto b = std::make_unique<BuiltCollector>();
  std::string text = "version: 1\nenvironments: [prod, stage, sandbox]\n" + defaults +
                     "services:\n  svc:\n    sources:\n      s: " + source_yaml + "\n";
  b->config = LoadConfigFromString(text, dir.file("drift.yaml"), b->diags);
  REQUIRE(b->config);
  YamlReader reader(b->config->path, b->diags);
  const auto& svc = b->config->services[0];
  b->collector = MakeCollector(SourceContext{*b->config, svc, svc.sources[0], env}, reader);
  for (const auto& d : b->diags.Sorted()) INFO(d.ToString());
  return b;
}

// Polls count() until it returns `want` (a killed process takes a moment to go); true if it did.
template <typename F>
bool WaitForCount(F count, int want, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (count() == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return count() == want;
}

inline std::string AsJson(const Document& d) { return DumpJson(ToJson(d, d.root())); }

}  // namespace drift::testing
