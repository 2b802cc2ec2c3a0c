#include "core/regex.h"

#include <doctest/doctest.h>

#include <string>

namespace drift {
namespace {

TEST_CASE("regex: RE2 full match, search, replace with $N groups") {
  auto re = Regex::Compile("v([0-9]+)\\.([0-9]+)");
  REQUIRE(re.ok());
  CHECK(re->FullMatch("v1.2"));
  CHECK_FALSE(re->FullMatch("v1.2-rc"));
  std::string g;
  CHECK(re->Search("image:v10.3-alpine", &g));
  CHECK(g == "10");
  CHECK(re->ReplaceAll("a v1.2 b v3.4", "[$2.${1}]$$") == "a [2.1]$ b [4.3]$");
  CHECK(re->ReplaceAll("nothing here", "x") == "nothing here");
  // Empty matches advance one character at a time.
  auto star = Regex::Compile("x*");
  REQUIRE(star.ok());
  CHECK(star->ReplaceAll("abc", "-") == "-a-b-c-");
  // As Go and Python: no empty match right after a match; UTF-8 stays whole.
  CHECK(Regex::Compile("a*")->ReplaceAll("baaac", "-") == "-b-c-");
  CHECK(star->ReplaceAll("\xC3\xA9", "-") == "-\xC3\xA9-");
  CHECK(Regex::Compile("b+")->ReplaceAll("abbc", "<$&>") == "a<bb>c");
  // A $ not followed by a group number stays as written.
  CHECK(Regex::Compile("b")->ReplaceAll("abc", "$x${") == "a$x${c");
}

TEST_CASE("regex: what RE2 refuses is an error naming the start of the pattern") {
  auto look = Regex::Compile("(?=a)b");
  REQUIRE_FALSE(look.ok());
  CHECK(look.error().message.find("invalid regex '(?=a)b'") == 0);
  CHECK(look.error().message.find("no backreferences or lookaround") != std::string::npos);
  auto back = Regex::Compile("(a)\\1");
  CHECK_FALSE(back.ok());
  // A 100,000-character pattern RE2 cannot take is refused with a short message.
  std::string huge = "(" + std::string(100000, 'a') + "){1000}";
  auto big = Regex::Compile(huge);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message.size() < 400);
}

TEST_CASE("regex: catastrophic patterns on 1 MB inputs run in linear time, no recursion") {
  std::string value(1 << 20, 'a');
  value += 'b';
  for (const char* p : {".*", "(a|b)*", "(a*)*c", "(a|aa)+$", "((a+)+)+x"}) {
    auto re = Regex::Compile(p);
    REQUIRE(re.ok());
    (void)re->FullMatch(value);
    (void)re->ReplaceAll(value, "<$1>");
  }
  CHECK(Regex::Compile("(a|b)*")->FullMatch(value));
  CHECK_FALSE(Regex::Compile("(a*)*c")->FullMatch(value));
  // A long but compilable pattern (an alternation of 5,000 host names) works.
  std::string alt;
  for (int i = 0; i < 5000; ++i) alt += (i ? "|" : "") + std::string("host") + std::to_string(i);
  auto hosts = Regex::Compile(alt);
  REQUIRE(hosts.ok());
  CHECK(hosts->FullMatch("host4999"));
}

}  // namespace
}  // namespace drift
