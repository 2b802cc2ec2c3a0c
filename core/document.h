// The document tree every snapshot is parsed into.
//
// Built for snapshots of a million leaves: nodes live in one vector, the children of a
// container are one contiguous run of `Entry`s, scalar strings live in one character arena
// and map keys are interned per document. A node knows the line/column it came from.
// YAML aliases share nodes, so a Document is a DAG; it is immutable once built and safe to
// read from several threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/path.h"

namespace drift {

enum class Type : uint8_t { kNull, kBool, kInt, kFloat, kString, kMap, kList };
std::string_view TypeName(Type t);

using NodeId = uint32_t;
using KeyId = uint32_t;
inline constexpr NodeId kNoNode = UINT32_MAX;
inline constexpr KeyId kNoKey = UINT32_MAX;

struct Node {
  Type type = Type::kNull;
  uint8_t flags = 0;    // kKeyedList: a list matched by an item field (list_key normalizer)
  uint16_t column = 0;  // 1-based; saturates at 65535
  uint32_t line = 0;    // 1-based; 0 when unknown
  union {
    bool b;
    int64_t i;
    double f;
    struct {
      uint32_t offset, length;
    } s;  // kString: into the character arena
    struct {
      uint32_t first, count;
    } c;  // kMap/kList: into the entry array
  };
  Node() : i(0) {}
};

inline constexpr uint8_t kKeyedList = 1;

// A scalar outside any document (normalizers and SQL rows build them).
struct ScalarValue {
  Type type = Type::kNull;
  std::string s;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string text() const;  // as Document::scalar_text prints it
};

struct Entry {
  KeyId key;  // kNoKey for list items
  NodeId value;
};

class Document {
 public:
  Document() = default;
  Document(Document&&) = default;
  Document& operator=(Document&&) = default;

  NodeId root() const { return root_; }
  const Node& node(NodeId id) const { return nodes_[id]; }
  Type type(NodeId id) const { return nodes_[id].type; }
  std::string_view str(NodeId id) const {
    const auto& s = nodes_[id].s;
    return std::string_view(chars_).substr(s.offset, s.length);
  }
  std::span<const Entry> children(NodeId id) const {
    const auto& c = nodes_[id].c;
    return std::span<const Entry>(entries_.data() + c.first, c.count);
  }
  std::string_view key(KeyId k) const {
    const auto& [off, len] = keys_[k];
    return std::string_view(key_chars_).substr(off, len);
  }
  bool is_container(NodeId id) const {
    return nodes_[id].type == Type::kMap || nodes_[id].type == Type::kList;
  }
  // The child of a map under `k`, or kNoNode. Linear: callers with many look-ups index.
  NodeId find(NodeId map, std::string_view k) const;
  // The scalar as text: strings as is, numbers and bools as YAML/JSON would print them.
  std::string scalar_text(NodeId id) const;

  // Where the snapshot came from (a file path or URL), for messages and SARIF.
  const std::string& origin() const { return origin_; }
  void set_origin(std::string o) { origin_ = std::move(o); }
  // A digest of the raw bytes the snapshot was parsed from, when its collector was asked for
  // one (the daemon, to skip parsing input that did not change); "" otherwise.
  const std::string& raw_digest() const { return raw_digest_; }
  void set_raw_digest(std::string d) { raw_digest_ = std::move(d); }
  // What a collector returns instead of a snapshot when the raw input has `raw_digest` the
  // caller already holds: an empty document standing for "the same as before".
  static Document Unchanged(std::string raw_digest) {
    Document d;
    d.raw_digest_ = std::move(raw_digest);
    d.unchanged_ = true;
    return d;
  }
  bool unchanged() const { return unchanged_; }
  // What went wrong without failing the collection (an `embedded` string that did not parse),
  // for the report and the log; never holds a value.
  const std::vector<std::string>& warnings() const { return warnings_; }
  void add_warning(std::string w) { warnings_.push_back(std::move(w)); }
  size_t node_count() const { return nodes_.size(); }
  size_t key_count() const { return keys_.size(); }

