// type: file — a path template per env, read from disk and parsed by format or extension.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "collectors/builtin.h"
#include "core/interpolate.h"

namespace drift {
namespace {

constexpr size_t kDefaultMaxSize = 64ull << 20;

std::string HumanSize(uint64_t n) {
  if (n >= (1ull << 20) && n % (1ull << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n >= (1ull << 20)) return std::to_string(n / (1ull << 20)) + "." +
                                std::to_string((n % (1ull << 20)) * 10 / (1ull << 20)) + " MiB";
  return std::to_string(n) + " bytes";
}

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
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
      return MakeError("cannot read " + path + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return MakeError("cannot read " + path + ": is a directory");
    if (static_cast<uint64_t>(st.st_size) > max_size_)
      return MakeError(path + " is " + HumanSize(st.st_size) + ", over the " +
                       HumanSize(max_size_) + " limit (max_size)");
    std::ifstream f(path, std::ios::binary);
    if (!f) return MakeError("cannot read " + path + ": " + std::strerror(errno));
    // Slack past the end lets the JSON parser read the bytes in place.
    std::string bytes;
    bytes.reserve(static_cast<size_t>(st.st_size) + 64);
    bytes.resize(static_cast<size_t>(st.st_size));
    f.read(bytes.data(), st.st_size);
    if (f.gcount() != st.st_size) return MakeError("cannot read " + path + ": short read");
    return Parse(bytes, request, path, FormatFromPath(path), bytes.capacity());
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
  CommonOptions common = ReadCommonOptions(spec, ctx.config, r);
  // Check every field before giving up, so that all problems are reported at once.
  std::optional<std::string> path;
  if (auto p = Get(spec, "path"); p.IsDefined()) path = r.String(p, "path");
  else r.Error(spec, "a file source needs a path");
  uint64_t max_size = kDefaultMaxSize;
  bool ok = true;
  if (auto m = Get(spec, "max_size"); m.IsDefined()) {
    auto v = r.Int(m, "max_size (bytes)", 1, 1ll << 40);
    if (v) max_size = static_cast<uint64_t>(*v);
    ok = v.has_value();
  }
  if (!path || !ok) return nullptr;
  return std::make_unique<FileCollector>(ctx.expand(*path), ctx.config.dir, std::move(common),
                                         max_size);
}

}  // namespace drift
