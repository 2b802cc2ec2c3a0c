// The output formats, listed in one place.
#include "outputs/sink.h"

namespace drift {

std::unique_ptr<Sink> MakeJsonSink();
std::unique_ptr<Sink> MakeTableSink(const SinkOptions& o);
std::unique_ptr<Sink> MakeJunitSink();
std::unique_ptr<Sink> MakeMarkdownSink();
std::unique_ptr<Sink> MakeSarifSink(const SinkOptions& o);

std::unique_ptr<Sink> MakeSink(std::string_view format, const SinkOptions& options) {
  if (format == "json") return MakeJsonSink();
  if (format == "table") return MakeTableSink(options);
  if (format == "junit") return MakeJunitSink();
  if (format == "markdown") return MakeMarkdownSink();
  if (format == "sarif") return MakeSarifSink(options);
  return nullptr;
}

}  // namespace drift