  // --- building (parsers and normalizers) ---
  KeyId intern(std::string_view k);
  NodeId add_null(uint32_t line = 0, uint32_t col = 0);
  NodeId add_bool(bool v, uint32_t line = 0, uint32_t col = 0);
  NodeId add_int(int64_t v, uint32_t line = 0, uint32_t col = 0);
  NodeId add_float(double v, uint32_t line = 0, uint32_t col = 0);
  NodeId add_string(std::string_view v, uint32_t line = 0, uint32_t col = 0);
  NodeId add_scalar(const ScalarValue& v, uint32_t line = 0, uint32_t col = 0);
  ScalarValue scalar(NodeId id) const;  // kNull for containers
  // A container whose children are given now.
  NodeId add_container(Type t, std::span<const Entry> children, uint32_t line = 0,
                       uint32_t col = 0);
  // A container whose children are set later with set_children (parsers know a node's id
  // before its children).
  NodeId reserve_container(Type t, uint32_t line, uint32_t col);
  void set_children(NodeId id, std::span<const Entry> children);
  void set_root(NodeId r) { root_ = r; }
  // Room for a document parsed from `text_bytes` of input (avoids regrowing huge vectors).
  void reserve_for(size_t text_bytes);
  // Empties the document but keeps its buffers (for documents rebuilt many times).
  void clear();
  // Gives back the slack of the growing vectors once a parser is done.
  void shrink_to_fit();
  // Marks a map built from a list by list_key: its keys print as [field=key].
  void set_keyed(NodeId id, std::string_view field) {
    nodes_[id].flags |= kKeyedList;
    keyed_field_.emplace_back(id, intern(field));
  }
  std::string_view keyed_field(NodeId id) const {
    for (const auto& [n, k] : keyed_field_)
      if (n == id) return key(k);
    return {};
  }
  // Copies a subtree of another document into this one, returns the new node.
  NodeId copy_from(const Document& other, NodeId id);

 private:
  friend class PackedDocument;  // reads and restores the storage below as is
  NodeId push(Node n, uint32_t line, uint32_t col);
  void grow_key_index();

  std::vector<Node> nodes_;
  std::vector<Entry> entries_;
  std::string chars_;
  std::vector<std::pair<uint32_t, uint32_t>> keys_;
  std::string key_chars_;
  std::vector<KeyId> key_index_;  // open addressing over keys_, kNoKey = empty
  std::vector<std::pair<NodeId, KeyId>> keyed_field_;  // few: only normalized copies have them
  NodeId root_ = kNoNode;
  std::string origin_;
  std::string raw_digest_;
  std::vector<std::string> warnings_;
  bool unchanged_ = false;
};

// Structural equality across documents. Ints and floats compare as numbers.
bool DeepEqual(const Document& a, NodeId x, const Document& b, NodeId y);
// Exactly the same reading: same types and values, map keys in the same order, every node at
// the same line and column (two readers of one text must agree on all of it).
bool SameReading(const Document& a, NodeId x, const Document& b, NodeId y);

// The subtree as JSON (maps keep their order). Used for findings and `drift diff`.
nlohmann::ordered_json ToJson(const Document& d, NodeId id);

// The node at `path` below `from` (keys, indices, [field=value] items), or kNoNode.
NodeId ResolvePath(const Document& d, NodeId from, std::span<const PathSegment> path);

// JSON text that never throws: invalid UTF-8 is replaced (snapshots may hold any bytes).
std::string DumpJson(const nlohmann::ordered_json& j, int indent = -1);

// A hash of a subtree's content, the same for equal content (snapshot hashes, digests of what
// a collector read). Not across byte orders. Costs one word per distinct key of the document
// besides the walk: for whole documents, not for many small subtrees.
uint64_t ContentHash(const Document& d, NodeId id);

}  // namespace drift
