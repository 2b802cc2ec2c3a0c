// csv and tsv snapshots: any bytes parse or give a positioned error, as a list of rows and
// keyed by their first column.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/document.h"
#include "core/parse.h"
#include "core/table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (drift::Format f : {drift::Format::kCsv, drift::Format::kTsv}) {
    drift::ParseOptions o;
    o.origin = "fuzz.csv";
    o.format = f;
    auto rows = drift::ParseDocument(text, o);
    if (rows.ok()) (void)drift::DumpJson(drift::ToJson(*rows, rows->root()));
    auto table = drift::ParseDelimited(text, f == drift::Format::kCsv ? ',' : '\t',
                                       f == drift::Format::kCsv, o.origin);
    if (!table.ok() || table->columns.empty()) continue;
    o.key = {table->columns[0]};
    auto keyed = drift::ParseDocument(text, o);
    if (keyed.ok()) (void)drift::DumpJson(drift::ToJson(*keyed, keyed->root()));
  }
  return 0;
}
