#include "core/document.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/strings.h"

namespace drift {

std::string_view TypeName(Type t) {
  switch (t) {
    case Type::kNull: return "null";
    case Type::kBool: return "bool";
    case Type::kInt: return "int";
    case Type::kFloat: return "float";
    case Type::kString: return "string";
    case Type::kMap: return "map";
    case Type::kList: return "list";
  }
  return "?";
}

NodeId Document::push(Node n, uint32_t line, uint32_t col) {
  n.line = line;
  n.column = static_cast<uint16_t>(col > 65535 ? 65535 : col);
  nodes_.push_back(n);
  return static_cast<NodeId>(nodes_.size() - 1);
}

NodeId Document::add_null(uint32_t line, uint32_t col) { return push(Node{}, line, col); }

NodeId Document::add_bool(bool v, uint32_t line, uint32_t col) {
  Node n;
  n.type = Type::kBool;
  n.b = v;
  return push(n, line, col);
}

NodeId Document::add_int(int64_t v, uint32_t line, uint32_t col) {
  Node n;
  n.type = Type::kInt;
  n.i = v;
  return push(n, line, col);
}

NodeId Document::add_float(double v, uint32_t line, uint32_t col) {
  Node n;
  n.type = Type::kFloat;
  n.f = v;
  return push(n, line, col);
}

NodeId Document::add_string(std::string_view v, uint32_t line, uint32_t col) {
  Node n;
  n.type = Type::kString;
  n.s.offset = static_cast<uint32_t>(chars_.size());
  n.s.length = static_cast<uint32_t>(v.size());
  chars_.append(v);
  return push(n, line, col);
}

NodeId Document::add_scalar(const ScalarValue& v, uint32_t line, uint32_t col) {
  switch (v.type) {
    case Type::kBool: return add_bool(v.b, line, col);
    case Type::kInt: return add_int(v.i, line, col);
    case Type::kFloat: return add_float(v.f, line, col);
    case Type::kString: return add_string(v.s, line, col);
    default: return add_null(line, col);
  }
}

ScalarValue Document::scalar(NodeId id) const {
  const Node& n = nodes_[id];
  ScalarValue v;
  switch (n.type) {
    case Type::kBool: v.b = n.b; break;
    case Type::kInt: v.i = n.i; break;
    case Type::kFloat: v.f = n.f; break;
    case Type::kString: v.s = std::string(str(id)); break;
    default: return v;
  }
  v.type = n.type;
  return v;
}

std::string ScalarValue::text() const {
  switch (type) {
    case Type::kBool: return b ? "true" : "false";
    case Type::kInt: return std::to_string(i);
    case Type::kFloat: return FormatDouble(f);
    case Type::kString: return s;
    default: return "null";
  }
}

NodeId Document::add_container(Type t, std::span<const Entry> children, uint32_t line,
                               uint32_t col) {
  NodeId id = reserve_container(t, line, col);
  set_children(id, children);
  return id;
}

NodeId Document::reserve_container(Type t, uint32_t line, uint32_t col) {
  Node n;
  n.type = t;
  n.c.first = 0;
  n.c.count = 0;
  return push(n, line, col);
}

void Document::set_children(NodeId id, std::span<const Entry> children) {
  nodes_[id].c.first = static_cast<uint32_t>(entries_.size());
  nodes_[id].c.count = static_cast<uint32_t>(children.size());
  entries_.insert(entries_.end(), children.begin(), children.end());
}

void Document::grow_key_index() {
  size_t cap = key_index_.empty() ? 64 : key_index_.size() * 2;
  key_index_.assign(cap, kNoKey);
  for (KeyId k = 0; k < keys_.size(); ++k) {
    size_t slot = HashString(key(k)) & (cap - 1);
    while (key_index_[slot] != kNoKey) slot = (slot + 1) & (cap - 1);
    key_index_[slot] = k;
  }
}

KeyId Document::intern(std::string_view k) {
  if ((keys_.size() + 1) * 2 > key_index_.size()) grow_key_index();
  size_t mask = key_index_.size() - 1;
  size_t slot = HashString(k) & mask;
  while (key_index_[slot] != kNoKey) {
    if (key(key_index_[slot]) == k) return key_index_[slot];
    slot = (slot + 1) & mask;
  }
  KeyId id = static_cast<KeyId>(keys_.size());
  keys_.emplace_back(static_cast<uint32_t>(key_chars_.size()), static_cast<uint32_t>(k.size()));
  key_chars_.append(k);
  key_index_[slot] = id;
  return id;
}

void Document::clear() {
  nodes_.clear();
  entries_.clear();
  chars_.clear();
  keys_.clear();
  key_chars_.clear();
  std::fill(key_index_.begin(), key_index_.end(), kNoKey);
  keyed_field_.clear();
  root_ = kNoNode;
}

void Document::reserve_for(size_t bytes) {
  // Measured on generated configs: ~21-24 input bytes per node, strings about a third.
  nodes_.reserve(bytes / 16 + 16);
  entries_.reserve(bytes / 16 + 16);
  chars_.reserve(bytes / 2 + 16);
}

void Document::shrink_to_fit() {
  // A daemon holds tens of thousands of small documents, so they give back all their slack
  // (reserve_for guesses high); copying a huge vector costs more than a little slack, so
  // those shrink only on real over-reservation.
  auto shrink = [](auto& v) {
    if (v.capacity() * sizeof(v[0]) < (size_t{1} << 20)
            ? v.capacity() > v.size()
            : v.capacity() > v.size() + v.size() / 2 + 4096)
      v.shrink_to_fit();
  };
  shrink(nodes_);
  shrink(entries_);
  shrink(chars_);
  shrink(keys_);
  shrink(key_chars_);
  std::vector<KeyId>().swap(key_index_);  // interning is over; find() scans maps
}

NodeId Document::find(NodeId map, std::string_view k) const {
  if (type(map) != Type::kMap) return kNoNode;
  for (const Entry& e : children(map)) {
    if (key(e.key) == k) return e.value;
  }
  return kNoNode;
}

std::string Document::scalar_text(NodeId id) const {
  switch (nodes_[id].type) {
    case Type::kString: return std::string(str(id));  // no detour through a copy
    case Type::kMap:
    case Type::kList: return DumpJson(ToJson(*this, id));
    default: return scalar(id).text();
  }
}

NodeId Document::copy_from(const Document& other, NodeId id) {
  const Node& n = other.node(id);
  switch (n.type) {
    case Type::kNull: return add_null(n.line, n.column);
    case Type::kBool: return add_bool(n.b, n.line, n.column);
    case Type::kInt: return add_int(n.i, n.line, n.column);
    case Type::kFloat: return add_float(n.f, n.line, n.column);
    case Type::kString: return add_string(other.str(id), n.line, n.column);
    case Type::kMap:
    case Type::kList: {
      std::vector<Entry> kids;
      kids.reserve(n.c.count);
      for (const Entry& e : other.children(id)) {
        KeyId k = e.key == kNoKey ? kNoKey : intern(other.key(e.key));
        kids.push_back(Entry{k, copy_from(other, e.value)});
      }
      return add_container(n.type, kids, n.line, n.column);
    }
  }
  return kNoNode;
}

bool SameReading(const Document& a, NodeId x, const Document& b, NodeId y) {
  const Node& n = a.node(x);
  const Node& m = b.node(y);
  if (n.type != m.type || n.line != m.line || n.column != m.column) return false;
  if (n.type != Type::kList && n.type != Type::kMap) return DeepEqual(a, x, b, y);
  auto ca = a.children(x);
  auto cb = b.children(y);
  if (ca.size() != cb.size()) return false;
  for (size_t i = 0; i < ca.size(); ++i) {
    if (n.type == Type::kMap && a.key(ca[i].key) != b.key(cb[i].key)) return false;
    if (!SameReading(a, ca[i].value, b, cb[i].value)) return false;
  }
  return true;
}

bool DeepEqual(const Document& a, NodeId x, const Document& b, NodeId y) {
  const Node& n = a.node(x);
  const Node& m = b.node(y);
  if (n.type != m.type) {
    if (n.type == Type::kInt && m.type == Type::kFloat) return static_cast<double>(n.i) == m.f;
    if (n.type == Type::kFloat && m.type == Type::kInt) return n.f == static_cast<double>(m.i);
    return false;
  }
  switch (n.type) {
    case Type::kNull: return true;
    case Type::kBool: return n.b == m.b;
    case Type::kInt: return n.i == m.i;
    case Type::kFloat: return n.f == m.f || (std::isnan(n.f) && std::isnan(m.f));
    case Type::kString: return a.str(x) == b.str(y);
    case Type::kList: {
      auto ca = a.children(x);
      auto cb = b.children(y);
      if (ca.size() != cb.size()) return false;
      for (size_t i = 0; i < ca.size(); ++i) {
        if (!DeepEqual(a, ca[i].value, b, cb[i].value)) return false;
      }
      return true;
    }
    case Type::kMap: {
      auto ca = a.children(x);
      auto cb = b.children(y);
      if (ca.size() != cb.size()) return false;
      // Key order does not matter for equality; same order is the common case.
      for (size_t i = 0; i < ca.size(); ++i) {
        NodeId other = kNoNode;
        if (a.key(ca[i].key) == b.key(cb[i].key)) {
          other = cb[i].value;
        } else {
          other = b.find(y, a.key(ca[i].key));
          if (other == kNoNode) return false;
        }
        if (!DeepEqual(a, ca[i].value, b, other)) return false;
      }
      return true;
    }
  }
  return false;
}

nlohmann::ordered_json ToJson(const Document& d, NodeId id) {
  const Node& n = d.node(id);
  switch (n.type) {
    case Type::kNull: return nullptr;
    case Type::kBool: return n.b;
    case Type::kInt: return n.i;
    case Type::kFloat:
      if (!std::isfinite(n.f)) return FormatDouble(n.f);  // JSON has no inf/nan
      return n.f;
    case Type::kString: return std::string(d.str(id));
    case Type::kList: {
      auto out = nlohmann::ordered_json::array();
      for (const Entry& e : d.children(id)) out.push_back(ToJson(d, e.value));
      return out;
    }
    case Type::kMap: {
      auto out = nlohmann::ordered_json::object();
      for (const Entry& e : d.children(id)) out[std::string(d.key(e.key))] = ToJson(d, e.value);
      return out;
    }
  }
  return nullptr;
}

NodeId ResolvePath(const Document& d, NodeId n, std::span<const PathSegment> path) {
  for (const auto& seg : path) {
    if (n == kNoNode) return n;
    if (seg.kind == PathSegment::Kind::kKey) {
      n = d.find(n, seg.key);
    } else if (d.type(n) != Type::kList) {
      return kNoNode;
    } else if (seg.kind == PathSegment::Kind::kIndex) {
      auto kids = d.children(n);
      n = seg.index >= 0 && seg.index < static_cast<int64_t>(kids.size()) ? kids[seg.index].value
                                                                          : kNoNode;
    } else {
      NodeId found = kNoNode;
      for (const Entry& e : d.children(n)) {
        NodeId f = d.find(e.value, seg.key);
        if (f != kNoNode && !d.is_container(f) && d.scalar_text(f) == seg.value) found = e.value;
      }
      n = found;
    }
  }
  return n;
}

std::string DumpJson(const nlohmann::ordered_json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

namespace {

// ContentHash's walk. Each node's hash depends only on its own content, and a container folds
// its children's hashes in order (a map each key's, then its value's): the children's hashes
// do not wait on each other, so the chain is a multiplication or two per entry, not one per
// byte. Each distinct key is hashed once.
class ContentHasher {
 public:
  explicit ContentHasher(const Document& d) : d_(d), keys_(d.key_count()) {}

  uint64_t Hash(NodeId id) {
    const Node& n = d_.node(id);
    switch (n.type) {
      case Type::kNull: return kNull;
      case Type::kBool: return n.b ? kTrue : kFalse;
      case Type::kInt: return Scalar(kInt, static_cast<uint64_t>(n.i));
      case Type::kFloat: {
        // By value, as drift compares floats: every NaN is one (all read back as .nan), and
        // -0.0 is 0.0.
        double v = std::isnan(n.f) ? std::numeric_limits<double>::quiet_NaN()
                   : n.f == 0  ? 0.0
                               : n.f;
        return Scalar(kFloat, std::bit_cast<uint64_t>(v));
      }
      case Type::kString: return HashString(d_.str(id), kString);
      case Type::kList: {
        uint64_t h = HashStep(kList, n.c.count);
        for (const Entry& e : d_.children(id)) h = HashStep(h, Hash(e.value));
        return h;
      }
      case Type::kMap: {
        uint64_t h = HashStep(kMap, n.c.count);
        for (const Entry& e : d_.children(id)) h = HashStep(HashStep(h, Key(e.key)), Hash(e.value));
        return h;
      }
    }
    return 0;
  }

 private:
  // One seed per kind of node, and one for keys: a key and a string value of the same text
  // hash apart, and so do an int and a float of the same bits.
  static constexpr uint64_t kNull = 0x8a5cd789635d2dffull, kTrue = 0x121fd2155c472f96ull,
                            kFalse = 0x7ec9c3eb3c2d8c31ull, kInt = 0x58d7dd3c7b2f8c61ull,
                            kFloat = 0x2d358dccaa6c78a5ull, kString = 0x4f9b54ee84c2a6cfull,
                            kList = 0x1d8e4e27c47d124full, kMap = 0x6a09e667f3bcc909ull,
                            kKey = 0x3c6ef372fe94f82bull;
  // The seed again after the value: a single step is a function of seed ^ value, which would
  // make each int collide with the float whose bits differ by kInt ^ kFloat.
  static uint64_t Scalar(uint64_t seed, uint64_t bits) {
    return HashStep(HashStep(seed, bits), seed);
  }
  uint64_t Key(KeyId k) {
    uint64_t& h = keys_[k];
    if (h == 0) h = HashString(d_.key(k), kKey) | 1;  // 0: not hashed yet
    return h;
  }
  const Document& d_;
  std::vector<uint64_t> keys_;
};

}  // namespace

uint64_t ContentHash(const Document& d, NodeId id) { return ContentHasher(d).Hash(id); }

}  // namespace drift
