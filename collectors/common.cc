#include <nlohmann/json.hpp>

#include <functional>

#include "collectors/builtin.h"
#include "core/crypto.h"
#include "core/interpolate.h"
#include "core/strings.h"

namespace drift {

std::string SourceContext::expand(std::string_view s) const {
  return ExpandPlaceholders(s, Placeholders{env, service.name, source.name, &config.env_vars(env)});
}

CommonOptions ReadCommonOptions(const YAML::Node& spec, const Config& config, YamlReader& r,
                                const std::string& source) {
  CommonOptions o;
  o.source = source;
  o.interval = config.defaults.interval;
  o.timeout = config.defaults.timeout;
  if (auto v = Get(spec, "format"); v.IsDefined()) {
    if (auto s = r.String(v, "format")) {
      auto f = ParseFormatName(*s);
      if (f.ok()) o.format = *f;
      else r.Error(v, f.error().message);
    }
  }
  if (auto v = Get(spec, "extract"); v.IsDefined()) {
    if (auto s = r.String(v, "extract")) {
      auto p = ParsePath(*s);
      if (p.ok()) o.extract = *p;
      else r.Error(v, "invalid extract path '" + *s + "': " + p.error().message);
    }
  }
  if (auto v = Get(spec, "interval"); v.IsDefined())
    if (auto d = r.Duration(v, "interval")) o.interval = *d;
  if (auto v = Get(spec, "timeout"); v.IsDefined())
    if (auto d = r.Duration(v, "timeout")) o.timeout = *d;
  if (auto v = Get(spec, "yaml"); v.IsDefined()) {
    if (auto s = r.String(v, "yaml")) {
      if (*s == "1.1") o.yaml_1_1 = true;
      else if (*s != "1.2") r.Error(v, "yaml must be \"1.1\" or \"1.2\"");
    }
  }
  if (auto v = Get(spec, "key"); v.IsDefined())
    if (auto l = r.StringList(v, "key", true)) o.key = *l;
  if (auto v = Get(spec, "decode"); v.IsDefined()) {
    if (auto s = r.String(v, "decode")) {
      if (*s == "base64") o.decode_base64 = true;
      else r.Error(v, "decode must be base64");
    }
  }
  if (auto v = Get(spec, "embedded"); v.IsDefined()) {
    if (auto l = r.StringList(v, "embedded", true)) {
      for (size_t i = 0; i < l->size(); ++i) {
        auto sel = Selector::Compile((*l)[i]);
        const YAML::Node at = v.IsSequence() ? v[i] : v;
        if (!sel.ok()) r.Error(at, sel.error().message);
        else o.embedded.push_back(std::move(*sel));
      }
    }
  }
  if (auto v = Get(spec, "embedded_format"); v.IsDefined()) {
    if (auto s = r.String(v, "embedded_format")) {
      auto f = ParseFormatName(*s);
      if (f.ok()) o.embedded_format = *f;
      else r.Error(v, f.error().message);
    }
  }
  return o;
}


Result<Document> ParseSnapshot(std::string_view bytes, const CommonOptions& o,
                               const std::string& origin, Format hint, size_t capacity) {
  ParseOptions po;
  po.capacity = capacity;
  po.format = o.format != Format::kAuto ? o.format : hint != Format::kAuto ? hint : SniffFormat(bytes);
  po.origin = origin;
  po.yaml_1_1 = o.yaml_1_1;
  po.key = o.key;
  if (!o.key.empty() && po.format != Format::kCsv && po.format != Format::kTsv)
    return MakeError("key: applies to csv and tsv (and sql) sources; this one reads " +
                     std::string(FormatName(po.format)));
  auto doc = ParseDocument(bytes, po);
  if (!doc.ok()) return doc;
  return FinishSnapshot(std::move(*doc), o);
}

Result<Document> Collector::Parse(std::string_view bytes, const CollectRequest& request,
                                  const std::string& origin, Format hint, size_t capacity) const {
  if (!request.known_digest) return ParseSnapshot(bytes, common_, origin, hint, capacity);
  // The hint is part of the input: the same body under another Content-Type parses otherwise.
  std::string digest = Sha256Hex(bytes) + "/" + std::to_string(static_cast<int>(hint));
  if (digest == *request.known_digest) return Document::Unchanged(std::move(digest));
  auto doc = ParseSnapshot(bytes, common_, origin, hint, capacity);
  if (doc.ok()) doc->set_raw_digest(std::move(digest));
  return doc;
}

Result<Document> ApplyExtract(Document doc, const CommonOptions& o) {
  if (!o.extract || doc.root() == kNoNode) return doc;
  NodeId n = ResolvePath(doc, doc.root(), *o.extract);
  if (n == kNoNode)
    return MakeError("extract path '" + FormatPath(*o.extract) + "' is not in the document");
  Document out;
  out.set_origin(doc.origin());
  out.set_root(out.copy_from(doc, n));
  return out;
}

}  // namespace drift

