// YAML conformance: every case of the YAML test suite (tests/core/yaml_suite/cases.json, from
// github.com/yaml/yaml-test-suite, MIT, see LICENSE there) and the YAML 1.2.2 specification's
// chapter 2 examples. A valid case must read as its JSON; an invalid one must be refused.
// Where drift reads differently on purpose, the case is listed below with the reason, and the
// test checks that list stays exact (a case that starts passing must leave it).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "core/parse.h"
#include "tests/testing.h"

namespace drift {
namespace {

using json = nlohmann::json;

// Why a suite case reads differently from its JSON, on purpose.
constexpr const char* kAppTag = "application tags are kept in the value as \"!tag value\"";

// Cases drift reads differently from the suite on purpose (id -> reason).
const std::map<std::string, std::string>& Deviations() {
  static const std::map<std::string, std::string> kDeviations = {
      {"5TYM", kAppTag}, {"6CK3", kAppTag}, {"6WLZ", kAppTag}, {"7FWL", kAppTag},
      {"9WXW", kAppTag}, {"CC74", kAppTag}, {"CUP7", kAppTag}, {"M5C3", kAppTag},
      {"P76L", kAppTag}, {"Z67P", kAppTag}, {"Z9M4", kAppTag},
  };
  return kDeviations;
}

// The suite's in.json holds one JSON text per document; drift reads a stream of several
// documents as a list of them, and an empty stream as null.
json ExpectedJson(const std::string& text) {
  std::istringstream in(text);
  std::vector<json> docs;
  for (;;) {
    in >> std::ws;
    if (in.peek() == EOF) break;
    json j;
    in >> j;
    docs.push_back(std::move(j));
  }
  if (docs.empty()) return nullptr;
  if (docs.size() == 1) return docs[0];
  return json(docs);
}

// Order-insensitive for maps (JSON objects have no order), exact otherwise.
json Normalized(const nlohmann::ordered_json& j) { return json::parse(j.dump()); }

struct Outcome {
  bool ok;
  std::string detail;
};

Outcome Check(const json& c) {
  ParseOptions o;
  o.origin = c["id"].get<std::string>() + ".yaml";
  auto d = ParseYaml(c["yaml"].get<std::string>(), o);
  if (c.contains("error")) {
    if (d.ok())
      return {false, "accepted invalid YAML: " + Normalized(ToJson(*d, d->root())).dump()};
    return {true, ""};
  }
  if (!d.ok()) return {false, "refused: " + d.error().ToString()};
  if (!c.contains("json")) return {true, ""};
  json want = ExpectedJson(c["json"].get<std::string>());
  json got = Normalized(ToJson(*d, d->root()));
  if (got != want) return {false, "read " + got.dump() + ", want " + want.dump()};
  return {true, ""};
}

TEST_CASE("yaml conformance: the YAML test suite reads as its JSON, invalid cases are refused") {
  std::ifstream f(testing::SourceDir() + "/tests/core/yaml_suite/cases.json");
  REQUIRE(f);
  json cases = json::parse(f);
  REQUIRE(cases.size() > 350);
  int valid = 0, valid_ok = 0, invalid = 0, invalid_ok = 0;
  std::set<std::string> deviating;
  for (const json& c : cases) {
    std::string id = c["id"];
    bool is_invalid = c.contains("error");
    Outcome out = Check(c);
    (is_invalid ? invalid : valid) += 1;
    if (out.ok) {
      (is_invalid ? invalid_ok : valid_ok) += 1;
      CHECK_MESSAGE(!Deviations().contains(id),
                    (id + " (" + c["name"].get<std::string>() +
                     ") now reads right: take it off the deviation list"));
    } else {
      deviating.insert(id);
      CHECK_MESSAGE(Deviations().contains(id),
                    (id + " (" + c["name"].get<std::string>() + "): " + out.detail));
    }
  }
  MESSAGE("valid cases read right: " << valid_ok << "/" << valid << ", invalid cases refused: "
                                     << invalid_ok << "/" << invalid);
  for (const auto& [id, why] : Deviations())
    CHECK_MESSAGE(deviating.contains(id), (id + " is listed as a deviation but is not in the suite"
                                                " or reads right"));
}

Document Read(const std::string& text, ParseOptions o = {}) {
  o.origin = "example.yaml";
  auto d = ParseYaml(text, o);
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.error().ToString()));
  return std::move(*d);
}

