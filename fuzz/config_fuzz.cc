// drift.yaml (SPEC §2): any text loads or gives positioned errors, never a crash: the config,
// its rules (selectors, regexes, expectations, normalizers) and every source's own section.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/builtin.h"
#include "core/config.h"
#include "core/diagnostics.h"
#include "core/yaml_reader.h"
#include "rules/ruleset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  drift::Diagnostics diags;
  auto config = drift::LoadConfigFromString(text, "/nonexistent/drift.yaml", diags);
  if (!config) return 0;
  (void)drift::CompileRules(*config, diags, drift::Today());
  drift::YamlReader reader(config->path, diags);
  for (const auto& service : config->services)
    for (const auto& source : service.sources)
      for (const auto& env : config->environments)
        (void)drift::MakeCollector(drift::SourceContext{*config, service, source, env.name}, reader);
  for (const auto& d : diags.Sorted()) (void)d.ToString();
  return 0;
}
