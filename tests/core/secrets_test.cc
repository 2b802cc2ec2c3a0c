#include "core/secrets.h"

#include <doctest/doctest.h>

namespace drift {
namespace {

TEST_CASE("secrets: URL passwords and secret query values masked in messages") {
  CHECK(MaskSecretsInText("HTTP 503 from https://bob:hunter2@api.example.org/x?a=1") ==
        "HTTP 503 from https://bob:***@api.example.org/x?a=1");
  CHECK(MaskSecretsInText("connect redis://:p@ss/w0rd@cache:6379/1 failed") ==
        "connect redis://:***@cache:6379/1 failed");
  CHECK(MaskSecretsInText("GET http://h/x?api_key=K1&page=2&Token=T2#frag (refused)") ==
        "GET http://h/x?api_key=***&page=2&Token=***#frag (refused)");
  CHECK(MaskSecretsInText("postgres://u@db/x and http://h/p") == "postgres://u@db/x and http://h/p");
  CHECK(MaskSecretsInText("no url: a:b@c") == "no url: a:b@c");
  CHECK(MaskSecretsInText("key -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE "
                          "KEY----- tail") == "key [private key] tail");
  // Characters legal in a password do not end the URL; a host:port before '/' is no password.
  CHECK(MaskSecretsInText("amqp://app:p;ss,w)rd@mq/ ok") == "amqp://app:***@mq/ ok");
  CHECK(MaskSecretsInText("postgres://u:pa/ss@db/x") == "postgres://u:***@db/x");
  CHECK(MaskSecretsInText("https://h:8443/u/bob@x.com") == "https://h:8443/u/bob@x.com");
  CHECK(MaskSecretsInText("GET https://h/x?token=a,b;c&x=1") == "GET https://h/x?token=***&x=1");
  // A key cut short is masked to the end; a second key after it too; PGP keys as well.
  CHECK(MaskSecretsInText("a -----BEGIN EC PRIVATE KEY-----\nAAAA") == "a [private key]");
  CHECK(MaskSecretsInText("-----BEGIN PRIVATE KEY-----\nA\n-----END PRIVATE KEY-----\n-----BEGIN "
                          "PGP PRIVATE KEY BLOCK-----\nB\n-----END PGP PRIVATE KEY BLOCK-----") ==
        "[private key]\n[private key]");
}

TEST_CASE("secrets: replace callback sees each secret once") {
  std::string s = "a postgres://u:pw1@db/x?password=pw2 b";
  std::vector<std::string> seen;
  CHECK(ReplaceUrlSecrets(s, [&](std::string_view v) {
    seen.emplace_back(v);
    return "F" + std::to_string(seen.size());
  }));
  CHECK(s == "a postgres://u:F1@db/x?password=F2 b");
  CHECK(seen == std::vector<std::string>{"pw1", "pw2"});
  CHECK(HasPemPrivateKey("-----BEGIN OPENSSH PRIVATE KEY-----\nabc"));
  CHECK_FALSE(HasPemPrivateKey("-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----"));
  CHECK(IsSecretName("DB_PASSWORD"));
  CHECK(IsSecretName("apiKey"));
  CHECK_FALSE(IsSecretName("hostname"));
}

}  // namespace
}  // namespace drift
