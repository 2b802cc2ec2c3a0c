// The collector extension point: one Collector per (service, source, env), built by its
// type's factory from the source's config section (which the factory validates itself,
// rejecting unknown keys). A collector is immutable configuration: what one collection
// needs to know is in its CollectRequest, owned by the run, so a collector is thread-safe
// and may run several collections at once (checks and the daemon share a Program).
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/document.h"
#include "core/parse.h"
#include "core/path.h"
#include "core/result.h"
#include "core/selector.h"
#include "core/yaml_reader.h"

namespace drift {

class Runtime;

// Size caps of what a source may return (`max_size`): files are often large exports; an
// HTTP body or a command's output that large is more likely a mistake.
inline constexpr uint64_t kDefaultMaxFileSize = 64ull << 20;
inline constexpr uint64_t kDefaultMaxOutputSize = 16ull << 20;
inline constexpr long long kMaxSizeLimit = 1ll << 40;  // the largest `max_size` accepted

// Fields every source type has (kCommonSourceKeys).
struct CommonOptions {
  Format format = Format::kAuto;
  std::optional<Path> extract;
  Millis interval{0};
  Millis timeout{0};
  bool yaml_1_1 = false;
  std::vector<std::string> key;  // csv/tsv and sql: the columns keying the rows
  bool decode_base64 = false;    // every string decoded; the whole source is then secret
  // `embedded:` selectors (starting with the source name): strings there are documents,
  // parsed by their key's extension or `embedded_format`.
  std::vector<Selector> embedded;
  Format embedded_format = Format::kAuto;
  // The first `implicit_embedded` of `embedded` are the source type's own (a ConfigMap's
  // data): they parse strings whose key has a known extension and leave the rest quietly.
  size_t implicit_embedded = 0;
  std::string source;  // the source's name (what `embedded` selectors start with)
};

// What one collection is told, owned by whoever runs it.
struct CollectRequest {
  // Unchanged input costs no parse: with a digest, snapshots carry a digest of their raw
  // bytes (Document::raw_digest; a file's also carries its stat signature, so a settled file
  // costs no read), and a collection whose bytes have this digest returns
  // Document::Unchanged instead of parsing them again ("" = nothing held yet). The daemon
  // passes the digest of the snapshot it holds; sources that build documents without raw
  // bytes (sql) always parse. nullopt: no digest at all (drift check).
  std::optional<std::string> known_digest;
};

class Collector {
 public:
  using Done = std::function<void(Result<Document>)>;
  explicit Collector(CommonOptions common) : common_(std::move(common)) {}
  virtual ~Collector() = default;
  // format, extract, interval, timeout and yaml of this source in this env.
  const CommonOptions& common() const { return common_; }
  // Starts one collection on the runtime's io thread; `done` is called exactly once, from any
  // thread, with the parsed snapshot or an error (which never contains a secret value).
  virtual void Start(Runtime& runtime, CollectRequest request, Done done) const = 0;
  // What the collector reads, for messages ("/srv/lms.yml", "https://…"); no secrets.
  virtual std::string describe() const = 0;
  // True when every value of the snapshot is secret (decode: base64 sources).
  virtual bool redact_all() const { return common_.decode_base64; }

 protected:
  // The snapshot of collected bytes (ParseSnapshot), or Unchanged (see CollectRequest).
  Result<Document> Parse(std::string_view bytes, const CollectRequest& request,
                         const std::string& origin, Format hint, size_t capacity = 0) const;

  CommonOptions common_;
};

// Collectors that block (file, exec, sql): Collect() runs on the runtime's worker pool.
class BlockingCollector : public Collector {
 public:
  using Collector::Collector;
  void Start(Runtime& runtime, CollectRequest request, Done done) const final;
  virtual Result<Document> Collect(const CollectRequest& request) const = 0;
};

// What a factory is told about the source it builds a collector for.
struct SourceContext {
  const Config& config;
  const ServiceConfig& service;
  const SourceConfig& source;
  std::string env;
  std::string expand(std::string_view s) const;  // {env} {ENV} {service} {source} {NAME}
};

CommonOptions ReadCommonOptions(const YAML::Node& spec, const Config& config, YamlReader& r,
                                const std::string& source = "");

// Parses collected bytes and applies `extract`; `hint` is the format from the extension or
// Content-Type when `format:` did not say.
// Keeps only `options.extract` of a snapshot (unchanged without one).
Result<Document> ApplyExtract(Document doc, const CommonOptions& options);
// What every snapshot goes through once built: `extract`, `decode: base64`, then `embedded`
// documents (a string that does not parse stays a string and adds a warning to the
// document).
Result<Document> FinishSnapshot(Document doc, const CommonOptions& options);

// `capacity`: bytes readable at bytes.data() (lets the JSON parser skip a copy).
Result<Document> ParseSnapshot(std::string_view bytes, const CommonOptions& options,
                               const std::string& origin, Format hint, size_t capacity = 0);

using CollectorFactory = std::unique_ptr<Collector> (*)(const YAML::Node& spec,
                                                        const SourceContext& ctx,
                                                        YamlReader& reader);

}  // namespace drift
