#include <nlohmann/json.hpp>

#include "tests/collectors/collectors_testing.h"
#include "tests/support/http_server.h"

namespace drift {
namespace {

using testing::AsJson;
using testing::BuildCollector;
using testing::HttpCall;
using testing::HttpReply;
using testing::TempDir;
using testing::TestHttpServer;

HttpReply Routes(const HttpCall& c) {
  static std::atomic<int> flaky{0}, limited{0};
  if (c.target == "/env/stage") return {200, R"({"a": 1, "data": {"x": "y"}})"};
  if (c.target == "/yaml") return {200, "a: 1\nb: [x]\n", "application/yaml; charset=utf-8"};
  if (c.target == "/sniffed") return {200, "{\"a\": 2}", "text/plain"};
  if (c.target == "/lying") return {200, "a: 1\n", "application/json"};
  if (c.target == "/slow") return {200, "{}", "application/json", {}, 3000};
  if (c.target == "/flaky") return ++flaky <= 2 ? HttpReply{503, "busy"} : HttpReply{200, "{\"ok\": true}"};
  if (c.target == "/limited") {
    if (++limited == 1) return {429, "slow down", "text/plain", {{"Retry-After", "1"}}};
    return {200, "{\"ok\": 1}"};
  }
  if (c.target == "/down") return {500, "broken"};
  if (c.target == "/missing") return {404, "no"};
  if (c.target == "/truncated") return {200, "{\"a\": 1", "application/json", {}, 0, true};
  if (c.target == "/big") return {200, "[" + std::string(4096, ' ') + "]"};
  if (c.target == "/auth")
    return c.authorization == "Bearer s3cr3t-token" ? HttpReply{200, "{\"authed\": true}"}
                                                    : HttpReply{401, "who are you"};
  if (c.target == "/secret")
    return {200, R"({"data": {"DB_PASSWORD": "aHVudGVyMg==", "user": "YWRtaW4="}})"};
  return {404, ""};
}

TEST_CASE("http: per-env documents, formats by Content-Type, extract, sniffing") {
  TestHttpServer server(Routes);
  TempDir dir;
  auto b = BuildCollector(dir, "{type: http, url: \"" + server.url("/env/{env}") + "\"}");
  auto doc = b->Collect();
  REQUIRE(doc.ok());
  CHECK(AsJson(*doc) == R"({"a":1,"data":{"x":"y"}})");
  auto ex = BuildCollector(dir, "{type: http, url: \"" + server.url("/env/{env}") + "\", extract: data}");
  CHECK(AsJson(*ex->Collect()) == R"({"x":"y"})");
  CHECK(AsJson(*BuildCollector(dir, "{type: http, url: \"" + server.url("/yaml") + "\"}")->Collect()) ==
        R"({"a":1,"b":["x"]})");
  CHECK(AsJson(*BuildCollector(dir, "{type: http, url: \"" + server.url("/sniffed") + "\"}")->Collect()) ==
        R"({"a":2})");
  auto lying = BuildCollector(dir, "{type: http, url: \"" + server.url("/lying") + "\"}")->Collect();
  REQUIRE_FALSE(lying.ok());
  CHECK(lying.error().message.starts_with("JSON parse error"));
  auto forced = BuildCollector(dir, "{type: http, format: yaml, url: \"" + server.url("/lying") + "\"}");
  CHECK(AsJson(*forced->Collect()) == R"({"a":1})");
}

TEST_CASE("http: failures are errors of the source, with retries where they help") {
  TestHttpServer server(Routes);
  TempDir dir;
  auto flaky = BuildCollector(dir, "{type: http, url: \"" + server.url("/flaky") + "\", retries: 2}");
  CHECK(AsJson(*flaky->Collect()) == R"({"ok":true})");
  auto limited = BuildCollector(dir, "{type: http, url: \"" + server.url("/limited") + "\"}");
  auto t0 = std::chrono::steady_clock::now();
  CHECK(AsJson(*limited->Collect()) == R"({"ok":1})");
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(900));  // Retry-After
  auto down = BuildCollector(dir, "{type: http, url: \"" + server.url("/down") + "\", retries: 1}");
  size_t before = server.requests();
  CHECK(down->Collect().error().message == "HTTP 500 from " + server.url("/down"));
  CHECK(server.requests() - before == 2);
  CHECK(BuildCollector(dir, "{type: http, url: \"" + server.url("/missing") + "\"}")
            ->Collect().error().message == "HTTP 404 from " + server.url("/missing"));
  auto slow = BuildCollector(dir, "{type: http, url: \"" + server.url("/slow") + "\", timeout: 300ms, retries: 0}");
  auto e = slow->Collect().error();
  CHECK(e.kind == ErrorKind::kTimeout);
  CHECK(e.message.ends_with(" (GET " + server.url("/slow") + ")"));
  auto trunc = BuildCollector(dir, "{type: http, url: \"" + server.url("/truncated") + "\", retries: 0}");
  CHECK(trunc->Collect().error().kind == ErrorKind::kTruncated);
  auto big = BuildCollector(dir, "{type: http, url: \"" + server.url("/big") + "\", max_size: 1024}");
  CHECK(big->Collect().error().kind == ErrorKind::kTooLarge);
  CHECK(big->Collect().error().message ==
        "response is larger than the 1024 bytes limit (max_size) (GET " + server.url("/big") + ")");
  auto refused = BuildCollector(dir, "{type: http, url: \"http://127.0.0.1:1/x\", retries: 0}");
  CHECK(refused->Collect().error().kind == ErrorKind::kUnreachable);
}

TEST_CASE("http: secrets in headers are resolved at collection time and never shown") {
  TestHttpServer server(Routes);
  TempDir dir;
  setenv("DRIFT_TEST_TOKEN", "s3cr3t-token", 1);
  auto ok = BuildCollector(
      dir, "{type: http, url: \"" + server.url("/auth") +
               "\", headers: {Authorization: \"Bearer ${env:DRIFT_TEST_TOKEN}\"}}");
  CHECK(AsJson(*ok->Collect()) == R"({"authed":true})");
  setenv("DRIFT_TEST_TOKEN", "wrong", 1);
  auto bad = ok->Collect();
  CHECK(bad.error().message == "HTTP 401 from " + server.url("/auth"));
  unsetenv("DRIFT_TEST_TOKEN");
  CHECK(ok->Collect().error().message ==
        "header Authorization: environment variable DRIFT_TEST_TOKEN is not set");
  // A secret inside the URL is scrubbed from transport errors.
  setenv("DRIFT_TEST_HOSTPART", "hunter2.invalid", 1);
  auto url = BuildCollector(dir, "{type: http, url: \"http://${env:DRIFT_TEST_HOSTPART}/x\", retries: 0}");
  auto e = url->Collect().error().message;
  CHECK(e.find("hunter2") == std::string::npos);
  CHECK(e.find("${env:DRIFT_TEST_HOSTPART}") != std::string::npos);
  unsetenv("DRIFT_TEST_HOSTPART");
}

TEST_CASE("http: decode base64 (Kubernetes Secret data) and redact every value") {
  TestHttpServer server(Routes);
  TempDir dir;
  auto b = BuildCollector(dir, "{type: http, url: \"" + server.url("/secret") +
                                   "\", extract: data, decode: base64}");
  CHECK(b->collector->redact_all());
  CHECK(AsJson(*b->Collect()) == R"({"DB_PASSWORD":"hunter2","user":"admin"})");
  // The digest is of the body as served: the same body again is not parsed or decoded again.
  auto first = b->Collect({""});
  REQUIRE(first.ok());
  CHECK_FALSE(first->raw_digest().empty());
  auto again = b->Collect({first->raw_digest()});
  REQUIRE(again.ok());
  CHECK(again->unchanged());
}

TEST_CASE("http: TLS is verified by default, ca_file makes a private CA work") {
  TempDir dir;
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir.file("key.pem") +
                    " -out " + dir.file("cert.pem") +
                    " -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  TestHttpServer server(Routes, dir.file("cert.pem"), dir.file("key.pem"));
  auto strict = BuildCollector(dir, "{type: http, url: \"" + server.url("/env/{env}") + "\", retries: 0}");
  auto e = strict->Collect();
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.find("certificate") != std::string::npos);
  auto with_ca = BuildCollector(dir, "{type: http, url: \"" + server.url("/env/{env}") +
                                         "\", ca_file: cert.pem}");
  CHECK(AsJson(*with_ca->Collect()) == R"({"a":1,"data":{"x":"y"}})");
  auto insecure = BuildCollector(dir, "{type: http, url: \"" + server.url("/env/{env}") +
                                          "\", insecure: true}");
  CHECK(insecure->Collect().ok());
}

