#include <nlohmann/json.hpp>

#include "core/parse.h"
#include "tests/testing.h"

namespace drift {
namespace {

using testing::Json;
using testing::Yaml;

std::string AsJson(const Document& d) { return DumpJson(ToJson(d, d.root())); }

Error YamlError(const std::string& text, ParseOptions o = {}) {
  o.origin = "bad.yaml";
  auto d = ParseYaml(text, o);
  REQUIRE_FALSE(d.ok());
  return d.error();
}

TEST_CASE("yaml: plain scalars resolve with the YAML 1.2 core schema") {
  Document d = Yaml(
      "a: 1\nb: -2\nc: 1.5\nd: true\ne: False\nf: null\ng: ~\nh:\ni: yes\nj: '1'\nk: \"true\"\n"
      "l: 0x1F\nm: 0o17\nn: 1e3\no: .inf\np: 012\nq: v1.2\nr: 99999999999999999999\n");
  CHECK(AsJson(d) ==
        R"({"a":1,"b":-2,"c":1.5,"d":true,"e":false,"f":null,"g":null,"h":null,"i":"yes",)"
        R"("j":"1","k":"true","l":31,"m":15,"n":1000.0,"o":".inf","p":12,"q":"v1.2",)"
        R"("r":1e+20})");
  CHECK(d.type(d.find(d.root(), "o")) == Type::kFloat);
}

TEST_CASE("yaml: a source may ask for YAML 1.1 booleans") {
  ParseOptions o;
  o.yaml_1_1 = true;
  auto d = ParseYaml("a: yes\nb: off\nc: On\nd: y\ne: 010\n", o);
  REQUIRE(d.ok());
  CHECK(AsJson(*d) == R"({"a":true,"b":false,"c":true,"d":"y","e":8})");
}

TEST_CASE("yaml: positions are 1-based line and column") {
  Document d = Yaml("top:\n  inner:\n    - x\n    - {k: 5}\n");
  NodeId inner = d.find(d.find(d.root(), "top"), "inner");
  NodeId second = d.children(inner)[1].value;
  NodeId k = d.find(second, "k");
  CHECK(d.node(k).line == 4);
  CHECK(d.node(k).column == 11);
}

TEST_CASE("yaml: multi-document streams become a list") {
  CHECK(AsJson(Yaml("a: 1\n---\nb: 2\n")) == R"([{"a":1},{"b":2}])");
  CHECK(AsJson(Yaml("a: 1\n")) == R"({"a":1})");
  CHECK(AsJson(Yaml("")) == "null");
}

TEST_CASE("yaml: anchors, aliases and merge keys") {
  Document d = Yaml(
      "base: &b {x: 1, y: 2}\n"
      "other: &o {z: 3}\n"
      "a: {<<: *b, y: 20}\n"
      "c:\n  <<: [*b, *o]\n  w: 0\n"
      "list: [*b, *b]\n");
  CHECK(AsJson(d) ==
        R"({"base":{"x":1,"y":2},"other":{"z":3},"a":{"x":1,"y":20},)"
        R"("c":{"x":1,"y":2,"z":3,"w":0},"list":[{"x":1,"y":2},{"x":1,"y":2}]})");
}

TEST_CASE("yaml: duplicate keys keep the last value at the first place") {
  CHECK(AsJson(Yaml("a: 1\nb: 2\na: 3\n")) == R"({"a":3,"b":2})");
}

TEST_CASE("yaml: tags") {
  CHECK(AsJson(Yaml("a: !Ref vpc\nb: !GetAtt vpc\nc: !!str 12\nd: !!float 3\n"
                    "e: !reference {x: 1}\nf: !!int \"7\"\n")) ==
        R"({"a":"!Ref vpc","b":"!GetAtt vpc","c":"12","d":3.0,"e":{"x":1},"f":7})");
  Error e = YamlError("a: !!int nope\n");
  CHECK(e.ToString() == "bad.yaml:1:4: 'nope' is not a valid !!int");
}

TEST_CASE("yaml: an alias bomb is an error, not an OOM") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c, ++prev) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
  }
  Error e = YamlError(bomb);
  CHECK(e.message.find("alias bomb") != std::string::npos);
  CHECK(e.where.line > 1);
}

