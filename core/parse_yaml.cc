// YAML snapshots through libyaml's event API, streamed straight into a Document.
#include <yaml.h>

#include <charconv>
#include <optional>
#include <variant>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/parse.h"

namespace drift {
namespace {

constexpr std::string_view kYamlTagPrefix = "tag:yaml.org,2002:";

bool IsDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 16   ? std::isxdigit(static_cast<unsigned char>(c))
              : base == 8  ? (c >= '0' && c <= '7')
              : base == 2  ? (c == '0' || c == '1')
                           : (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Integer per the YAML 1.2 core schema (or 1.1 when asked); nullopt when not an int.
std::optional<std::variant<int64_t, double>> ResolveInt(std::string_view s, bool yaml11) {
  std::string cleaned;
  if (yaml11 && s.find('_') != std::string_view::npos) {
    for (char c : s)
      if (c != '_') cleaned += c;
    s = cleaned;
  }
  bool neg = false;
  std::string_view body = s;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  int base = 10;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    base = 16;
    body.remove_prefix(2);
  } else if (body.size() > 2 && body[0] == '0' && body[1] == 'o' && !yaml11) {
    base = 8;
    body.remove_prefix(2);
  } else if (yaml11 && body.size() > 2 && body[0] == '0' && body[1] == 'b') {
    base = 2;
    body.remove_prefix(2);
  } else if (yaml11 && body.size() > 1 && body[0] == '0') {
    base = 8;
    body.remove_prefix(1);
  }
  if (!IsDigits(body, base)) return std::nullopt;
  if (base != 10 && (s[0] == '-' || s[0] == '+') && !yaml11) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v, base);
  if (ec == std::errc() && p == body.data() + body.size()) {
    if (!neg && v <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(v);
    if (neg && v <= static_cast<uint64_t>(INT64_MAX) + 1)
      return static_cast<int64_t>(0 - v);
  }
  // Out of range: keep the magnitude as a float rather than inventing a value.
  double d = std::strtod(std::string(s).c_str(), nullptr);
  return d;
}

std::optional<double> ResolveFloat(std::string_view s, bool yaml11) {
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF")
    return INFINITY;
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return -INFINITY;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return NAN;
  std::string cleaned;
  if (yaml11 && s.find('_') != std::string_view::npos) {
    for (char c : s)
      if (c != '_') cleaned += c;
    s = cleaned;
  }
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  bool dot = false;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  bool exp = false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    exp = true;
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t ed = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++ed;
    if (ed == 0) return std::nullopt;
  }
  if (i != s.size() || (!dot && !exp)) return std::nullopt;
  if (yaml11 && !dot) return std::nullopt;  // 1.1 floats need a dot
  return std::strtod(std::string(s).c_str(), nullptr);
}

NodeId ResolvePlain(Document& doc, std::string_view s, bool yaml11, uint32_t line, uint32_t col) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
    return doc.add_null(line, col);
  char c = s[0];
  // Fast path: most scalars are words that cannot be anything but strings.
  bool maybe_special = (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 't' ||
                       c == 'T' || c == 'f' || c == 'F' ||
                       (yaml11 && (c == 'y' || c == 'Y' || c == 'n' || c == 'N' || c == 'o' ||
                                   c == 'O'));
  if (!maybe_special) return doc.add_string(s, line, col);
  if (s == "true" || s == "True" || s == "TRUE") return doc.add_bool(true, line, col);
  if (s == "false" || s == "False" || s == "FALSE") return doc.add_bool(false, line, col);
  if (yaml11) {
    if (s == "yes" || s == "Yes" || s == "YES" || s == "on" || s == "On" || s == "ON")
      return doc.add_bool(true, line, col);
    if (s == "no" || s == "No" || s == "NO" || s == "off" || s == "Off" || s == "OFF")
      return doc.add_bool(false, line, col);
  }
  if (auto i = ResolveInt(s, yaml11)) {
    if (std::holds_alternative<int64_t>(*i)) return doc.add_int(std::get<int64_t>(*i), line, col);
    return doc.add_float(std::get<double>(*i), line, col);
  }
  if (auto f = ResolveFloat(s, yaml11)) return doc.add_float(*f, line, col);
  return doc.add_string(s, line, col);
}

struct Anchor {
  NodeId node;
  size_t size;  // nodes it stands for, aliases inside it included
};

struct Frame {
  NodeId id;
  Type type;
  size_t pending_start;
  KeyId key = kNoKey;  // map: the key waiting for its value
  bool has_merge = false;
  std::string anchor;
  size_t node_start;
  size_t alias_start;
};

class YamlBuilder {
 public:
  YamlBuilder(const ParseOptions& o) : opts_(o) {}

