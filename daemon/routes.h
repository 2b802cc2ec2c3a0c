// The daemon's HTTP endpoints (SPEC §7) as one table of handlers, registered in one place
// (Envoy's admin UrlHandler): path, what it is for, and whether it changes state. A state-
// changing endpoint answers only POST, and only with the bearer token when one is set.
// Thread-compatible: built once, then Handle is called from the io thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/http_server.h"

namespace drift {

struct Route {
  std::string path;  // exact
  std::string help;
  bool mutates_state = false;  // POST only, authorized
  std::function<HttpServerResponse(const HttpServerRequest&)> handler;
};

class Router {
 public:
  // Decides whether a request may change state (the bearer token).
  using Authorizer = std::function<bool(const HttpServerRequest&)>;
  explicit Router(Authorizer authorized) : authorized_(std::move(authorized)) {}

  void Add(Route route) { routes_.push_back(std::move(route)); }
  const std::vector<Route>& routes() const { return routes_; }

  // GET and HEAD reach read-only routes; POST reaches state-changing ones (405 otherwise,
  // 401 without the token); anything else is 404.
  HttpServerResponse Handle(const HttpServerRequest& r) const;

 private:
  Authorizer authorized_;
  std::vector<Route> routes_;
};

// A JSON response (pretty-printed, newline-terminated), as every API answer is.
HttpServerResponse JsonResponse(int status, const nlohmann::ordered_json& j);

}  // namespace drift
