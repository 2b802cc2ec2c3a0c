// The response cache alone: renders once per version, 304 on a held tag, gzip once.
#include "daemon/response_cache.h"

#include "core/crypto.h"

#include "tests/testing.h"

namespace drift {
namespace {

HttpServerRequest Req(const std::string& if_none_match = "", const std::string& accept = "") {
  HttpServerRequest r;
  r.method = "GET";
  r.path = "/api/v1/findings";
  r.if_none_match = if_none_match;
  r.accept_encoding = accept;
  return r;
}

std::string Header(const HttpServerResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

TEST_CASE("response cache: one rendering per version, tags, 304s and gzip made once") {
  ResponseCache cache(2);
  int renders = 0;
  std::string body(5000, 'x');
  auto render = [&] {
    ++renders;
    return body;
  };
  auto a = cache.Get("k", 1, 7, "application/json", Req(), render);
  CHECK(a.status == 200);
  CHECK(*a.shared_body == body);
  const std::string tag = "\"" + Sha256Hex(body).substr(0, 24) + "\"";
  CHECK(Header(a, "ETag") == tag);
  CHECK(Header(a, "Content-Encoding") == "");
  auto b = cache.Get("k", 1, 7, "application/json", Req(), render);
  CHECK(renders == 1);
  CHECK(b.shared_body == a.shared_body);  // shared, not copied
  auto held = cache.Get("k", 1, 7, "application/json", Req("W/" + tag), render);
  CHECK(held.status == 304);
  CHECK_FALSE(held.shared_body);
  auto z1 = cache.Get("k", 1, 7, "application/json", Req("", "gzip, br"), render);
  auto z2 = cache.Get("k", 1, 7, "application/json", Req("", "gzip"), render);
  CHECK(Header(z1, "Content-Encoding") == "gzip");
  CHECK(z1.shared_body->size() < 100);
  CHECK(z1.shared_body == z2.shared_body);  // compressed once
  // A new version with the same body keeps the tag (the client's copy is still right)...
  auto same = cache.Get("k", 1, 8, "application/json", Req(tag), render);
  CHECK(renders == 2);
  CHECK(same.status == 304);
  // ...a different body gets a new tag the old one does not match.
  body = "{}";
  auto c = cache.Get("k", 1, 9, "application/json", Req(tag, "gzip"), render);
  CHECK(renders == 3);
  CHECK(Header(c, "ETag") != tag);
  CHECK(c.status == 200);
  CHECK(*c.shared_body == "{}");
  CHECK(Header(c, "Content-Encoding") == "");  // too small to be worth gzip
  // Bounded: a third key empties the cache; a new generation does too.
  cache.Get("k2", 1, 9, "application/json", Req(), render);
  cache.Get("k3", 1, 9, "application/json", Req(), render);
  cache.Get("k", 1, 9, "application/json", Req(), render);
  CHECK(renders == 6);
  cache.Get("k", 2, 9, "application/json", Req(), render);
  CHECK(renders == 7);
  CHECK(EtagMatches("*", "\"x\""));
  CHECK_FALSE(EtagMatches("", "\"x\""));
}

}  // namespace
}  // namespace drift