  Result<Document> Run(std::string_view text) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return MakeError("out of memory initialising libyaml");
    std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> guard(&parser, yaml_parser_delete);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    doc_.set_origin(opts_.origin);
    doc_.reserve_for(text.size());
    merge_key_ = doc_.intern("<<");
    // The stream is a list of documents; a single document becomes the root itself.
    stream_ = doc_.reserve_container(Type::kList, 1, 1);
    frames_.push_back(Frame{stream_, Type::kList, 0, kNoKey, false, {}, 0, 0});
    for (;;) {
      yaml_event_t ev;
      if (!yaml_parser_parse(&parser, &ev)) {
        std::string msg = parser.problem ? parser.problem : "invalid YAML";
        if (parser.context) msg += std::string(" ") + parser.context;
        return MakeError("YAML parse error: " + msg,
                         Pos(parser.problem_mark.line, parser.problem_mark.column));
      }
      std::unique_ptr<yaml_event_t, void (*)(yaml_event_t*)> evguard(&ev, yaml_event_delete);
      if (ev.type == YAML_STREAM_END_EVENT) break;
      if (auto err = Handle(ev)) return *err;
    }
    Frame& top = frames_.back();
    size_t ndocs = pending_.size() - top.pending_start;
    if (ndocs == 0) {
      doc_.set_root(doc_.add_null(1, 1));
    } else if (ndocs == 1) {
      doc_.set_root(pending_.back().value);
    } else {
      doc_.set_children(stream_, std::span<const Entry>(pending_).subspan(top.pending_start));
      doc_.set_root(stream_);
    }
    return std::move(doc_);
  }

 private:
  Position Pos(size_t line, size_t col) const {
    return Position{opts_.origin, static_cast<uint32_t>(line + 1), static_cast<uint32_t>(col + 1)};
  }

