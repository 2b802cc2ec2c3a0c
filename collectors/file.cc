// type: file — a path template per env, read from disk and parsed by format or extension.
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <string_view>

#include "collectors/builtin.h"
#include "core/files.h"
#include "core/interpolate.h"

namespace drift {
namespace {

// A file's identity, size and times. A held digest carries one in two forms:
//   pending:<steady ns>:<signature>|<content digest>   read once with this signature;
//   stat:<signature>|<content digest>                  read again with the same signature
//                                                      and bytes at least 2 s later.
// Only the second short-cuts the read: by then the file's clock (a file server's, on NFS)
// has moved past the last change's timestamp, so any later write leaves another signature
// even where timestamps have a 1-second grain. Comparing times with this machine's clock
// would trust a skewed server. git's "racy clean" entries are the same idea.
std::string Signature(const struct stat& st) {
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ctim.tv_sec) + "." +
         std::to_string(st.st_ctim.tv_nsec);
}

struct HeldDigest {
  enum Kind { kContent, kPending, kConfirmed } kind = kContent;
  int64_t since_ns = 0;  // kPending: when the signature was first seen (steady clock)
  std::string signature, content;
};

HeldDigest ParseHeld(const std::string& held) {
  HeldDigest h;
  size_t bar = held.find('|');
  h.content = bar == std::string::npos ? held : held.substr(bar + 1);
  if (bar == std::string::npos) return h;
  std::string_view head(held.data(), bar);
  if (head.starts_with("stat:")) {
    h.kind = HeldDigest::kConfirmed;
    h.signature = head.substr(5);
  } else if (head.starts_with("pending:")) {
    head.remove_prefix(8);
    size_t colon = head.find(':');
    if (colon == std::string_view::npos) return h;
    h.kind = HeldDigest::kPending;
    h.since_ns = std::strtoll(std::string(head.substr(0, colon)).c_str(), nullptr, 10);
    h.signature = head.substr(colon + 1);
  }
  return h;
}

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kSettleNs = 2'000'000'000;

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
    if (!request.known_digest) return Read(path, request, nullptr);  // drift check
    // The daemon holds a snapshot: a file confirmed unchanged under its signature costs a
    // stat, not a read and a digest.
    HeldDigest held = ParseHeld(*request.known_digest);
    struct stat st;
    if (held.kind == HeldDigest::kConfirmed && ::stat(path.c_str(), &st) == 0 &&
        Signature(st) == held.signature)
      return Document::Unchanged(*request.known_digest);
    auto doc = Read(path, CollectRequest{held.content}, &st);  // st: of the bytes read
    if (!doc.ok()) return doc;
    std::string signature = Signature(st);
    int64_t now = SteadyNs();
    std::string digest;
    if (doc->unchanged() && held.kind != HeldDigest::kContent && held.signature == signature) {
      if (held.kind == HeldDigest::kConfirmed || now - held.since_ns >= kSettleNs)
        digest = "stat:" + signature + "|" + held.content;
      else
        return Document::Unchanged(*request.known_digest);  // still settling
    } else {
      digest = "pending:" + std::to_string(now) + ":" + signature + "|" + doc->raw_digest();
    }
    if (doc->unchanged()) return Document::Unchanged(std::move(digest));
    doc->set_raw_digest(std::move(digest));
    return doc;
  }

 private:
  Result<Document> Read(const std::string& path, const CollectRequest& request,
                        struct stat* info) const {
    // Slack past the end lets the JSON parser read the bytes in place.
    auto bytes = ReadWholeFile(path, ReadLimits{max_size_, "max_size", 64}, info);
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