namespace drift {

namespace {
NodeId CopyDecoded(const Document& in, NodeId id, Document& out, std::string& bad) {
  const Node& n = in.node(id);
  if (n.type == Type::kString) {
    auto d = DecodeBase64(in.str(id));
    if (!d) {
      if (bad.empty()) bad = "a value at line " + std::to_string(n.line);
      return out.add_string(in.str(id), n.line, n.column);
    }
    return out.add_string(*d, n.line, n.column);
  }
  if (n.type == Type::kMap || n.type == Type::kList) {
    std::vector<Entry> kids;
    for (const Entry& e : in.children(id)) {
      KeyId k = e.key == kNoKey ? kNoKey : out.intern(in.key(e.key));
      kids.push_back(Entry{k, CopyDecoded(in, e.value, out, bad)});
    }
    return out.add_container(n.type, kids, n.line, n.column);
  }
  return out.copy_from(in, id);
}
}  // namespace

// decode: base64 (Kubernetes Secret `data`): every string value is base64-decoded.
Result<Document> DecodeBase64Values(const Document& doc) {
  Document out;
  out.set_origin(doc.origin());
  out.set_raw_digest(doc.raw_digest());  // decoding is a function of the same raw bytes
  std::string bad;
  out.set_root(CopyDecoded(doc, doc.root(), out, bad));
  if (!bad.empty()) return MakeError("decode: base64: " + bad + " is not valid base64");
  return out;
}

}  // namespace drift

namespace drift {
namespace {

// Copies `id` of `in` into `out`, parsing the strings at `embedded` paths as documents.
class Embedding {
 public:
  Embedding(const Document& in, Document& out, const CommonOptions& o)
      : in_(in), out_(out), o_(o) {}

  NodeId Copy(NodeId id, std::vector<Selector::State> states, std::string_view key,
              const std::string& path) {
    const Node& n = in_.node(id);
    bool wanted = false, asked = false;  // asked: by a selector the user wrote
    for (size_t i = 0; i < states.size(); ++i) {
      bool a = o_.embedded[i].Accepts(states[i]);
      wanted = wanted || a;
      asked = asked || (a && i >= o_.implicit_embedded);
    }
    if (wanted && n.type == Type::kString) return Parse(id, key, path, asked);
    if (n.type != Type::kMap && n.type != Type::kList) return out_.copy_from(in_, id);
    bool alive = false;
    for (auto s : states) alive = alive || s != 0;
    if (!alive) return out_.copy_from(in_, id);
    std::vector<Entry> kids;
    auto children = in_.children(id);
    for (size_t c = 0; c < children.size(); ++c) {
      const Entry& e = children[c];
      std::string_view k = e.key == kNoKey ? std::string_view() : in_.key(e.key);
      StepView step = e.key == kNoKey
                          ? StepView{StepView::Kind::kIndex, {}, static_cast<int64_t>(c), {},
                                     nullptr, nullptr}
                          : StepView{StepView::Kind::kKey, k, 0, {}, nullptr, nullptr};
      std::vector<Selector::State> next(states.size());
      for (size_t i = 0; i < states.size(); ++i)
        next[i] = states[i] ? o_.embedded[i].Step(states[i], step) : 0;
      std::string child_path =
          e.key == kNoKey ? path + "[" + std::to_string(c) + "]" : AppendKey(path, k);
      NodeId made = Copy(e.value, std::move(next), k, child_path);
      kids.push_back(Entry{e.key == kNoKey ? kNoKey : out_.intern(k), made});
    }
    return out_.add_container(n.type, kids, n.line, n.column);
  }

 private:
  static std::string AppendKey(const std::string& path, std::string_view k) {
    Path p{PathSegment::Key(std::string(k))};
    std::string one = FormatPath(p);
    return path + (one.starts_with("[") ? "" : ".") + one;
  }