TEST_CASE("yaml: nesting deeper than the limit is an error") {
  ParseOptions o;
  o.max_depth = 50;
  Error e = YamlError(std::string(60, '[') + std::string(60, ']'), o);
  CHECK(e.message == "nesting deeper than 50 levels");
  CHECK(e.where.line == 1);
  CHECK(e.where.column == 51);
}

TEST_CASE("yaml: malformed input names file, line, column and cause") {
  Error e = YamlError("a: 1\nb: [1, 2\nc: 3\n");
  CHECK(e.where.file == "bad.yaml");
  CHECK(e.ToString() == "bad.yaml:2:4: YAML parse error: this '[' is never closed");
  Error e2 = YamlError("a: b: c\n");
  CHECK(e2.ToString() ==
        "bad.yaml:1:5: YAML parse error: a second 'key: value' on the same line (a value "
        "containing ': ' must be quoted)");
  Error e3 = YamlError("x: *nowhere\n");
  CHECK(e3.ToString() == "bad.yaml:1:4: YAML alias *nowhere refers to no anchor");
}

TEST_CASE("yaml: the mistakes people make are named in words, at the place to fix") {
  auto msg = [](const std::string& text) { return YamlError(text).ToString(); };
  CHECK(msg("a:\n\tb: 1\n") ==
        "bad.yaml:2:1: YAML parse error: a tab is used for indentation (YAML indents with "
        "spaces only)");
  CHECK(msg("a: {b: 1\n") == "bad.yaml:1:4: YAML parse error: this '{' is never closed");
  CHECK(msg("a: [b, 1\n\n") == "bad.yaml:1:4: YAML parse error: this '[' is never closed");
  CHECK(msg("a: {b: 1\nc: 2}\n") == "bad.yaml:2:2: YAML parse error: missing comma in flow mapping");
  CHECK(msg("a: 'x\n") == "bad.yaml:1:5: YAML parse error: single-quoted scalar without closing quote");
  CHECK(msg("a: \"x\n") == "bad.yaml:1:5: YAML parse error: double-quoted scalar without closing quote");
  CHECK(msg("a: 1\n b: 2\n") ==
        "bad.yaml:1:4: YAML parse error: a key spans several lines (is the line indented wrong?)");
  CHECK(msg("- a\nb: 1\n") ==
        "bad.yaml:2:1: YAML parse error: this line is neither an item of the list above ('- ') "
        "nor indented less than it");
  CHECK(msg("a:\n  b: 1\n c: 2\n") == "bad.yaml:3:2: YAML parse error: invalid indentation in mapping");
  CHECK(msg("a: [1, 2]]\n") == "bad.yaml:1:10: YAML parse error: flow sequence with invalid extra closing bracket");
  CHECK(msg("a: \"\\q\"\n") == "bad.yaml:1:5: YAML parse error: invalid escape 'q' in double-quoted string");
  CHECK(msg("key: value # ok\nother: @x\n") == "bad.yaml:2:8: YAML parse error: plain scalar cannot start with '@'");
  CHECK(msg("%YAML 1.2\n%YAML 1.2\n---\na\n") == "bad.yaml:2:7: YAML parse error: duplicate version directive");
  CHECK(msg("a: !!int x\n") == "bad.yaml:1:4: 'x' is not a valid !!int");
  CHECK(msg("a: &x 1\nb: *y\n") == "bad.yaml:2:4: YAML alias *y refers to no anchor");
}

