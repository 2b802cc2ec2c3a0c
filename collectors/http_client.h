// An HTTP client on libcurl's multi interface, driven by a Boost.Asio io_context: sockets
// are asio sockets watched by the event loop, no thread per request. Not thread-safe: use it
// from the io_context's thread only (Send posts nothing itself).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/result.h"

namespace drift {

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string url;
  std::string body;            // POST only
  std::map<std::string, std::string> headers;
  std::string ca_file;
  std::string ca_pem;     // CA certificates in memory (kubeconfig certificate-authority-data)
  std::string cert_file, cert_pem;  // client certificate (file or PEM in memory)
  std::string key_file, key_pem;    // its private key
  std::string username, password;   // basic authentication (secret)
  bool insecure = false;
  std::chrono::milliseconds timeout{10000};
  uint64_t max_size = 16ull << 20;
};

struct HttpResponse {
  long status = 0;  // 0 when no response arrived
  std::string body;
  std::string content_type;
  std::string error;         // transport error ("" when a response arrived)
  ErrorKind error_kind = ErrorKind::kOther;
  bool retryable = false;    // connect errors, timeouts before a response
  long retry_after_s = -1;   // Retry-After header, seconds
};

class HttpClient {
 public:
  HttpClient(boost::asio::io_context& io, int max_total, int max_per_host);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts the request; `done` runs on the io thread when it completes or fails.
  void Send(const HttpRequest& request, std::function<void(HttpResponse)> done);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace drift