json ReadJson(const std::string& text, ParseOptions o = {}) {
  Document d = Read(text, o);
  return Normalized(ToJson(d, d.root()));
}

TEST_CASE("yaml conformance: the specification's chapter 2 examples") {
  std::ifstream f(testing::SourceDir() + "/tests/core/yaml_suite/cases.json");
  json cases = json::parse(f);
  // 2.1-2.18 and 2.24-2.28 are in the suite with their JSON: all read right.
  int examples = 0;
  for (const json& c : cases) {
    if (!c["name"].get<std::string>().starts_with("Spec Example 2.")) continue;
    ++examples;
    Outcome out = Check(c);
    CHECK_MESSAGE(out.ok, (c["name"].get<std::string>() + ": " + out.detail));
  }
  CHECK(examples == 23);

  SUBCASE("2.11 mapping between sequences: a list as a key is keyed by its JSON text") {
    CHECK(ReadJson("? - Detroit Tigers\n  - Chicago cubs\n:\n  - 2001-07-23\n\n"
                   "? [ New York Yankees,\n    Atlanta Braves ]\n: [ 2001-07-02, 2001-08-12,\n"
                   "    2001-08-14 ]\n") ==
          json::parse(R"({"[\"Detroit Tigers\",\"Chicago cubs\"]": ["2001-07-23"],
                          "[\"New York Yankees\",\"Atlanta Braves\"]":
                            ["2001-07-02", "2001-08-12", "2001-08-14"]})"));
  }
  SUBCASE("2.19 integers") {
    CHECK(ReadJson("canonical: 12345\ndecimal: +12345\noctal: 0o14\nhexadecimal: 0xC\n") ==
          json::parse(R"({"canonical": 12345, "decimal": 12345, "octal": 12,
                          "hexadecimal": 12})"));
  }
  SUBCASE("2.20 floating point") {
    Document d = Read(
        "canonical: 1.23015e+3\nexponential: 12.3015e+02\nfixed: 1230.15\n"
        "negative infinity: -.inf\nnot a number: .nan\n");
    for (const char* k : {"canonical", "exponential", "fixed"}) {
      NodeId n = d.find(d.root(), k);
      REQUIRE(d.type(n) == Type::kFloat);
      CHECK(d.node(n).f == doctest::Approx(1230.15));
    }
    CHECK(d.node(d.find(d.root(), "negative infinity")).f == -INFINITY);
    CHECK(std::isnan(d.node(d.find(d.root(), "not a number")).f));
  }
  SUBCASE("2.21 miscellaneous") {
    CHECK(ReadJson("null:\nbooleans: [ true, false ]\nstring: '012345'\n") ==
          json::parse(R"({"null": null, "booleans": [true, false], "string": "012345"})"));
  }
  SUBCASE("2.22 timestamps stay text (the core schema has no timestamps)") {
    CHECK(ReadJson("canonical: 2001-12-15T02:59:43.1Z\niso8601: 2001-12-14t21:59:43.10-05:00\n"
                   "spaced: 2001-12-14 21:59:43.10 -5\ndate: 2002-12-14\n") ==
          json::parse(R"({"canonical": "2001-12-15T02:59:43.1Z",
                          "iso8601": "2001-12-14t21:59:43.10-05:00",
                          "spaced": "2001-12-14 21:59:43.10 -5", "date": "2002-12-14"})"));
  }
  SUBCASE("2.23 various explicit tags") {
    CHECK(ReadJson(
              "---\nnot-date: !!str 2002-04-28\n\npicture: !!binary |\n R0lGODlhDAAMAIQAAP//9/X\n"
              " 17unp5WZmZgAAAOfn515eXv\n\napplication specific tag: !something |\n"
              " The semantics of the tag\n above may be different for\n"
              " different documents.\n") == json::parse(R"({"not-date": "2002-04-28",
                          "picture": "R0lGODlhDAAMAIQAAP//9/X\n17unp5WZmZgAAAOfn515eXv\n",
                          "application specific tag": "!something The semantics of the tag\nabove may be different for\ndifferent documents.\n"})"));
  }
}

TEST_CASE("yaml conformance: a %YAML directive chooses the document's schema") {
  CHECK(ReadJson("%YAML 1.1\n---\na: yes\nb: 010\n") == json::parse(R"({"a": true, "b": 8})"));
  CHECK(ReadJson("a: yes\nb: 010\n") == json::parse(R"({"a": "yes", "b": 10})"));
  ParseOptions yaml11;
  yaml11.yaml_1_1 = true;
  CHECK(ReadJson("%YAML 1.2\n---\na: yes\n", yaml11) == json::parse(R"({"a": "yes"})"));
  CHECK(ReadJson("a: yes\n", yaml11) == json::parse(R"({"a": true})"));
  // Per document: the directive applies to the document it precedes.
  CHECK(ReadJson("%YAML 1.1\n---\na: on\n...\n---\na: on\n") ==
        json::parse(R"([{"a": true}, {"a": "on"}])"));
}

TEST_CASE("yaml conformance: an empty block scalar at the end of the input is empty") {
  // libfyaml 0.7.12 returns it as one NUL byte.
  CHECK(ReadJson("a: |\n") == json::parse(R"({"a": ""})"));
  CHECK(ReadJson("a: >\n") == json::parse(R"({"a": ""})"));
  CHECK(ReadJson("a: |+\n\n") == json::parse(R"({"a": "\n"})"));
  CHECK(ReadJson("- |\n- >\n") == json::parse(R"(["", ""])"));
}

TEST_CASE("yaml conformance: keys made of maps or lists cannot blow up") {
  // Each level's JSON text escapes the level inside: 2^n bytes from n levels (the fuzzer's).
  std::string nested;
  for (int i = 0; i < 40; ++i) nested += "? ";
  nested += "a\n";
  ParseOptions o;
  o.origin = "keys.yaml";
  auto d = ParseYaml(nested, o);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().message == "maps or lists used as mapping keys make more than 1 MiB of key text");
  CHECK(d.error().where.line == 1);
  // A few levels read as before.
  CHECK(ReadJson("? ? a\n") == json::parse(R"({"{\"a\":null}": null})"));
}

TEST_CASE("yaml conformance: anchors") {
  // An anchored key used as a value keeps its type.
  CHECK(ReadJson("&k 1: a\nb: *k\n&t true: x\nc: *t\n") ==
        json::parse(R"({"1": "a", "b": 1, "true": "x", "c": true})"));
  // The most recent definition of a name wins, even one inside the anchored container.
  CHECK(ReadJson("x: &a {b: &a 1}\ny: *a\n") == json::parse(R"({"x": {"b": 1}, "y": 1})"));
  CHECK(ReadJson("x: &a 1\ny: &a [2]\nz: *a\n") == json::parse(R"({"x": 1, "y": [2], "z": [2]})"));
}

TEST_CASE("yaml conformance: a node's position is its first property") {
  Document d = Read("a: &x !!str 1\nb: !t\n  k: v\nc: *x\nd:\n");
  auto at = [&](const char* k) {
    const Node& n = d.node(d.find(d.root(), k));
    return std::to_string(n.line) + ":" + std::to_string(n.column);
  };
  CHECK(at("a") == "1:4");
  CHECK(at("b") == "2:4");
  CHECK(at("c") == "1:4");  // an alias is the anchored node
  CHECK(d.type(d.find(d.root(), "d")) == Type::kNull);
}

}  // namespace
}  // namespace drift
