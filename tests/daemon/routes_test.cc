// The router alone: methods, the token on state-changing routes, 404s.
#include "daemon/routes.h"

#include "tests/testing.h"

namespace drift {
namespace {

HttpServerRequest Req(const std::string& method, const std::string& path,
                      const std::string& auth = "") {
  HttpServerRequest r;
  r.method = method;
  r.path = path;
  r.authorization = auth;
  return r;
}

TEST_CASE("router: read-only routes take GET and HEAD, state-changing ones POST with the token") {
  int changed = 0;
  Router router([](const HttpServerRequest& r) { return r.authorization == "Bearer t"; });
  router.Add({"/healthz", "alive", false,
              [](const HttpServerRequest&) { return HttpServerResponse{200, "text/plain", "ok\n"}; }});
  router.Add({"/api/v1/reload", "reload", true, [&](const HttpServerRequest&) {
                ++changed;
                return JsonResponse(200, {{"reloaded", true}});
              }});
  CHECK(router.routes().size() == 2);
  CHECK(router.Handle(Req("GET", "/healthz")).body == "ok\n");
  CHECK(router.Handle(Req("HEAD", "/healthz")).status == 200);
  auto post_read_only = router.Handle(Req("POST", "/healthz"));
  CHECK(post_read_only.status == 404);
  auto get = router.Handle(Req("GET", "/api/v1/reload", "Bearer t"));
  CHECK(get.status == 405);
  CHECK(get.body == "{\n  \"error\": \"use POST\"\n}\n");
  auto no_token = router.Handle(Req("POST", "/api/v1/reload", "Bearer x"));
  CHECK(no_token.status == 401);
  CHECK(changed == 0);
  auto ok = router.Handle(Req("POST", "/api/v1/reload", "Bearer t"));
  CHECK(ok.status == 200);
  CHECK(ok.content_type == "application/json");
  CHECK(changed == 1);
  auto missing = router.Handle(Req("GET", "/nope"));
  CHECK(missing.status == 404);
  CHECK(missing.body == "{\n  \"error\": \"no such endpoint\"\n}\n");
  CHECK(router.Handle(Req("GET", "/healthz/")).status == 404);  // exact paths
}

}  // namespace
}  // namespace drift
