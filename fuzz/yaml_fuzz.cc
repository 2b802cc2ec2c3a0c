// YAML snapshots (SPEC §2): any bytes parse or give a positioned error, in both schemas. And
// the block-subset reader never reads differently from libfyaml: whatever it accepts,
// libfyaml reads as the same document with the same positions (else the fuzzer stops).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  drift::ParseOptions o;
  o.origin = "fuzz.yaml";
  for (bool yaml11 : {false, true}) {
    o.yaml_1_1 = yaml11;
    (void)drift::ParseYaml(text, o);
    if (auto fast = drift::ParseYamlBlockSubset(text, o)) {
      auto lib = drift::ParseYamlLibfyaml(text, o);
      if (!lib.ok() || !drift::SameReading(*fast, fast->root(), *lib, lib->root()))
        __builtin_trap();
    }
  }
  return 0;
}
