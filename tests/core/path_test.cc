#include "core/path.h"
#include "tests/testing.h"

namespace drift {
namespace {

TEST_CASE("paths print and parse back") {
  for (std::string p : {"settings.FEATURES.ENABLE_DISCUSSIONS", "settings.ALLOWED_HOSTS[2]",
                        "flags[\"waffle.new_ui\"].everyone", "settings.BACKENDS[name=saml]",
                        "s.BACKENDS[name=\"a b\"].x", "s[\"with \\\"quote\\\"\"][0][1]",
                        "s[\"\"]", "s.a-b_c.9", "[0].x", "s[name=v1.2-x]"}) {
    auto parsed = ParsePath(p);
    REQUIRE_MESSAGE(parsed.ok(), p);
    CHECK(FormatPath(*parsed) == p);
  }
}

TEST_CASE("keys that need quotes are quoted") {
  Path p{PathSegment::Key("flags"), PathSegment::Key("waffle.new_ui"), PathSegment::Index(3),
         PathSegment::Key("tab\there"), PathSegment::Keyed("name", "x y")};
  std::string s = FormatPath(p);
  CHECK(s == "flags[\"waffle.new_ui\"][3][\"tab\\there\"][name=\"x y\"]");
  auto back = ParsePath(s);
  REQUIRE(back.ok());
  CHECK(*back == p);
}

TEST_CASE("bad paths name the column") {
  auto r = ParsePath("a.b c");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "expected '.' or '[' but found ' ' at column 4");
  CHECK(ParsePath("a.").error().message == "path ends after '.' at column 3");
  CHECK(ParsePath("a[\"x").error().message == "unterminated quoted key at column 5");
  CHECK(ParsePath("a[x]").error().message ==
        "expected an index, a quoted key or field=value inside [ ] at column 4");
  CHECK_FALSE(ParsePath("a.*").ok());
  CHECK(ParsePath("a.*", true).ok());
}

}  // namespace
}  // namespace drift
