// type: file — a path template per env, read from disk and parsed by format or extension.
#include "collectors/builtin.h"
#include "core/files.h"
#include "core/interpolate.h"

namespace drift {
namespace {


class FileCollector final : public BlockingCollector {
 public:
  FileCollector(std::string path, std::string dir, CommonOptions o, uint64_t max_size)
      : BlockingCollector(std::move(o)), path_(std::move(path)), dir_(std::move(dir)),
        max_size_(max_size) {}

  std::string describe() const override { return Absolute(path_); }

  Result<Document> Collect(const CollectRequest& request) const override {
    auto resolved = ResolveSecretRefs(path_, dir_);
    if (!resolved.ok()) return resolved.error();
    std::string path = Absolute(*resolved);
    // Slack past the end lets the JSON parser read the bytes in place.
    auto bytes = ReadWholeFile(path, ReadLimits{max_size_, "max_size", 64});
    if (!bytes.ok()) return bytes.error();
    return Parse(*bytes, request, path, FormatFromPath(path), bytes->capacity());
  }

 private:
  std::string Absolute(const std::string& p) const {
    if (p.starts_with("/") || dir_.empty() || dir_ == ".") return p;
    return dir_ + "/" + p;
  }
  std::string path_, dir_;
  uint64_t max_size_;
};

}  // namespace

std::unique_ptr<Collector> MakeFileCollector(const YAML::Node& spec, const SourceContext& ctx,
                                             YamlReader& r) {
  CommonOptions common = ReadCommonOptions(spec, ctx.config, r, ctx.source.name);
  // Check every field before giving up, so that all problems are reported at once.
  std::optional<std::string> path;
  if (auto p = Get(spec, "path"); p.IsDefined()) path = r.String(p, "path");
  else r.Error(spec, "a file source needs a path");
  uint64_t max_size = kDefaultMaxFileSize;
  bool ok = true;
  if (auto m = Get(spec, "max_size"); m.IsDefined()) {
    auto v = r.Int(m, "max_size (bytes)", 1, kMaxSizeLimit);
    if (v) max_size = static_cast<uint64_t>(*v);
    ok = v.has_value();
  }
  if (!path || !ok) return nullptr;
  return std::make_unique<FileCollector>(ctx.expand(*path), ctx.config.dir, std::move(common),
                                         max_size);
}

}  // namespace drift
