// json snapshots: any bytes parse or give a positioned error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/document.h"
#include "core/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  drift::ParseOptions o;
  o.origin = "fuzz.json";
  auto doc = drift::ParseJson(text, o);
  if (doc.ok()) (void)drift::DumpJson(drift::ToJson(*doc, doc->root()));
  return 0;
}
