// core/document: the content hash behind snapshot hashes.
#include "core/document.h"

#include <set>
#include <string>

#include "core/parse.h"
#include "core/strings.h"
#include "tests/testing.h"

namespace drift {
namespace {

uint64_t HashOfJson(const std::string& text) {
  auto d = ParseJson(text, ParseOptions{});
  REQUIRE_MESSAGE(d.ok(), text);
  return ContentHash(*d, d->root());
}

uint64_t HashOfYaml(const std::string& text) {
  Document d = testing::Yaml(text);
  return ContentHash(d, d.root());
}

TEST_CASE("ContentHash: the same content hashes the same, whatever its bytes") {
  CHECK(HashOfJson(R"({"a": 1, "b": [true, null, "x"], "c": {"d": 1.5}})") ==
        HashOfJson("{\"a\":1,\n  \"b\":[ true,null,\"x\" ],\"c\":{\"d\":1.5}}"));
  CHECK(HashOfJson(R"({"a": 1, "b": [true, null, "x"], "c": {"d": 1.5}})") ==
        HashOfYaml("a: 1\nb: [true, null, x]\nc:\n  d: 1.5\n"));
  // Floats by value: every NaN is one, and -0.0 is 0.0.
  CHECK(HashOfYaml("a: .nan\n") == HashOfYaml("a: .NaN\n"));
  CHECK(HashOfYaml("a: -0.0\n") == HashOfYaml("a: 0.0\n"));
}

TEST_CASE("ContentHash: any change of a value, a key, a type or the shape hashes apart") {
  std::vector<std::string> docs = {
      "null", "true", "false", "0", "1", "-1", "1.0", "1.5", "\"1\"", "\"\"", "\"true\"",
      "[]", "{}", "[null]", "[[]]", "[{}]", "{\"\": null}", "{\"a\": null}", "{\"a\": 1}",
      "{\"a\": 2}", "{\"b\": 1}", "{\"a\": \"1\"}", "{\"a\": [1]}", "{\"a\": {\"b\": 1}}",
      "{\"a\": {\"c\": 1}}", "{\"a\": 1, \"b\": 2}", "{\"a\": 1, \"c\": 2}", "[1, 2]", "[2, 1]",
      "[[1], [2]]", "[[1, 2]]", "[[1, 2], []]", "[[], [1, 2]]", "[\"a\", \"b\"]", "[\"ab\"]",
      "[\"a\", \"\"]", "{\"ab\": \"c\"}", "{\"a\": \"bc\"}", "9223372036854775807",
      "-9223372036854775808", "1e300", "-1e300",
      // A key and its value swapped, a key equal to its value, a string key and a string value.
      "{\"prod\": \"stage\"}", "{\"stage\": \"prod\"}", "{\"primary\": \"replica\"}",
      "{\"replica\": \"primary\"}", "{\"name\": \"name\"}", "{\"id\": \"id\"}",
      "{\"x\": \"x\"}", "[\"x\", \"x\"]", "[\"name\", \"name\"]", "\"name\"",
      "{\"a\": {\"b\": \"c\"}}", "{\"a\": {\"c\": \"b\"}}", "{\"b\": {\"a\": \"c\"}}",
      "{\"a\": \"b\", \"c\": \"d\"}", "{\"a\": \"d\", \"c\": \"b\"}",
      "{\"b\": \"a\", \"d\": \"c\"}"};
  std::set<uint64_t> seen;
  for (const auto& d : docs) CHECK_MESSAGE(seen.insert(HashOfJson(d)).second, d);
  // Each of 200 maps {"kI": "vJ"} and its swap: 400 hashes.
  std::set<uint64_t> pairs;
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j < 10; ++j)
      for (const auto& [k, v] : {std::pair{"k" + std::to_string(i), "v" + std::to_string(j)},
                                 std::pair{"v" + std::to_string(j), "k" + std::to_string(i)}}) {
        pairs.insert(HashOfJson("{\"" + k + "\": \"" + v + "\"}"));
        pairs.insert(HashOfJson("{\"" + k + "\": \"" + k + "\"}"));
      }
  CHECK(pairs.size() == 200 + 20);  // the 200 maps and the 20 {"x": "x"}
}

TEST_CASE("ContentHash: strings of every length up to 40 bytes, one byte changed anywhere, hash apart") {
  // The hash reads 8 bytes at a time and the last (or only) bytes in overlapping reads:
  // every byte of every length must count, a NUL included.
  std::set<uint64_t> seen;
  size_t strings = 0;
  for (size_t length = 0; length <= 40; ++length) {
    std::string base(length, 'a');
    for (size_t at = 0; at <= length; ++at) {
      std::string s = base;
      if (at < length) s[at] = at % 2 ? 'b' : '\0';
      Document d;
      d.set_root(d.add_string(s, 1, 1));
      ++strings;
      CHECK_MESSAGE(seen.insert(ContentHash(d, d.root())).second, "length ", length, " at ", at);
      // And as a key.
      Document k;
      std::vector<Entry> entries = {{k.intern(s), k.add_null(1, 1)}};
      k.set_root(k.add_container(Type::kMap, entries, 1, 1));
      ++strings;
      CHECK_MESSAGE(seen.insert(ContentHash(k, k.root())).second, "key of length ", length);
    }
  }
  CHECK(seen.size() == strings);
  // HashString on its own: lengths 0-40 of one byte pattern all differ, and the seed counts.
  std::set<uint64_t> by_length;
  for (size_t n = 0; n <= 40; ++n) by_length.insert(HashString(std::string(n, '\0')));
  CHECK(by_length.size() == 41);
  CHECK(HashString("abc", 1) != HashString("abc", 2));
}

}  // namespace
}  // namespace drift