TEST_CASE("yaml: UTF-16 and UTF-32 are read, invalid UTF-8 is refused where it is") {
  auto utf16 = [](std::u16string_view s, bool big, bool bom) {
    std::string out;
    if (bom) out += big ? "\xFE\xFF" : "\xFF\xFE";
    for (char16_t c : s) {
      char hi = static_cast<char>(c >> 8), lo = static_cast<char>(c & 0xFF);
      out += big ? hi : lo;
      out += big ? lo : hi;
    }
    return out;
  };
  for (bool big : {false, true})
    for (bool bom : {false, true}) {
      auto d = ParseYaml(utf16(u"a: caf\u00e9\nb: [1, \U0001F600]\n", big, bom), {});
      REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.error().ToString()));
      CHECK(AsJson(*d) == "{\"a\":\"caf\u00e9\",\"b\":[1,\"\U0001F600\"]}");
      CHECK(d->node(d->find(d->root(), "b")).line == 2);
    }
  std::string utf32le("\xFF\xFE\0\0a\0\0\0:\0\0\0 \0\0\0" "1\0\0\0", 20);
  auto d32 = ParseYaml(utf32le, {});
  REQUIRE(d32.ok());
  CHECK(AsJson(*d32) == R"({"a":1})");
  // libfyaml 0.7.12 loops forever on this (found by the fuzzer): refused before it reads it.
  CHECK(YamlError(std::string("%YA\373LK1.\n\0", 10)).ToString() ==
        "bad.yaml:1:4: YAML parse error: the text is not valid UTF-8 (byte 0xFB)");
  // libfyaml 0.7.12 crashes destroying a parser that failed on these (found by the fuzzer).
  CHECK(YamlError("? a:\t::b\n").ToString() ==
        "bad.yaml:1:5: YAML parse error: a tab is used for indentation (YAML indents with "
        "spaces only)");
  CHECK(YamlError(std::string("-\n  ? ULL:\t\0\0\0005OTUREFFY  \n\n", 27)).where.line == 2);
  // A NUL ends libfyaml's input early and silently (b would be missing); YAML allows no
  // control characters but tab, LF and CR.
  CHECK(YamlError(std::string("a: x\0y\nb: 2\n", 12)).ToString() ==
        "bad.yaml:1:5: YAML parse error: a control character (0x00) is not allowed in YAML");
  CHECK(YamlError("a: 1\nb: \x01\n").ToString() ==
        "bad.yaml:2:4: YAML parse error: a control character (0x01) is not allowed in YAML");
  CHECK(YamlError("a: \xc2\x9b\n").ToString() ==
        "bad.yaml:1:4: YAML parse error: a control character (U+009B) is not allowed in YAML");
  CHECK(AsJson(testing::Yaml("a: \"x\ty\"\r\nb: \xc2\x85\xc2\xa0\n")) ==
        "{\"a\":\"x\\ty\",\"b\":\"\xc2\x85\xc2\xa0\"}");
  CHECK(YamlError("a: ok\nb: caf\xc3\xa9 \xff\n").ToString() ==
        "bad.yaml:2:9: YAML parse error: the text is not valid UTF-8 (byte 0xFF)");
  CHECK(YamlError("a: \xed\xa0\x80\n").ToString() ==
        "bad.yaml:1:4: YAML parse error: the text is not valid UTF-8 (byte 0xED)");
  // The check reads 16 bytes at a time: a bad byte is found at every place in a block, after
  // text that is all allowed (tab, CR, LF included) and after non-ASCII text.
  for (std::string lead : {"", "k: caf\xc3\xa9\n", "k: \"\t\"\r\n"}) {
    for (size_t at = 0; at < 40; ++at) {
      for (char bad : {'\0', '\x1f', '\x7f'}) {
        std::string text = lead + "v: " + std::string(at, 'x') + bad + std::string(40, 'y') + "\n";
        Error e = YamlError(text);
        CAPTURE(at);
        CHECK(e.where.line == (lead.empty() ? 1u : 2u));
        CHECK(e.where.column == 4 + at);
        CHECK(e.message.find("control character") != std::string::npos);
      }
    }
  }
  for (size_t at = 0; at < 40; ++at)  // and a C1 control after a run of ASCII
    CHECK(YamlError("v: " + std::string(at, 'x') + "\xc2\x80\n").where.column == 4 + at);
  CHECK(AsJson(testing::Yaml("a: " + std::string(37, 'x') + "\t\r\nb: \xc3\xa9" +
                             std::string(33, 'z') + "\n")) ==
        "{\"a\":\"" + std::string(37, 'x') + "\",\"b\":\"\xc3\xa9" + std::string(33, 'z') + "\"}");
}

