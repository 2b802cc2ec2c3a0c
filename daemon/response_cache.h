// Rendered API bodies kept until what they show changes and shared by every response (no
// copy per request); clients that accept gzip get a copy compressed once; the ETag (a digest
// of the body, so it differs exactly when the body does, across restarts too) lets pollers
// skip unchanged bodies with If-None-Match. Not thread-safe: the io thread's.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/http_server.h"

namespace drift {

class ResponseCache {
 public:
  // At most `max_entries` keys (keys come from clients' filters).
  explicit ResponseCache(size_t max_entries) : max_(max_entries) {}

  // The response for `key` as of (generation, version): the cached body when it is that
  // recent, else `render`'s (a 304 when the client holds it already).
  HttpServerResponse Get(const std::string& key, uint64_t generation, uint64_t version,
                         const std::string& content_type, const HttpServerRequest& r,
                         const std::function<std::string()>& render);

 private:
  struct Entry {
    uint64_t version = 0;
    std::shared_ptr<const std::string> plain, gzip;
    std::string etag;
  };
  size_t max_;
  uint64_t generation_ = 0;
  std::map<std::string, Entry> entries_;
};

// Below this a body goes out uncompressed: gzip's header and the CPU are not worth it.
inline constexpr size_t kGzipMinBytes = 1024;

// Points `resp` at `plain` gzip'd when the client accepts gzip, compressing it once into
// `zipped` (a cache the caller resets when `plain` changes).
void SendGzipIfAccepted(const HttpServerRequest& r, const std::shared_ptr<const std::string>& plain,
                        std::shared_ptr<const std::string>& zipped, int level,
                        HttpServerResponse& resp);

// If-None-Match against one tag: `*`, or the tag in the (maybe weak, maybe listed) header.
bool EtagMatches(std::string_view header, std::string_view etag);

}  // namespace drift
