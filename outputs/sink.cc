// The output formats, listed in one place.
#include "outputs/sink.h"

namespace drift {

std::unique_ptr<Sink> MakeJsonSink();
std::unique_ptr<Sink> MakeTableSink(const SinkOptions& o);
std::unique_ptr<Sink> MakeJunitSink();
std::unique_ptr<Sink> MakeMarkdownSink();
std::unique_ptr<Sink> MakeSarifSink(const SinkOptions& o);

namespace {
constexpr SinkType kSinks[] = {
    {"table", "aligned text, coloured on a terminal", [](const SinkOptions& o) { return MakeTableSink(o); }},
    {"json", "the report as JSON (findings, errors, summary)", [](const SinkOptions&) { return MakeJsonSink(); }},
    {"junit", "JUnit XML: one test case per rule and service (drift as failed tests)", [](const SinkOptions&) { return MakeJunitSink(); }},
    {"markdown", "a Markdown table (pull-request comments)", [](const SinkOptions&) { return MakeMarkdownSink(); }},
    {"sarif", "SARIF 2.1.0 for code-scanning UIs", [](const SinkOptions& o) { return MakeSarifSink(o); }},
};
}  // namespace

std::span<const SinkType> BuiltinSinks() { return kSinks; }

std::vector<std::string> SinkNames() {
  std::vector<std::string> out;
  for (const auto& s : kSinks) out.emplace_back(s.name);
  return out;
}

std::unique_ptr<Sink> MakeSink(std::string_view format, const SinkOptions& options) {
  for (const auto& s : kSinks)
    if (s.name == format) return s.make(options);
  return nullptr;
}

}  // namespace drift
