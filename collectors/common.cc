#include <nlohmann/json.hpp>

#include "collectors/builtin.h"
#include "core/interpolate.h"

namespace drift {

std::string SourceContext::expand(std::string_view s) const {
  return ExpandPlaceholders(s, Placeholders{env, service.name, source.name});
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

namespace {
NodeId Resolve(const Document& d, const Path& p) {
  NodeId n = d.root();
  for (const auto& seg : p) {
    if (n == kNoNode) return n;
    if (seg.kind == PathSegment::Kind::kKey) {
      n = d.find(n, seg.key);
    } else if (seg.kind == PathSegment::Kind::kIndex) {
      if (d.type(n) != Type::kList) return kNoNode;
      auto kids = d.children(n);
      n = seg.index < static_cast<int64_t>(kids.size()) ? kids[seg.index].value : kNoNode;
    } else {
      if (d.type(n) != Type::kList) return kNoNode;
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
}  // namespace

Result<Document> ParseSnapshot(std::string_view bytes, const CommonOptions& o,
                               const std::string& origin, Format hint) {
  ParseOptions po;
  po.format = o.format != Format::kAuto ? o.format : hint != Format::kAuto ? hint : SniffFormat(bytes);
  po.origin = origin;
  po.yaml_1_1 = o.yaml_1_1;
  auto doc = ParseDocument(bytes, po);
  if (!doc.ok() || !o.extract) return doc;
  NodeId n = Resolve(*doc, *o.extract);
  if (n == kNoNode)
    return MakeError("extract path '" + FormatPath(*o.extract) + "' is not in the document");
  Document out;
  out.set_origin(origin);
  out.set_root(out.copy_from(*doc, n));
  return out;
}

}  // namespace drift
