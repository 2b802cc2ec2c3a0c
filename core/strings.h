// Small string helpers shared by every module.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace drift {

// FNV-1a 64. drift's offset basis is not the published one (14695981039346656037), and it
// stays: shard assignment and the store's finding digests were computed with it.
inline constexpr uint64_t kFnvBasis = 1469598103934665603ull;
inline constexpr uint64_t kFnvPrime = 1099511628211ull;
inline uint64_t Fnv1a64(std::string_view s, uint64_t h = kFnvBasis) {
  for (unsigned char c : s) h = (h ^ c) * kFnvPrime;
  return h;
}

// A 64-bit hash taking 8 bytes a step (xor, then the 128-bit product with a constant folded
// in half, as wyhash mixes): for content hashes of whole snapshots, where FNV-1a's
// byte-at-a-time loop was most of what hashing a document cost. Its values may change between
// releases and differ between byte orders (a stored snapshot hash is only compared with the
// next one); not cryptographic (neither is FNV-1a). A step is a function of h ^ word:
// combining two hashes, step one into the chain and then the other, never both into one step.
inline uint64_t HashStep(uint64_t h, uint64_t word) {
  __uint128_t r = static_cast<__uint128_t>(h ^ word) * 0x9e3779b97f4a7c15ull;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
inline uint64_t HashString(std::string_view s, uint64_t h = kFnvBasis) {
  auto load8 = [](const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  auto load4 = [](const char* p) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    return uint64_t{w};
  };
  // The length first, so that the short cases' overlapping reads below spell one string.
  const char* p = s.data();
  size_t n = s.size();
  h = HashStep(h, n);
  if (n > 8) {
    const char* last = p + n - 8;
    for (; p < last; p += 8) h = HashStep(h, load8(p));
    return HashStep(h, load8(last));
  }
  if (n >= 4) return HashStep(h, load4(p) << 32 | load4(p + n - 4));
  if (n > 0) {
    auto byte = [&](size_t i) { return uint64_t{static_cast<unsigned char>(p[i])}; };
    return HashStep(h, byte(0) << 16 | byte(n / 2) << 8 | byte(n - 1));
  }
  return h;
}

// Shortest text that reads back as the same double ("1.5", "1e+20", ".inf", ".nan").
std::string FormatDouble(double v);
std::string ToLower(std::string_view s);
// Percent-encodes everything but RFC 3986 unreserved characters (a path segment or a query value).
std::string UrlEncode(std::string_view s);
std::string ToUpper(std::string_view s);
std::string_view Trim(std::string_view s);
bool IsIdentChar(char c);  // [A-Za-z0-9_-]
// `*` matches any run of characters (including none) within s.
bool GlobMatch(std::string_view pattern, std::string_view s);
size_t EditDistance(std::string_view a, std::string_view b);
// " (did you mean 'x'?)" for the closest candidate within a small distance, else "".
std::string DidYouMean(std::string_view word, std::span<const std::string_view> candidates);
std::string JsonQuote(std::string_view s);  // "..." with JSON escaping
std::string Join(std::span<const std::string> parts, std::string_view sep);
// Shortens s to at most max characters (UTF-8 safe), ending in "…" when cut.
std::string Shorten(std::string_view s, size_t max);
// Keeps both ends ("registry.exa…lms:v2.15.0"): the end of a URL or image tag matters.
std::string ShortenMiddle(std::string_view s, size_t max);
// Display columns of UTF-8 text: one per code point.
size_t DisplayWidth(std::string_view s);
// `s` cut to at most `max` columns keeping the byte `at` (where it differs from another
// value) in view, with … where text was left out: "…/openedx/lms:v2.14.3".
std::string ShortenAround(std::string_view s, size_t at, size_t max);
// Two values cut to at most `max` columns each around their first difference, so that the
// part that differs is visible in both (SPEC §5 table output).
std::pair<std::string, std::string> ShortenPair(std::string_view a, std::string_view b,
                                                size_t max);
// A finding's two values as shown: around their first difference when both are there
// (`compare`), else each kept at both ends (ShortenMiddle).
std::pair<std::string, std::string> ShortenValues(std::string_view a, std::string_view b,
                                                  bool compare, size_t max);

}  // namespace drift