TEST_CASE("yaml: every escape of a one-line double-quoted scalar reads as libfyaml reads it") {
  // drift decodes one-line double-quoted scalars itself; a scalar continued after an escaped
  // line break ("\<LF>  ...") is left to libfyaml: both must give YAML's values.
  std::string escapes = R"(\0\a\b\t\n\v\f\r\e\ \"\/\\\N\_\L\P\x41\u00e9\U0001F600)";
  static constexpr char kWant[] =
      "\0\a\b\t\n\v\f\r\x1b \"/\\\xc2\x85\xc2\xa0\xe2\x80\xa8\xe2\x80\xa9"
      "A\xc3\xa9\xf0\x9f\x98\x80";
  std::string want(kWant, sizeof kWant - 1);
  Document d = Yaml("one: \"" + escapes + "\"\nlibfyaml: \"\\\n  " + escapes + "\"\n");
  CHECK(d.str(d.find(d.root(), "one")) == want);
  CHECK(d.str(d.find(d.root(), "libfyaml")) == want);
}

TEST_CASE("yaml: literal block scalars read from their lines keep YAML's chomping and indentation") {
  // drift reads the common literal (`|`) from its lines; these are the forms around it.
  struct Case {
    std::string yaml, value;
  };
  for (const Case& c : std::vector<Case>{
           {"k: |\n  a\n   b\n\n  c\n\n\nn: 1\n", "a\n b\n\nc\n"},           // clip
           {"k: |-\n  a\n\n\nn: 1\n", "a"},                                   // strip
           {"k: |+\n  a\n\n\nn: 1\n", "a\n\n\n"},                              // keep
           {"k: |+\n  a\n", "a\n"},                                             // keep at the end
           {"k: |\n\n  \n  a\n", "\n\na\n"},                                     // leading empty lines
           {"k: |\n  a\n   \n", "a\n \n"},                                       // a line of blanks
           {"k: |\n  a\n   ", "a\n \n"},                                          // ... at the very end
           {"k: |\n  a\n  ", "a\n"},                                               // indentation only
           {"k: |  # a | comment\n  a\n", "a\n"},                                // comment after '|'
           {"k: |\n  # not a comment\n", "# not a comment\n"},                   // content
           {"k: |\n    a\n  # a comment\n", "a\n"},                              // less indented
           {"k: &a|b |\n  x\n", "x\n"},                                           // '|' in an anchor
           {"\"k|\": !!str |\n  x\n", "x\n"},                                      // ... in a key
           {"k:\n  |\n   x\n", "x\n"},                                             // header on its own line
           {"k: |2\n    a\n   b\n", "  a\n b\n"},                                // explicit indentation
           {"k: |\n  a\tb\r\n", "a\tb\n"},                                        // tab and CRLF
           {"k: |\n  a\n\n  ", "a\n"},                                              // blank line then EOF
           // A lone CR ends a line: the '|' in the comment before it is not the header.
           {"k: # | #\r  |-\n   x\n", "x"},
           {"k: #|+ #\r  |\n   x\n\n", "x\n"},
           {"k: # | #\r  |1\n    x\n", "   x\n"},
       }) {
    CAPTURE(c.yaml);
    auto d = ParseYaml(c.yaml, {});
    REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.error().ToString()));
    NodeId k = d->find(d->root(), c.yaml[0] == '"' ? "k|" : "k");
    REQUIRE(k != kNoNode);
    CHECK(d->scalar_text(k) == c.value);
  }
  // Where libfyaml 0.7.12 drops the last line break or the last line of blanks, the spec's
  // value (PyYAML's too).
  CHECK(Yaml(" |\n a\n  b\n").scalar_text(Yaml(" |\n a\n  b\n").root()) == "a\n b\n");
  CHECK(Yaml("! |\n  a\n   \n").scalar_text(Yaml("! |\n  a\n   \n").root()) == "a\n \n");
  // After a %YAML 1.1 document, libfyaml still reads NEL as a line break (the next document
  // has no directive): read as libfyaml reads it.
  CHECK(AsJson(Yaml("%YAML 1.1\n--- a\n...\n---\nk: |\n  x\xc2\x85  y\n")) ==
        R"(["a",{"k":"x\ny\n"}])");
  // In a list, and the node's place is its '|'.
  Document d = Yaml("- |\n  one\n- |-\n  two\n");
  CHECK(AsJson(d) == R"(["one\n","two"])");
  CHECK(d.node(d.children(d.root())[1].value).column == 3);
}