  std::optional<Error> Handle(const yaml_event_t& ev) {
    uint32_t line = static_cast<uint32_t>(ev.start_mark.line + 1);
    uint32_t col = static_cast<uint32_t>(ev.start_mark.column + 1);
    switch (ev.type) {
      case YAML_SCALAR_EVENT: {
        std::string_view value(reinterpret_cast<const char*>(ev.data.scalar.value),
                               ev.data.scalar.length);
        Frame& top = frames_.back();
        if (top.type == Type::kMap && top.key == kNoKey) {
          top.key = doc_.intern(value);
          if (top.key == merge_key_ && ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            top.has_merge = true;
          return std::nullopt;
        }
        auto id = Scalar(ev, value, line, col);
        if (!id.ok()) return id.error();
        if (ev.data.scalar.anchor)
          anchors_[reinterpret_cast<const char*>(ev.data.scalar.anchor)] = Anchor{*id, 1};
        return Add(*id);
      }
      case YAML_ALIAS_EVENT: {
        std::string name = reinterpret_cast<const char*>(ev.data.alias.anchor);
        auto it = anchors_.find(name);
        if (it == anchors_.end())
          return MakeError("YAML alias *" + name + " refers to no anchor", Pos(line - 1, col - 1));
        alias_nodes_ += it->second.size;
        if (alias_nodes_ > opts_.max_alias_nodes)
          return MakeError("YAML aliases expand to more than " +
                               std::to_string(opts_.max_alias_nodes) +
                               " nodes (an alias bomb?)",
                           Pos(line - 1, col - 1));
        Frame& top = frames_.back();
        if (top.type == Type::kMap && top.key == kNoKey) {
          NodeId n = it->second.node;
          if (doc_.type(n) == Type::kMap || doc_.type(n) == Type::kList)
            return MakeError("a map or list used as a mapping key is not supported",
                             Pos(line - 1, col - 1));
          top.key = doc_.intern(doc_.scalar_text(n));
          return std::nullopt;
        }
        return Add(it->second.node);
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        Frame& top = frames_.back();
        if (top.type == Type::kMap && top.key == kNoKey)
          return MakeError("a map or list used as a mapping key is not supported",
                           Pos(line - 1, col - 1));
        if (frames_.size() > opts_.max_depth)
          return MakeError("nesting deeper than " + std::to_string(opts_.max_depth) + " levels",
                           Pos(line - 1, col - 1));
        bool is_map = ev.type == YAML_MAPPING_START_EVENT;
        Type t = is_map ? Type::kMap : Type::kList;
        const yaml_char_t* anchor =
            is_map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor;
        NodeId id = doc_.reserve_container(t, line, col);
        frames_.push_back(Frame{id, t, pending_.size(), kNoKey, false,
                                anchor ? reinterpret_cast<const char*>(anchor) : "",
                                doc_.node_count() - 1, alias_nodes_});
        return std::nullopt;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Frame f = std::move(frames_.back());
        frames_.pop_back();
        std::span<const Entry> kids(pending_.data() + f.pending_start,
                                    pending_.size() - f.pending_start);
        if (f.type == Type::kMap) {
          auto err = FinishMap(f, kids);
          if (err) return err;
          doc_.set_children(f.id, merged_);
        } else {
          doc_.set_children(f.id, kids);
        }
        pending_.resize(f.pending_start);
        if (!f.anchor.empty()) {
          size_t size = (doc_.node_count() - f.node_start) + (alias_nodes_ - f.alias_start);
          anchors_[f.anchor] = Anchor{f.id, size};
        }
        return Add(f.id);
      }
      default:
        return std::nullopt;
    }
  }

  std::optional<Error> Add(NodeId v) {
    Frame& top = frames_.back();
    pending_.push_back(Entry{top.type == Type::kMap ? top.key : kNoKey, v});
    top.key = kNoKey;
    return std::nullopt;
  }

  Result<NodeId> Scalar(const yaml_event_t& ev, std::string_view value, uint32_t line,
                        uint32_t col) {
    const char* tag_c = reinterpret_cast<const char*>(ev.data.scalar.tag);
    std::string_view tag = tag_c ? tag_c : "";
    bool plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (tag.empty() || tag == "!") {
      if (plain && tag.empty()) return ResolvePlain(doc_, value, opts_.yaml_1_1, line, col);
      return doc_.add_string(value, line, col);
    }
    if (tag.starts_with(kYamlTagPrefix)) {
      std::string_view t = tag.substr(kYamlTagPrefix.size());
      if (t == "str" || t == "binary" || t == "timestamp") return doc_.add_string(value, line, col);
      NodeId r = ResolvePlain(doc_, value, opts_.yaml_1_1, line, col);
      Type got = doc_.type(r);
      bool fits = (t == "int" && got == Type::kInt) ||
                  (t == "float" && (got == Type::kFloat || got == Type::kInt)) ||
                  (t == "bool" && got == Type::kBool) || (t == "null" && got == Type::kNull);
      if (!fits)
        return MakeError(std::string("'").append(value).append("' is not a valid !!").append(t),
                         Position{opts_.origin, line, col});
      if (t == "float" && got == Type::kInt) {
        double d = static_cast<double>(doc_.node(r).i);
        return doc_.add_float(d, line, col);
      }
      return r;
    }
    // Application tags (!Ref, !GetAtt, !reference): keep the tag in the value so that
    // `!Ref a` and `!GetAtt a` differ.
    std::string shown(tag);
    if (shown.starts_with("tag:")) shown = "!" + shown;
    return doc_.add_string(shown + " " + std::string(value), line, col);
  }

  // Resolves merge keys (<<) as YAML 1.1 loaders do and duplicate keys (last one wins).
  std::optional<Error> FinishMap(const Frame& f, std::span<const Entry> kids) {
    merged_.clear();
    ++generation_;
    if (stamp_.size() < doc_.key_count()) {
      stamp_.resize(doc_.key_count() * 2, 0);
      slot_.resize(doc_.key_count() * 2, 0);
    }
    auto put = [&](const Entry& e, bool override) {
      if (stamp_[e.key] == generation_) {
        if (override) merged_[slot_[e.key]].value = e.value;
        return;
      }
      stamp_[e.key] = generation_;
      slot_[e.key] = static_cast<uint32_t>(merged_.size());
      merged_.push_back(e);
    };
    if (f.has_merge) {
      for (const Entry& e : kids) {
        if (e.key != merge_key_) continue;
        auto merge_map = [&](NodeId m) -> bool {
          if (doc_.type(m) != Type::kMap) return false;
          for (const Entry& me : doc_.children(m)) put(me, false);
          return true;
        };
        bool ok = merge_map(e.value);
        if (!ok && doc_.type(e.value) == Type::kList) {
          ok = true;
          for (const Entry& le : doc_.children(e.value)) ok = ok && merge_map(le.value);
        }
        if (!ok) {
          const Node& n = doc_.node(e.value);
          return MakeError("merge key << needs a map or a list of maps",
                           Position{opts_.origin, n.line, n.column});
        }
      }
    }
    for (const Entry& e : kids) {
      if (f.has_merge && e.key == merge_key_) continue;
      put(e, true);
    }
    return std::nullopt;
  }

  const ParseOptions& opts_;
  Document doc_;
  NodeId stream_ = kNoNode;
  KeyId merge_key_ = kNoKey;
  std::vector<Frame> frames_;
  std::vector<Entry> pending_;
  std::vector<Entry> merged_;
  std::unordered_map<std::string, Anchor> anchors_;
  size_t alias_nodes_ = 0;
  std::vector<uint32_t> stamp_, slot_;
  uint32_t generation_ = 0;
};

}  // namespace

Result<Document> ParseYaml(std::string_view text, const ParseOptions& options) {
  YamlBuilder b(options);
  return b.Run(text);
}

}  // namespace drift