TEST_CASE("http: many sources at once through drift check") {
  TestHttpServer server([](const HttpCall& c) {
    return HttpReply{200, "{\"path\": \"" + c.target + "\", \"shared\": 1}", "application/json", {}, 20};
  });
  TempDir dir;
  std::string cfg = "version: 1\nenvironments: [prod, stage]\ndefaults: {max_concurrency: 8, "
                    "max_per_host: 8}\nservices:\n";
  for (int i = 0; i < 20; ++i)
    cfg += "  s" + std::to_string(i) + ": {sources: {api: {type: http, url: \"" +
           server.url("/{service}/{env}") + "\"}}}\n";
  cfg += "rules:\n  - ignore: api.path\n";
  auto r = testing::Run({"check", "-c", dir.write("drift.yaml", cfg), "--format", "json"});
  CHECK(r.code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["summary"]["sources"] == 40);
  CHECK(j["summary"]["sources_failed"] == 0);
  CHECK(server.requests() == 40);
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

TEST_CASE("http: timeout bounds the whole collection, retries and Retry-After included") {
  testing::TestHttpServer server([](const testing::HttpCall& c) -> testing::HttpReply {
    if (c.target == "/hang") return {200, "{}", "application/json", {}, 10000};
    if (c.target == "/later") return {429, "later", "text/plain", {{"Retry-After", "86400"}}};
    return {404, ""};
  });
  testing::TempDir dir;
  auto elapsed = [](auto&& f) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // Three tries of a hanging endpoint used to take 3 x timeout plus the backoff.
  auto hang = testing::BuildCollector(
      dir, "{type: http, url: \"" + server.url("/hang") + "\", timeout: 2s, retries: 3}");
  Result<Document> r = MakeError("not run");
  double t = elapsed([&] { r = hang->Collect(); });
  REQUIRE_FALSE(r.ok());
  CHECK(t < 4.0);  // 2 s of timeout, far from the 8 s + backoff of four full tries
  // A Retry-After beyond the timeout is not waited for: the 429 is the answer at once.
  auto later = testing::BuildCollector(
      dir, "{type: http, url: \"" + server.url("/later") + "\", timeout: 20s, retries: 3}");
  t = elapsed([&] { r = later->Collect(); });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "HTTP 429 from " + server.url("/later") +
            " (Retry-After 86400 s is beyond the collection's timeout)");
  CHECK(t < 10.0);
}

}  // namespace
}  // namespace drift