  // A string at an embedded path: the document it holds, or itself with a warning.
  NodeId Parse(NodeId id, std::string_view key, const std::string& path, bool asked) {
    const Node& n = in_.node(id);
    Format f = asked && o_.embedded_format != Format::kAuto ? o_.embedded_format : FormatFromPath(key);
    // Implicit ones (Kubernetes ConfigMap data) parse only keys named like documents
    // (nginx.conf and haproxy.cfg are not INI files).
    if (!asked) {
      std::string_view k = key;
      auto dot = k.find_last_of('.');
      std::string ext = dot == std::string_view::npos ? "" : ToLower(k.substr(dot + 1));
      static constexpr std::string_view kDocuments[] = {"yml", "yaml", "json", "env", "ini",
                                                        "properties", "csv", "tsv"};
      bool document = k == ".env";
      for (auto d : kDocuments) document = document || ext == d;
      if (!document) return out_.copy_from(in_, id);
    }
    if (f == Format::kAuto) {
      out_.add_warning("embedded " + path + ": '" + std::string(key) +
                       "' has no extension drift reads (.yaml, .json, .env, .ini, .properties, "
                       ".csv, .tsv); set embedded_format to parse it");
      return out_.copy_from(in_, id);
    }
    ParseOptions po;
    po.format = f;
    po.origin = in_.origin() + " " + path;
    po.yaml_1_1 = o_.yaml_1_1;
    // Aliases may reference one string many times: what is parsed per snapshot is bounded.
    std::string_view text = in_.str(id);
    if (text.size() > budget_) {
      out_.add_warning("embedded " + path + ": the snapshot's embedded documents exceed " +
                       std::to_string(kEmbeddedBudget >> 20) + " MiB; compared as a string");
      return out_.copy_from(in_, id);
    }
    budget_ -= text.size();
    auto doc = ParseDocument(text, po);
    if (!doc.ok()) {
      // The position only, never the parser's words: they may quote the text (a secret).
      const Position& at = doc.error().where;
      out_.add_warning("embedded " + path + " is not valid " + std::string(FormatName(f)) +
                       (at.line ? " (line " + std::to_string(at.line) + ", column " +
                                      std::to_string(at.column) + ")"
                                : std::string()) +
                       "; compared as a string");
      return out_.copy_from(in_, id);
    }
    (void)n;
    // Copying expands a YAML document's aliases: an alias bomb of a few hundred bytes would
    // be millions of nodes here. What the snapshot's embedded documents expand to is bounded.
    uint64_t expanded = ExpandedSize(*doc);
    if (expanded > nodes_left_) {
      out_.add_warning("embedded " + path + ": the snapshot's embedded documents expand to over " +
                       std::to_string(kEmbeddedNodes) + " nodes (YAML aliases); compared as a string");
      return out_.copy_from(in_, id);
    }
    nodes_left_ -= expanded;
    return out_.copy_from(*doc, doc->root());
  }

  // Nodes a copy of `d` makes (aliases shared in `d` are copied once per use).
  static uint64_t ExpandedSize(const Document& d) {
    std::vector<uint64_t> memo(d.node_count(), 0);
    // Children have smaller ids than their parents only in some parsers: a memoized DFS.
    std::function<uint64_t(NodeId)> size = [&](NodeId id) -> uint64_t {
      if (memo[id]) return memo[id];
      uint64_t total = 1;
      if (d.is_container(id))
        for (const Entry& e : d.children(id)) total = std::min<uint64_t>(total + size(e.value), UINT64_MAX / 4);
      return memo[id] = total;
    };
    return size(d.root());
  }

  static constexpr size_t kEmbeddedBudget = 64u << 20;
  static constexpr uint64_t kEmbeddedNodes = 4'000'000;
  uint64_t nodes_left_ = kEmbeddedNodes;
  const Document& in_;
  Document& out_;
  const CommonOptions& o_;
  size_t budget_ = kEmbeddedBudget;
};

}  // namespace

Result<Document> FinishSnapshot(Document doc, const CommonOptions& o) {
  auto extracted = ApplyExtract(std::move(doc), o);
  // Unchanged, or absent (a Kubernetes object that does not exist in this env).
  if (!extracted.ok() || extracted->unchanged() || extracted->root() == kNoNode) return extracted;
  if (o.decode_base64) {
    extracted = DecodeBase64Values(*extracted);
    if (!extracted.ok()) return extracted;
  }
  if (o.embedded.empty()) return extracted;
  const Document& in = *extracted;
  Document out;
  out.set_origin(in.origin());
  out.set_raw_digest(in.raw_digest());
  for (const auto& w : in.warnings()) out.add_warning(w);
  std::vector<Selector::State> states;
  StepView source{StepView::Kind::kKey, o.source, 0, {}, nullptr, nullptr};
  for (const Selector& s : o.embedded) states.push_back(s.Step(s.Start(), source));
  Embedding e(in, out, o);
  out.set_root(e.Copy(in.root(), std::move(states), "", o.source));
  return out;
}

}  // namespace drift
