// What other servers send back: an HTTP body under any Content-Type (the first line of the
// input), Alertmanager state kept in the store, and secrets inside whatever text arrives.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/parse.h"
#include "core/secrets.h"
#include "outputs/alerts.h"
#include "rules/redact.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string_view content_type = nl == std::string_view::npos ? "" : input.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? input : input.substr(nl + 1);
  drift::ParseOptions o;
  o.origin = "http://127.0.0.1/fuzz";
  o.format = drift::FormatFromContentType(content_type);
  if (o.format == drift::Format::kAuto) o.format = drift::SniffFormat(body);
  auto doc = drift::ParseDocument(body, o);
  static const drift::Redactor redactor("0123456789abcdef0123456789abcdef");
  if (doc.ok()) {
    bool redacted = false;
    (void)drift::DumpJson(redactor.ToJson(*doc, doc->root(), redacted));
  }
  (void)drift::AlertEntry::Decode(std::string(input));
  (void)drift::MaskSecretsInText(std::string(input));
  bool redacted = false;
  (void)redactor.StringJson(input, redacted);
  return 0;
}
