// ParseYaml's block-subset reader (core/parse_yaml.cc): what it reads, libfyaml reads the same,
// node for node and position for position; what it does not read, it hands to libfyaml.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>

#include "core/parse.h"
#include "tests/testing.h"

namespace drift {
namespace {

using json = nlohmann::json;

ParseOptions Options(bool yaml11 = false) {
  ParseOptions o;
  o.origin = "block.yaml";
  o.yaml_1_1 = yaml11;
  return o;
}

// The subset reader reads `text`, exactly as libfyaml does; returns its document.
Document ReadsLikeLibfyaml(const std::string& text, bool yaml11 = false) {
  auto fast = ParseYamlBlockSubset(text, Options(yaml11));
  REQUIRE_MESSAGE(fast.has_value(), ("handed to libfyaml: " + text));
  auto lib = ParseYamlLibfyaml(text, Options(yaml11));
  REQUIRE_MESSAGE(lib.ok(), (lib.ok() ? "" : lib.error().ToString()));
  CHECK_MESSAGE(SameReading(*fast, fast->root(), *lib, lib->root()),
                (text + "\nsubset:   " + ToJson(*fast, fast->root()).dump() +
                 "\nlibfyaml: " + ToJson(*lib, lib->root()).dump()));
  return std::move(*fast);
}

json AsJson(const Document& d) { return json::parse(ToJson(d, d.root()).dump()); }

// Line and column of the node at a path of keys and indices.
std::pair<uint32_t, uint32_t> PosOf(const Document& d, std::initializer_list<json> path) {
  NodeId n = d.root();
  for (const json& step : path) {
    auto kids = d.children(n);
    n = kNoNode;
    for (size_t i = 0; i < kids.size(); ++i)
      if ((step.is_string() && d.key(kids[i].key) == step.get<std::string>()) ||
          (step.is_number() && i == step.get<size_t>()))
        n = kids[i].value;
    REQUIRE(n != kNoNode);
  }
  return {d.node(n).line, d.node(n).column};
}

TEST_CASE("yaml block subset: maps, lists and scalars read as libfyaml reads them") {
  Document d = ReadsLikeLibfyaml(
      "# a comment\n"
      "service:\n"
      "  name: api   # trailing comment\n"
      "  replicas: 3\n"
      "  ratio: 0.5\n"
      "  on: true\n"
      "  off: ~\n"
      "  url: http://db:5432/x?a=b#frag\n"
      "  'single': 'it''s'\n"
      "  \"double\": \"tab\\there \\u00e9 # not a comment\"\n"
      "  ports:\n"
      "  - 80\n"
      "  - 443\n"
      "  nested:\n"
      "      - - a\n"
      "        - b\n"
      "      - key: 1\n"
      "        other: -2\n"
      "      -\n"
      "        deep: x\n"
      "  empty_list: []\n"
      "  empty_map: {}\n"
      "  flow: [a b, \"c,d\", 'e', -1, {k: v, 'q': [x, {}]}, http://h:1/p]  # c\n"
      "    # a deeper comment line is only a comment\n"
      "  later:\n"
      "    on the next line\n"
      "  wrapped: a long line\n"
      "     wrapped by a writer\n"
      "     --flag -5\n"
      "\n"
      "   after a blank line  \n"
      "  script: |   # a comment\n"
      "\n"
      "    echo 1\n"
      "\n"
      "      indented\n"
      "    # not a comment\n"
      "\n"
      "  strip: |-\n"
      "   x\n"
      "  # a comment\n"
      "top  : 1\n"
      "list:\n"
      "- |\n"
      "  item\n");
  CHECK(AsJson(d) == json::parse(R"({"service": {"name": "api", "replicas": 3, "ratio": 0.5,
      "on": true, "off": null, "url": "http://db:5432/x?a=b#frag", "single": "it's",
      "double": "tab\there \u00e9 # not a comment", "ports": [80, 443],
      "nested": [["a", "b"], {"key": 1, "other": -2}, {"deep": "x"}],
      "empty_list": [], "empty_map": {},
      "flow": ["a b", "c,d", "e", -1, {"k": "v", "q": ["x", {}]}, "http://h:1/p"],
      "later": "on the next line",
      "wrapped": "a long line wrapped by a writer --flag -5\nafter a blank line",
      "script": "\necho 1\n\n  indented\n# not a comment\n", "strip": "x"},
      "top": 1, "list": ["item\n"]})"));
  CHECK(PosOf(d, {"service"}) == std::pair<uint32_t, uint32_t>{3, 3});
  CHECK(PosOf(d, {"service", "name"}) == std::pair<uint32_t, uint32_t>{3, 9});
  CHECK(PosOf(d, {"service", "double"}) == std::pair<uint32_t, uint32_t>{10, 13});
  CHECK(PosOf(d, {"service", "ports", 1}) == std::pair<uint32_t, uint32_t>{13, 5});
  CHECK(PosOf(d, {"service", "nested", 1, "other"}) == std::pair<uint32_t, uint32_t>{18, 16});
  CHECK(PosOf(d, {"service", "flow", 4, "q", 1}) == std::pair<uint32_t, uint32_t>{23, 47});
  CHECK(PosOf(d, {"service", "later"}) == std::pair<uint32_t, uint32_t>{26, 5});
  CHECK(PosOf(d, {"service", "script"}) == std::pair<uint32_t, uint32_t>{32, 11});
  CHECK(PosOf(d, {"list", 0}) == std::pair<uint32_t, uint32_t>{44, 3});
}

TEST_CASE("yaml block subset: empty values, documents, duplicates, merges and schemas") {
  // An empty value sits just after its key, as libfyaml places it.
  Document d = ReadsLikeLibfyaml("a:\nb:   # c\nc:\n  d:\n\"e\":\ne2 :\n");
  CHECK(AsJson(d) == json::parse(R"({"a": null, "b": null, "c": {"d": null}, "e": null,
                                     "e2": null})"));
  CHECK(PosOf(d, {"a"}) == std::pair<uint32_t, uint32_t>{1, 3});
  CHECK(PosOf(d, {"c", "d"}) == std::pair<uint32_t, uint32_t>{4, 5});

  // Documents: a stream of several is a list of them.
  d = ReadsLikeLibfyaml("# head\n---\na: 1\n--- # second\n- x\n---\nb:\n");
  CHECK(AsJson(d) == json::parse(R"([{"a": 1}, ["x"], {"b": null}])"));

  // The last of duplicate keys wins, at the first one's place; << merges a map.
  d = ReadsLikeLibfyaml("k: 1\nj: 2\nk: 3\nm:\n  <<:\n    x: 1\n    y: 1\n  y: 2\n");
  CHECK(AsJson(d) == json::parse(R"({"k": 3, "j": 2, "m": {"x": 1, "y": 2}})"));
  CHECK(ToJson(d, d.root()).dump() == R"({"k":3,"j":2,"m":{"x":1,"y":2}})");

  // YAML 1.1 when the source says so.
  CHECK(AsJson(ReadsLikeLibfyaml("on: yes\nmode: 0755\n", true)) ==
        json::parse(R"({"on": true, "mode": 493})"));
  CHECK(AsJson(ReadsLikeLibfyaml("on: yes\nmode: 0755\n")) ==
        json::parse(R"({"on": "yes", "mode": 755})"));

  // Columns count characters, not bytes.
  d = ReadsLikeLibfyaml("ключ: значение\nk: [] \n");
  CHECK(PosOf(d, {"ключ"}) == std::pair<uint32_t, uint32_t>{1, 7});
  // No final line break; a comment-only stream is null.
  CHECK(AsJson(ReadsLikeLibfyaml("- a\n- b")) == json::parse(R"(["a", "b"])"));
  CHECK(AsJson(ReadsLikeLibfyaml("# nothing\n\n")) == json());
}

TEST_CASE("yaml block subset: anchors, aliases and merge keys") {
  Document d = ReadsLikeLibfyaml(
      "base: &base\n"
      "  image: nginx\n"
      "  ports: &ports [80, 443]\n"
      "list: &list\n"
      "- &one 1\n"
      "- &a:b x\n"  // anchor names may hold ':'
      "svc:\n"
      "  <<: *base\n"
      "  image: nginx:1.25  # wins over the merged one\n"
      "  again: *ports\n"
      "  items: *list\n"
      "  one: *one\n"
      "  script: &s |\n"
      "    run\n"
      "  more:\n"
      "    - &m\n"
      "      k: v\n"
      "    - *m\n"
      "    - *s\n");
  CHECK(AsJson(d) == json::parse(R"({"base": {"image": "nginx", "ports": [80, 443]},
      "list": [1, "x"], "svc": {"image": "nginx:1.25", "ports": [80, 443], "again": [80, 443],
      "items": [1, "x"], "one": 1, "script": "run\n", "more": [{"k": "v"}, {"k": "v"}, "run\n"]}})"));
  CHECK(PosOf(d, {"base"}) == std::pair<uint32_t, uint32_t>{1, 7});
  CHECK(PosOf(d, {"base", "ports"}) == std::pair<uint32_t, uint32_t>{3, 10});
  CHECK(PosOf(d, {"svc", "more", 0}) == std::pair<uint32_t, uint32_t>{16, 7});
  // An alias to no anchor is libfyaml's error, and so is a bomb.
  CHECK_FALSE(ParseYamlBlockSubset("a: *nothing\n", Options()).has_value());
  CHECK(ParseYaml("a: *nothing\n", Options()).error().ToString() ==
        "block.yaml:1:4: YAML alias *nothing refers to no anchor");
  ParseOptions small = Options();
  small.max_alias_nodes = 10;
  const std::string bomb = "a: &a [1, 2, 3, 4, 5]\nb:\n- *a\n- *a\n- *a\n";
  CHECK(ParseYamlBlockSubset(bomb, Options()).has_value());
  CHECK_FALSE(ParseYamlBlockSubset(bomb, small).has_value());
  CHECK(ParseYaml(bomb, small).error().ToString() ==
        "block.yaml:4:3: YAML aliases expand to more than 10 nodes (an alias bomb?)");
}

TEST_CASE("yaml block subset: anything else goes to libfyaml, which reads it as before") {
  // Each of these is valid YAML outside the subset.
  for (const char* text : {"a: |+\n  text\n\n",
                           "a: |2\n   text\n",
                           "a: |\n  text",
                           "a: |\n  x\ty\n",
                           "a: |\nb: 1\n",
                           "a: >\n  text\n",
                           "a: !!str 1\n",
                           "a: &x\nb: 1\n",
                           "- &a k: v\n",
                           "x: &x 1\na: [*x]\n",
                           "a: [1,\n  2]\n",
                           "a: {b}\n",
                           "a: [b, ]\n",
                           "a: \"multi\n  line\"\n",
                           "a: b\n  - c\n",
                           "a: b\n  c # d\n",
                           "a:\tb\n",
                           "a: b\r\n",
                           "a: 1\n...\n",
                           "%YAML 1.2\n---\na: 1\n",
                           "? a\n: b\n",
                           "---\n---\na: 1\n",
                           "scalar\n",
                           "-\n- a\n",
                           "\xEF\xBB\xBF"
                           "a: 1\n",
                           "a: b\xC2\x85"
                           "c\n",
                           "--- a\n",
                           "[a, b]: c\n"}) {
    std::string shown = text;
    CAPTURE(shown);
    CHECK_FALSE(ParseYamlBlockSubset(text, Options()).has_value());
    auto lib = ParseYamlLibfyaml(text, Options());
    auto both = ParseYaml(text, Options());
    REQUIRE(lib.ok());
    REQUIRE(both.ok());
    CHECK(SameReading(*lib, lib->root(), *both, both->root()));
  }

  // Errors are libfyaml's, with its positions and words.
  for (const char* text :
       {"a: b: c\n", "a:\n  b: 1\n c: 2\n", "- a\nb: 1\n", "a: 1\n  b: 2\n", "a: - b\n",
        "\"a\"x: 1\n", "k: 'open\n", "a: 1\n\tb: 2\n", "a: |\n   \n  x\n", "a: &x &y 1\n",
        "a: b\n  c: d\n", "a: b\n  # c\n  d\n", "a: &x\xC2\xA0y 1\nb: 2\n"}) {
    std::string shown = text;
    CAPTURE(shown);
    CHECK_FALSE(ParseYamlBlockSubset(text, Options()).has_value());
    auto lib = ParseYamlLibfyaml(text, Options());
    auto both = ParseYaml(text, Options());
    REQUIRE_FALSE(lib.ok());
    REQUIRE_FALSE(both.ok());
    CHECK(both.error().ToString() == lib.error().ToString());
  }
}

TEST_CASE("yaml block subset: flow collections nested past the depth limit on one line") {
  // The subset reader's first pass over a flow collection builds nothing: it keeps the limit
  // itself rather than recursing 100,000 deep.
  const std::string deep = "a: " + std::string(100000, '[') + "\n";
  CHECK_FALSE(ParseYamlBlockSubset(deep, Options()).has_value());
  auto d = ParseYaml(deep, Options());
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().ToString().find("nesting deeper than 512 levels") != std::string::npos);
  // Within the limit, it reads them.
  std::string nested = "a: " + std::string(500, '[') + std::string(500, ']') + "\n";
  CHECK(ParseYamlBlockSubset(nested, Options()).has_value());
}

