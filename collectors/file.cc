// type: file — a path template per env, read from disk and parsed by format or extension.
#include <sys/stat.h>

#include <ctime>

#include "collectors/builtin.h"
#include "core/files.h"
#include "core/interpolate.h"

namespace drift {
namespace {

// The file's identity and times, when they say for sure whether it changed: its last change
// (ctime, which no tool can set back) is over 2 s before `now`, so any later write leaves a
// different signature even on file systems with 1-second timestamps. "" otherwise: a file
// written just now is read again next time (git's "racy clean" rule).
std::string SettledSignature(const struct stat& st, const timespec& now) {
  if (st.st_ctim.tv_sec + 2 >= now.tv_sec) return "";
  return "stat:" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ctim.tv_sec) + "." +
         std::to_string(st.st_ctim.tv_nsec) + "|";
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
    if (!request.known_digest) return Read(path, request);  // drift check: nothing held
    // The daemon holds a snapshot: a file whose signature (taken before it was read) is the
    // one held costs a stat, not a read and a digest.
    struct stat st;
    timespec now;
    std::string signature;
    if (::stat(path.c_str(), &st) == 0 && clock_gettime(CLOCK_REALTIME, &now) == 0)
      signature = SettledSignature(st, now);
    const std::string& known = *request.known_digest;
    size_t bar = known.find('|');
    if (!signature.empty() && bar != std::string::npos && known.compare(0, bar + 1, signature) == 0)
      return Document::Unchanged(known);
    CollectRequest content{bar == std::string::npos ? known : known.substr(bar + 1)};
    auto doc = Read(path, content);
    if (!doc.ok()) return doc;
    if (doc->unchanged()) return Document::Unchanged(signature + doc->raw_digest());
    doc->set_raw_digest(signature + doc->raw_digest());
    return doc;
  }

 private:
  Result<Document> Read(const std::string& path, const CollectRequest& request) const {
    // Slack past the end lets the JSON parser read the bytes in place.
    auto bytes = ReadWholeFile(path, ReadLimits{max_size_, "max_size", 64});
    if (!bytes.ok()) return bytes.error();
    return Parse(*bytes, request, path, FormatFromPath(path), bytes->capacity());
  }
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
