// core/packed_document: what a daemon holds compressed reads back exactly.
#include "core/packed_document.h"

#include <string>

#include <nlohmann/json.hpp>

#include "core/parse.h"
#include "tests/testing.h"

namespace drift {
namespace {

using testing::Yaml;

TEST_CASE("packed document: unpacks to the same tree, positions, keys and metadata") {
  Document d = Yaml(
      "base: &b {url: https://lms.stage.example.org, n: 3, f: 1.5, on: true, none: null}\n"
      "copy: *b\n"
      "list: [a, {name: lms, image: 'openedx/lms:1'}, [1, 2]]\n"
      "empty: {}\n"
      "text: \"caf\\u00e9 \\u0000 bytes\"\n");
  d.set_origin("envs/stage/lms.yaml");
  d.set_raw_digest("sha256:abc");
  d.add_warning("embedded settings.json: not JSON");
  // A keyed list (list_key) keeps its field.
  Document k;
  NodeId lms = k.add_string("openedx/lms", 7, 3);
  std::vector<Entry> items = {{k.intern("lms"), lms}};
  NodeId map = k.add_container(Type::kMap, items, 6, 1);
  k.set_keyed(map, "name");
  k.set_root(map);
  for (Document* doc : {&d, &k}) {
    auto packed = PackedDocument::Pack(*doc);
    REQUIRE(packed);
    Document u = packed->Unpack();
    CHECK(DeepEqual(*doc, doc->root(), u, u.root()));
    CHECK(DumpJson(ToJson(*doc, doc->root())) == DumpJson(ToJson(u, u.root())));
    CHECK(u.node_count() == doc->node_count());
    CHECK(u.key_count() == doc->key_count());
    CHECK(u.origin() == doc->origin());
    CHECK(u.raw_digest() == doc->raw_digest());
    CHECK(u.warnings() == doc->warnings());
    for (NodeId n = 0; n < doc->node_count(); ++n) {
      CHECK(u.node(n).line == doc->node(n).line);
      CHECK(u.node(n).column == doc->node(n).column);
    }
    CHECK(ContentHash(u, u.root()) == ContentHash(*doc, doc->root()));
  }
  Document uk = PackedDocument::Pack(k)->Unpack();
  CHECK(uk.keyed_field(uk.root()) == "name");
  CHECK(uk.node(uk.root()).flags == kKeyedList);
  // Interning into an unpacked document finds the keys it has (normalizers copy into them).
  CHECK(uk.intern("lms") == k.intern("lms"));
  // An absent object (a Kubernetes 404) has no root and packs as such.
  Document absent;
  Document ua = PackedDocument::Pack(absent)->Unpack();
  CHECK(ua.root() == kNoNode);
}

TEST_CASE("packed document: small snapshots shrink, large ones are not packed") {
  std::string text;
  for (int s = 0; s < 10; ++s) {
    text += "section_" + std::to_string(s) + ":\n";
    for (int k = 0; k < 20; ++k)
      text += "  key_" + std::to_string(k) + ": value-" + std::to_string(s * 7919 + k * 104729) + "\n";
  }
  Document d = Yaml(text);
  auto packed = PackedDocument::Pack(d);
  REQUIRE(packed);
  size_t storage = d.node_count() * sizeof(Node) + d.node_count() * sizeof(Entry);
  CHECK(packed->bytes() < storage);
  std::string big = "[";
  for (int i = 0; i < 100000; ++i) big += (i ? ",\"" : "\"") + std::to_string(i) + "-padding\"";
  big += "]";
  auto large = ParseJson(big, {});
  REQUIRE(large.ok());
  CHECK_FALSE(PackedDocument::Pack(large.value()));
  CHECK_FALSE(PackedDocument::Pack(Document::Unchanged("d")));
}

}  // namespace
}  // namespace drift
