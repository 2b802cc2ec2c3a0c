// The daemon's HTTP server (Boost.Beast, async, on the daemon's io_context): keep-alive,
// request body and header limits, idle timeouts. Handlers run on the io thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace drift {

struct HttpServerRequest {
  std::string method, path;                   // path without the query
  std::map<std::string, std::string> query;   // decoded
  std::string authorization;
  std::string accept_encoding, if_none_match;  // raw header values
  std::string body;
};

struct HttpServerResponse {
  HttpServerResponse() = default;
  HttpServerResponse(int status, std::string content_type, std::string body)
      : status(status), content_type(std::move(content_type)), body(std::move(body)) {}

  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // A large body shared by many responses (a cached report): sent without copying; when set,
  // `body` is ignored.
  std::shared_ptr<const std::string> shared_body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
};

// gzip (RFC 1952) of `data` at zlib `level`; an error only if zlib fails.
Result<std::string> Gzip(std::string_view data, int level);
// Whether an Accept-Encoding header value accepts gzip (a `gzip;q=0` refuses it).
bool AcceptsGzip(std::string_view accept_encoding);

struct HttpServerOptions {
  // Open connections at most; beyond it a new connection is closed at once (and counted),
  // so idle clients cannot take the descriptors collection needs.
  size_t max_connections = 1000;
};

class HttpServer {
 public:
  using Handler = std::function<HttpServerResponse(const HttpServerRequest&)>;
  // Binds now (an error when the address is taken); serves once the io_context runs.
  static Result<std::unique_ptr<HttpServer>> Start(boost::asio::io_context& io,
                                                   const std::string& listen, Handler handler,
                                                   HttpServerOptions options = {});
  // Connections open now, and those refused so far (over max_connections, or while the
  // process was out of descriptors).
  size_t connections() const;
  uint64_t rejected() const;
  ~HttpServer();
  int port() const { return port_; }
  void Stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace drift