TEST_CASE("yaml block subset: every YAML file in the repository and the suite reads the same") {
  namespace fs = std::filesystem;
  int files = 0, read = 0;
  auto check = [&](const std::string& name, const std::string& text) {
    for (bool yaml11 : {false, true}) {
      auto fast = ParseYamlBlockSubset(text, Options(yaml11));
      if (!fast) continue;
      auto lib = ParseYamlLibfyaml(text, Options(yaml11));
      CHECK_MESSAGE(lib.ok(), name);
      if (lib.ok()) CHECK_MESSAGE(SameReading(*fast, fast->root(), *lib, lib->root()), name);
    }
  };
  for (const char* dir : {"config", "tests", "deploy", "docs"}) {
    for (const auto& e : fs::recursive_directory_iterator(testing::SourceDir() + "/" + dir)) {
      auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".yaml" && ext != ".yml")) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      files += 2;
      read += ParseYamlBlockSubset(ss.str(), Options()).has_value() * 2;
      check(e.path().string(), ss.str());
    }
  }
  std::ifstream f(testing::SourceDir() + "/tests/core/yaml_suite/cases.json");
  for (const json& c : json::parse(f)) check(c["id"].get<std::string>(), c["yaml"]);
  MESSAGE("the subset reader read " << read / 2 << " of the repository's " << files / 2
                                    << " YAML files");
  // The repository's configs are mostly in the subset (the others have block scalars and
  // anchors).
  CHECK(read > files / 2);
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

