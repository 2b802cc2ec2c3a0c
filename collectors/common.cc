#include <nlohmann/json.hpp>

#include "collectors/builtin.h"
#include "core/crypto.h"
#include "core/interpolate.h"

namespace drift {

std::string SourceContext::expand(std::string_view s) const {
  return ExpandPlaceholders(s, Placeholders{env, service.name, source.name, &config.env_vars(env)});
}

CommonOptions ReadCommonOptions(const YAML::Node& spec, const Config& config, YamlReader& r) {
  CommonOptions o;
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
  return o;
}


Result<Document> ParseSnapshot(std::string_view bytes, const CommonOptions& o,
                               const std::string& origin, Format hint, size_t capacity) {
  ParseOptions po;
  po.capacity = capacity;
  po.format = o.format != Format::kAuto ? o.format : hint != Format::kAuto ? hint : SniffFormat(bytes);
  po.origin = origin;
  po.yaml_1_1 = o.yaml_1_1;
  auto doc = ParseDocument(bytes, po);
  if (!doc.ok()) return doc;
  return ApplyExtract(std::move(*doc), o);
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
  if (!o.extract) return doc;
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
std::optional<std::string> DecodeBase64(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : in) {
    if (c == '\n' || c == '\r' || c == ' ') continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad) return std::nullopt;  // data after padding
    int v = val(c);
    if (v < 0) return std::nullopt;
    buf = (buf << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xFF);
    }
  }
  if (pad > 2) return std::nullopt;
  return out;
}

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
