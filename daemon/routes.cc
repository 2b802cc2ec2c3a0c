#include "daemon/routes.h"

#include "core/document.h"

namespace drift {

HttpServerResponse JsonResponse(int status, const nlohmann::ordered_json& j) {
  return HttpServerResponse{status, "application/json", DumpJson(j, 2) + "\n"};
}

HttpServerResponse Router::Handle(const HttpServerRequest& r) const {
  bool get = r.method == "GET" || r.method == "HEAD";
  for (const Route& route : routes_) {
    if (route.path != r.path) continue;
    if (!route.mutates_state) {
      if (get) return route.handler(r);
      continue;
    }
    if (r.method != "POST") return JsonResponse(405, {{"error", "use POST"}});
    if (!authorized_(r)) return JsonResponse(401, {{"error", "missing or wrong bearer token"}});
    return route.handler(r);
  }
  return JsonResponse(404, {{"error", "no such endpoint"}});
}

}  // namespace drift
