#include <sstream>

#include <nlohmann/json.hpp>

#include "core/document.h"
#include "outputs/sink.h"
#include "tests/testing.h"

namespace drift {
namespace {

// The streamed JSON writer must print exactly what dumping the report's JSON tree prints.
TEST_CASE("json sink: streamed output equals the JSON tree, whatever the values") {
  CheckReport r;
  r.checked_at = "2026-11-27T18:00:00Z";
  r.baseline = "prod";
  r.environments = {"prod", "stage"};
  r.sources = 2;
  r.errors.push_back(CollectError{"s", "src", "stage", "bad \"quote\"\n"});
  using J = nlohmann::ordered_json;
  std::vector<std::optional<J>> values = {
      std::nullopt, J(1), J(2.5), J(true), J(nullptr), J("plain"), J("tab\there \x01 é \xff"),
      J::object(), J::array(), J::parse(R"({"a": [1, {"b": {}}, []], "c": "d"})"),
      J::parse(R"([[1, 2], {"x": null}])")};
  for (size_t i = 0; i < values.size(); ++i) {
    Finding f;
    f.id = "id" + std::to_string(i);
    f.service = "svc";
    f.source = "src";
    f.path = "src.k[\"q\\\"\"]" + std::to_string(i);
    f.env = "stage";
    if (i % 3 == 0) f.with_env = "prod";
    f.rule = "r";
    f.owner = i % 2 ? "team" : "";
    f.baseline_value = values[i];
    f.value = values[values.size() - 1 - i];
    f.redacted = i % 4 == 0;
    f.first_seen = "2026-11-27T17:00:00Z";
    r.findings.push_back(f);
  }
  std::ostringstream out;
  MakeSink("json", {})->Write(r, out);
  CHECK(out.str() == DumpJson(ReportJson(r), 2) + "\n");
  CheckReport empty = std::move(r);
  empty.findings.clear();
  std::ostringstream out2;
  MakeSink("json", {})->Write(empty, out2);
  CHECK(out2.str() == DumpJson(ReportJson(empty), 2) + "\n");
}

}  // namespace
}  // namespace drift