// Random small streams made of the pieces block YAML is written with (keys, items, scalars
// of every kind, comments, markers, tabs, CRs, at random indentations, most of them invalid
// somewhere): whatever the subset reader accepts, libfyaml reads the same.
TEST_CASE("yaml block subset: random block-shaped streams read the same as libfyaml reads them") {
  static const char* kScalars[] = {"a",
                                   "b",
                                   "key",
                                   "-1",
                                   "1.5",
                                   "true",
                                   "null",
                                   "~",
                                   "x y",
                                   "\"q\"",
                                   "'s''t'",
                                   "\"e\\tx\"",
                                   "a:b",
                                   "a#b",
                                   "é",
                                   "ключ",
                                   "[]",
                                   "{}",
                                   "[a, b]",
                                   "{a: 1, b: [c]}",
                                   "[ \"x\" ,y ]",
                                   "{\"k\": v}",
                                   "|",
                                   "|-",
                                   "|+",
                                   ">",
                                   "&a x",
                                   "*a",
                                   "!t x",
                                   "- ",
                                   "-",
                                   "",
                                   " ",
                                   "#c",
                                   "---",
                                   "...",
                                   "a: b",
                                   "? x",
                                   "\"a",
                                   "'",
                                   "[a",
                                   "{a: }",
                                   "<<",
                                   "- a",
                                   "http://x:1",
                                   "-x",
                                   "&a",
                                   "&b",
                                   "*b",
                                   "&a:b x",
                                   "*a:b",
                                   "&c {k: v}",
                                   "&a |",
                                   "&b [x]",
                                   "&a \"q\"",
                                   "*a # c",
                                   "*a b"};
  constexpr size_t kKeys = 20;  // the first ones make keys
  std::mt19937 rng(20261201);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto scalar = [&](size_t n) { return std::string(kScalars[pick(n)]); };
  const size_t all = std::size(kScalars);
  int engaged = 0;
  for (int doc = 0; doc < 50000; ++doc) {
    std::string text;
    for (size_t l = 0, lines = 1 + pick(8); l < lines; ++l) {
      static const int kIndents[] = {0, 0, 0, 1, 2, 2, 2, 3, 4, 4, 6, 8};
      std::string line(kIndents[pick(std::size(kIndents))], ' ');
      size_t k = pick(100);
      if (k < 40) {
        static const char* kAfter[] = {"", " ", " "};
        size_t a = pick(3);
        line += (pick(21) == 20 ? std::string("<<") : scalar(kKeys)) + ":" + kAfter[a] +
                (a == 2 ? scalar(all) : "");
      } else if (k < 65) {
        size_t a = pick(3);
        line += "-";
        if (a == 1) line += " " + scalar(all);
        if (a == 2) line += " " + scalar(10) + ": " + scalar(all);
      } else if (k < 75) {
        line += scalar(all);
      } else if (k < 80) {
        line += "# comment";
      } else if (k < 85) {
        line.clear();
      } else if (k < 90) {
        static const char* kMarkers[] = {"---", "--- # c", "...", "%YAML 1.2"};
        line = kMarkers[pick(4)];
      } else {
        static const char* kText[] = {"text", "more text", "  deeper", "# not"};
        line += kText[pick(4)];
      }
      if (pick(20) == 0) {
        static const char* kTails[] = {" ", "\t", " # c", "\r"};
        line += kTails[pick(4)];
      }
      text += line + (l + 1 < lines || pick(3) != 0 ? "\n" : "");
    }
    for (bool yaml11 : {false, true}) {
      auto fast = ParseYamlBlockSubset(text, Options(yaml11));
      if (!fast) continue;
      ++engaged;
      auto lib = ParseYamlLibfyaml(text, Options(yaml11));
      REQUIRE_MESSAGE(lib.ok(), text);
      REQUIRE_MESSAGE(SameReading(*fast, fast->root(), *lib, lib->root()),
                      (text + "\nsubset:   " + ToJson(*fast, fast->root()).dump() +
                       "\nlibfyaml: " + ToJson(*lib, lib->root()).dump()));
    }
  }
  MESSAGE("the subset reader read " << engaged << " of 100,000 (stream, schema) pairs");
  CHECK(engaged > 8000);
}

}  // namespace
}  // namespace drift
