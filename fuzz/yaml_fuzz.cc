// YAML snapshots (SPEC §2): any bytes parse or give a positioned error, in both schemas.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  drift::ParseOptions o;
  o.origin = "fuzz.yaml";
  (void)drift::ParseYaml(text, o);
  o.yaml_1_1 = true;
  (void)drift::ParseYaml(text, o);
  return 0;
}