TEST_CASE("yaml and json: every truncation of a valid document parses or errors, never crashes") {
  std::string y = "a: {b: [1, 2, {c: \"x\\ny\"}], d: &r 'q'}\ne: *r\nf: !T 3\n";
  auto whole = ParseYaml(y, {});
  REQUIRE(whole.ok());
  CHECK(DumpJson(ToJson(*whole, whole->root())) ==
        R"({"a":{"b":[1,2,{"c":"x\ny"}],"d":"q"},"e":"q","f":"!T 3"})");
  size_t errors = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    std::string cut = y.substr(0, i);
    auto r = ParseYaml(cut, {});
    if (r.ok()) continue;
    ++errors;
    // An error says where, inside what was read (its end included: the end of a last line
    // without a newline is on the line after it).
    CHECK(r.error().where.line >= 1);
    CHECK(r.error().where.line <= std::count(cut.begin(), cut.end(), '\n') + 2);
    CHECK_FALSE(r.error().message.empty());
  }
  // Cut inside the flow mapping (from "a: {" up to its "}") nothing parses.
  CHECK(errors >= y.find('}', y.find(']')) - y.find('{'));
  std::string j = R"({"a": {"b": [1, 2.5, {"c": "x\ny"}], "d": null}, "e": true})";
  for (size_t i = 0; i <= j.size(); ++i) {
    auto r = ParseJson(j.substr(0, i), {});
    if (i < j.size()) CHECK_FALSE(r.ok());
  }
}

TEST_CASE("json: types, order and positions") {
  Document d = Json("{\n  \"b\": 1,\n  \"a\": [true, null, 2.5, \"s\"],\n  \"big\": 18446744073709551615\n}");
  CHECK(AsJson(d) == R"({"b":1,"a":[true,null,2.5,"s"],"big":1.8446744073709552e+19})");
  NodeId a = d.find(d.root(), "a");
  CHECK(d.node(a).line == 3);
  CHECK(d.node(a).column == 8);
  CHECK(d.node(d.children(a)[3].value).line == 3);
}

TEST_CASE("json: errors carry line and column") {
  ParseOptions o;
  o.origin = "x.json";
  auto r = ParseJson("{\n  \"a\": 1,\n  \"b\": tru\n}", o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().where.file == "x.json");
  CHECK(r.error().where.line == 3);
  CHECK(r.error().message.starts_with("JSON parse error: "));
  auto r2 = ParseJson("{\"a\": 1} {\"b\": 2}", o);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().message.find("after the document") != std::string::npos);
  // The message never quotes the input (it could be a secret).
  auto r3 = ParseJson("{\"password\": hunter2}", o);
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.error().ToString().find("hunter2") == std::string::npos);
}

TEST_CASE("json: scalar documents and duplicate keys") {
  CHECK(AsJson(Json("42")) == "42");
  CHECK(AsJson(Json("\"s\"")) == R"("s")");
  CHECK(AsJson(Json(R"({"a": 1, "b": 2, "a": 3})")) == R"({"a":3,"b":2})");
}

