#include "core/path.h"

#include <algorithm>
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

TEST_CASE("paths order as people read them: list indices as numbers") {
  std::vector<std::string> expected = {
      "a", "a.b", "a[\"[10\"]", "a[1]", "a[2]", "a[2].x", "a[2][3]", "a[2][10]", "a[9]",
      "a[10]", "a[10].b", "a[11]", "a[100]", "a[name=v10]", "a[name=v2]", "a_10[3]", "a_1[3]",
      "a_2[3]", "b[0]"};
  auto sorted = expected;
  std::reverse(sorted.begin(), sorted.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const std::string& x, const std::string& y) { return ComparePaths(x, y) < 0; });
  CHECK(sorted == expected);
  // Keys stay strings (a_10 before a_1, as strcmp has it).
  // A strict weak order (std::sort's contract): irreflexive, antisymmetric, transitive.
  for (const auto& x : expected) {
    CHECK(ComparePaths(x, x) == 0);
    for (const auto& y : expected) {
      CHECK(ComparePaths(x, y) == -ComparePaths(y, x));
      for (const auto& z : expected)
        if (ComparePaths(x, y) < 0 && ComparePaths(y, z) < 0) CHECK(ComparePaths(x, z) < 0);
    }
  }
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
