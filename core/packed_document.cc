#include "core/packed_document.h"

#include <zstd.h>

#include <cstring>
#include <stdexcept>
#include <type_traits>

namespace drift {

namespace {

class Writer {
 public:
  void u64(uint64_t v) { bytes(&v, sizeof v); }
  void str(std::string_view s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  template <typename T>
  void vec(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    u64(v.size());
    bytes(v.data(), v.size() * sizeof(T));
  }
  void pairs(const std::vector<std::pair<uint32_t, uint32_t>>& v) {  // std::pair is not trivially copyable
    u64(v.size());
    for (const auto& [a, b] : v) {
      bytes(&a, 4);
      bytes(&b, 4);
    }
  }
  void bytes(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint64_t u64() {
    uint64_t v;
    bytes(&v, sizeof v);
    return v;
  }
  std::string str() {
    size_t n = u64();
    std::string s(take(n));
    return s;
  }
  template <typename T>
  void vec(std::vector<T>& v) {
    size_t n = u64();
    if (n > in_.size() / sizeof(T)) Fail();
    v.resize(n);
    bytes(v.data(), n * sizeof(T));
  }
  void pairs(std::vector<std::pair<uint32_t, uint32_t>>& v) {
    size_t n = u64();
    if (n > in_.size() / 8) Fail();
    v.resize(n);
    for (auto& [a, b] : v) {
      bytes(&a, 4);
      bytes(&b, 4);
    }
  }
  void bytes(void* p, size_t n) {
    auto s = take(n);
    if (n) std::memcpy(p, s.data(), n);
  }

 private:
  std::string_view take(size_t n) {
    if (n > in_.size()) Fail();
    auto s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  // Only Pack wrote these bytes: a failure is a broken invariant, not bad input.
  [[noreturn]] static void Fail() { throw std::logic_error("packed document does not unpack"); }
  std::string_view in_;
};

}  // namespace

std::shared_ptr<const PackedDocument> PackedDocument::Pack(const Document& d) {
  size_t storage = d.nodes_.size() * sizeof(Node) + d.entries_.size() * sizeof(Entry) +
                   d.chars_.size() + d.keys_.size() * 8 + d.key_chars_.size();
  if (storage > kMaxBytes || d.unchanged()) return nullptr;
  Writer w;
  w.vec(d.nodes_);
  w.vec(d.entries_);
  w.str(d.chars_);
  w.pairs(d.keys_);
  w.str(d.key_chars_);
  w.pairs(d.keyed_field_);
  w.u64(d.root_);
  w.str(d.origin_);
  w.str(d.raw_digest_);
  w.u64(d.warnings_.size());
  for (const auto& s : d.warnings_) w.str(s);
  const std::string& raw = w.out();
  // One compression context per thread, reused: setting one up costs more than compressing
  // a small document. zstd at level 1: about as small as zlib's level 6, several times faster.
  struct Ctx {
    ZSTD_CCtx* c = ZSTD_createCCtx();
    ~Ctx() { ZSTD_freeCCtx(c); }
  };
  thread_local Ctx ctx;
  if (!ctx.c) return nullptr;
  auto p = std::make_shared<PackedDocument>();
  p->data_.resize(8 + ZSTD_compressBound(raw.size()));
  uint64_t n = raw.size();
  std::memcpy(p->data_.data(), &n, 8);
  size_t size = ZSTD_compressCCtx(ctx.c, p->data_.data() + 8, p->data_.size() - 8, raw.data(),
                                  raw.size(), 1);
  if (ZSTD_isError(size)) return nullptr;
  p->data_.resize(8 + size);
  p->data_.shrink_to_fit();
  return p;
}

Document PackedDocument::Unpack() const {
  uint64_t n;
  std::memcpy(&n, data_.data(), 8);
  std::string raw(n, '\0');
  struct Ctx {
    ZSTD_DCtx* d = ZSTD_createDCtx();
    ~Ctx() { ZSTD_freeDCtx(d); }
  };
  thread_local Ctx ctx;
  size_t size = ctx.d ? ZSTD_decompressDCtx(ctx.d, raw.data(), raw.size(), data_.data() + 8,
                                            data_.size() - 8)
                      : 0;
  if (!ctx.d || ZSTD_isError(size) || size != n)
    throw std::logic_error("packed document does not unpack");
  Reader r(raw);
  Document d;
  r.vec(d.nodes_);
  r.vec(d.entries_);
  d.chars_ = r.str();
  r.pairs(d.keys_);
  d.key_chars_ = r.str();
  r.pairs(d.keyed_field_);
  d.root_ = static_cast<NodeId>(r.u64());
  d.origin_ = r.str();
  d.raw_digest_ = r.str();
  size_t warnings = r.u64();
  for (size_t i = 0; i < warnings; ++i) d.warnings_.push_back(r.str());
  return d;
}

}  // namespace drift
