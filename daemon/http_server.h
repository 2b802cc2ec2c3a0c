// The daemon's HTTP server (Boost.Beast, async, on the daemon's io_context): keep-alive,
// request body and header limits, idle timeouts. Handlers run on the io thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/result.h"

namespace drift {

struct HttpServerRequest {
  std::string method, path;                   // path without the query
  std::map<std::string, std::string> query;   // decoded
  std::string authorization;
  std::string body;
};

struct HttpServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpServerResponse(const HttpServerRequest&)>;
  // Binds now (an error when the address is taken); serves once the io_context runs.
  static Result<std::unique_ptr<HttpServer>> Start(boost::asio::io_context& io,
                                                   const std::string& listen, Handler handler);
  ~HttpServer();
  int port() const { return port_; }
  void Stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace drift
