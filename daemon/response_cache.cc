#include "daemon/response_cache.h"

#include "core/crypto.h"
#include "daemon/log.h"

namespace drift {

HttpServerResponse ResponseCache::Get(const std::string& key, uint64_t generation,
                                      uint64_t version, const std::string& content_type,
                                      const HttpServerRequest& r,
                                      const std::function<std::string()>& render) {
  if (generation_ != generation || (entries_.size() >= max_ && !entries_.count(key))) {
    entries_.clear();
    generation_ = generation;
  }
  Entry& e = entries_[key];
  if (!e.plain || e.version != version) {
    e.plain = std::make_shared<const std::string>(render());
    e.gzip.reset();
    e.version = version;
    e.etag = "\"" + Sha256Hex(*e.plain).substr(0, 24) + "\"";
  }
  HttpServerResponse resp(200, content_type, "");
  resp.shared_body = e.plain;
  resp.headers = {{"ETag", e.etag}, {"Vary", "Accept-Encoding"}, {"Cache-Control", "no-cache"}};
  if (EtagMatches(r.if_none_match, e.etag)) {
    resp.status = 304;
    resp.shared_body.reset();
    return resp;
  }
  SendGzipIfAccepted(r, e.plain, e.gzip, 6, resp);  // once per change; ~25% smaller than level 1
  return resp;
}

void SendGzipIfAccepted(const HttpServerRequest& r, const std::shared_ptr<const std::string>& plain,
                        std::shared_ptr<const std::string>& zipped, int level,
                        HttpServerResponse& resp) {
  if (!AcceptsGzip(r.accept_encoding) || plain->size() < kGzipMinBytes) return;
  if (!zipped) {
    auto z = Gzip(*plain, level);
    if (!z.ok()) {
      Log(spdlog::level::warn, z.error().message);
      return;
    }
    zipped = std::make_shared<const std::string>(std::move(*z));
  }
  resp.shared_body = zipped;
  resp.headers.emplace_back("Content-Encoding", "gzip");
}

bool EtagMatches(std::string_view header, std::string_view etag) {
  if (header.empty()) return false;
  if (header.find('*') != std::string_view::npos) return true;
  // A list of tags, maybe weak (W/"..."): compare the quoted part.
  return header.find(etag) != std::string_view::npos;
}

}  // namespace drift