TEST_CASE("dotenv") {
  ParseOptions o;
  o.origin = ".env";
  auto d = ParseDotenv(
      "# comment\nexport A=1\nB = two words # note\nC=\"quoted # not a comment\\n\"\nD='single'\n"
      "E=\nF=\"multi\nline\"\nG=x#y\n",
      o);
  REQUIRE(d.ok());
  CHECK(AsJson(*d) == R"({"A":"1","B":"two words","C":"quoted # not a comment\n","D":"single",)"
                      R"("E":"","F":"multi\nline","G":"x#y"})");
  auto bad = ParseDotenv("A=1\nnot a pair\n", o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().ToString() == ".env:2:1: expected KEY=value");
  auto open = ParseDotenv("A=\"never closed\n", o);
  REQUIRE_FALSE(open.ok());
  CHECK(open.error().ToString() == ".env:1:3: unterminated double-quoted value");
}

TEST_CASE("ini") {
  ParseOptions o;
  o.origin = "x.ini";
  auto d = ParseIni("top = 1\n; c\n[s1]\na = x\nb: \"y z\"\n\n[s2]\n# c\nc=3\n[s1]\nd = 4\n", o);
  REQUIRE(d.ok());
  CHECK(AsJson(*d) == R"({"top":"1","s1":{"a":"x","b":"y z","d":"4"},"s2":{"c":"3"}})");
  auto bad = ParseIni("[s1\n", o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().ToString() == "x.ini:1:1: section header without ']'");
  auto bad2 = ParseIni("[s]\njust words\n", o);
  REQUIRE_FALSE(bad2.ok());
  CHECK(bad2.error().ToString() == "x.ini:2:1: expected 'key = value' or '[section]'");
}

TEST_CASE("csv and tsv: header, quoting, keyed rows, positioned errors") {
  ParseOptions o;
  o.origin = "flags.csv";
  o.format = Format::kCsv;
  auto d = ParseDocument("\xEF\xBB\xBFname,everyone,note\r\nnew_ui,1,\"a, \"\"quoted\"\"\nnote\"\r\n"
                         "\nold,0,\n", o);
  REQUIRE(d.ok());
  CHECK(AsJson(*d) == R"([{"name":"new_ui","everyone":"1","note":"a, \"quoted\"\nnote"},)"
                      R"({"name":"old","everyone":"0","note":""}])");
  o.key = {"name"};
  auto keyed = ParseDocument("name,everyone\nnew_ui,1\nold,0\n", o);
  REQUIRE(keyed.ok());
  CHECK(AsJson(*keyed) == R"({"new_ui":{"everyone":"1"},"old":{"everyone":"0"}})");
  CHECK(keyed->node(keyed->find(keyed->root(), "old")).line == 3);
  o.key = {"org", "name"};
  auto nested = ParseDocument("org,name,on\na,x,1\nb,x,0\na,y,1\n", o);
  REQUIRE(nested.ok());
  CHECK(AsJson(*nested) == R"({"a":{"x":{"on":"1"},"y":{"on":"1"}},"b":{"x":{"on":"0"}}})");
  auto dup = ParseDocument("org,name,on\na,x,1\na,x,0\n", o);
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().ToString() ==
        "the key (a, x) appears in more than one row of the csv file (line 3)");
  o.key = {"nope"};
  CHECK(ParseDocument("a,b\n1,2\n", o).error().message ==
        "key column 'nope' is not in the csv file (columns: a, b)");
  o.key.clear();
  CHECK(ParseDocument("a,b\n1,2,3\n", o).error().ToString() ==
        "flags.csv:2:1: a row has more fields than the header's 2");
  CHECK(ParseDocument("a,b\n1\n", o).error().ToString() ==
        "flags.csv:2:1: a row has 1 fields, the header 2");
  CHECK(AsJson(*ParseDocument("a\n\"\"\n\nx\n", o)) == R"([{"a":""},{"a":"x"}])");
  CHECK(ParseDocument("a,b\n\"open,2\n", o).error().ToString() ==
        "flags.csv:2:1: a quoted field is never closed");
  CHECK(ParseDocument("a,a\n", o).error().ToString() ==
        "flags.csv:1:1: the header names column 'a' twice");
  CHECK(ParseDocument("", o).error().ToString() == "flags.csv:1:1: no header row");
  o.format = Format::kTsv;
  auto tsv = ParseDocument("a\tb\n\"x\ty\n", o);  // no quoting in TSV
  REQUIRE(tsv.ok());
  CHECK(AsJson(*tsv) == R"([{"a":"\"x","b":"y"}])");
  CHECK(FormatFromPath("x.csv") == Format::kCsv);
  CHECK(FormatFromPath("x.tsv") == Format::kTsv);
  CHECK(FormatFromPath("app.properties") == Format::kIni);
  CHECK(FormatFromContentType("text/csv; charset=utf-8") == Format::kCsv);
}

TEST_CASE("formats by extension, content type and sniffing") {
  CHECK(FormatFromPath("/a/b.yml") == Format::kYaml);
  CHECK(FormatFromPath("x.JSON") == Format::kJson);
  CHECK(FormatFromPath("/srv/.env") == Format::kEnv);
  CHECK(FormatFromPath("app.env") == Format::kEnv);
  CHECK(FormatFromPath("a.cfg") == Format::kIni);
  CHECK(FormatFromPath("noext") == Format::kAuto);
  CHECK(FormatFromContentType("application/json; charset=utf-8") == Format::kJson);
  CHECK(FormatFromContentType("application/vnd.api+json") == Format::kJson);
  CHECK(FormatFromContentType("text/html") == Format::kAuto);
  CHECK(SniffFormat("  {\"a\":1}") == Format::kJson);
  CHECK(SniffFormat("a: 1") == Format::kYaml);
}

}  // namespace
}  // namespace drift
