// Paths and selectors (SPEC §3): any text parses or is an error; what parses formats back to
// a path that parses to the same segments, and a compiled selector steps over it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/path.h"
#include "core/selector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool selector : {false, true}) {
    auto p = drift::ParsePath(text, selector);
    if (!p.ok() || selector) continue;
    std::string again = drift::FormatPath(*p);
    auto q = drift::ParsePath(again);
    if (!q.ok() || drift::FormatPath(*q) != again) __builtin_trap();  // round trip broken
    (void)drift::ComparePaths(text, again);
  }
  auto sel = drift::Selector::Compile(text);
  if (sel.ok()) {
    auto st = sel->Start();
    drift::StepView key{drift::StepView::Kind::kKey, "settings", 0, {}, nullptr, nullptr};
    drift::StepView idx{drift::StepView::Kind::kIndex, {}, 3, {}, nullptr, nullptr};
    st = sel->Step(sel->Step(st, key), idx);
    (void)sel->Accepts(st);
  }
  return 0;
}
