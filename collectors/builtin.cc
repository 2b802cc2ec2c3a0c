// Every collector type, listed explicitly (no static-initialiser registration).
#include "collectors/builtin.h"

#include <vector>

#include "core/strings.h"

namespace drift {

std::unique_ptr<Collector> MakeFileCollector(const YAML::Node&, const SourceContext&, YamlReader&);
std::unique_ptr<Collector> MakeHttpCollector(const YAML::Node&, const SourceContext&, YamlReader&);
std::unique_ptr<Collector> MakeSqlCollector(const YAML::Node&, const SourceContext&, YamlReader&);
std::unique_ptr<Collector> MakeExecCollector(const YAML::Node&, const SourceContext&, YamlReader&);
std::unique_ptr<Collector> MakeKubernetesCollector(const YAML::Node&, const SourceContext&,
                                                   YamlReader&);

namespace {
constexpr std::string_view kFileKeys[] = {"path", "max_size"};
constexpr std::string_view kHttpKeys[] = {"url",     "headers", "ca_file", "insecure",
                                          "retries", "max_size"};
constexpr std::string_view kSqlKeys[] = {"driver", "dsn", "query", "max_rows"};
constexpr std::string_view kExecKeys[] = {"command", "max_size"};
constexpr std::string_view kKubernetesKeys[] = {
    "kubeconfig", "context",            "kind",  "api_version", "namespace", "name",
    "selector",   "keep_server_fields", "strip", "qps",         "max_size"};

constexpr CollectorType kTypes[] = {
    {"file", &MakeFileCollector, kFileKeys},
    {"http", &MakeHttpCollector, kHttpKeys},
    {"sql", &MakeSqlCollector, kSqlKeys},
    {"exec", &MakeExecCollector, kExecKeys},
    {"kubernetes", &MakeKubernetesCollector, kKubernetesKeys},
};
}  // namespace

std::span<const CollectorType> BuiltinCollectors() { return kTypes; }

const CollectorType* FindCollectorType(std::string_view name) {
  for (const auto& t : kTypes)
    if (t.name == name) return &t;
  return nullptr;
}

std::string UnknownCollectorType(std::string_view name) {
  std::vector<std::string_view> names;
  for (const auto& t : kTypes) names.push_back(t.name);
  std::string expected;
  for (size_t i = 0; i < names.size(); ++i)
    expected += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + std::string(names[i]);
  return "unknown source type '" + std::string(name) + "' (expected " + expected + ")" +
         DidYouMean(std::string(name), names);
}

std::unique_ptr<Collector> MakeCollector(const SourceContext& ctx, YamlReader& reader) {
  for (const auto& t : kTypes) {
    if (t.name != ctx.source.type) continue;
    YAML::Node spec = ctx.source.For(ctx.env);
    std::vector<std::string_view> allowed(std::begin(kCommonSourceKeys),
                                          std::end(kCommonSourceKeys));
    allowed.insert(allowed.end(), t.keys.begin(), t.keys.end());
    // Keys are checked on the nodes as written (a merged node has no positions).
    std::string where = std::string(t.name) + " source '" + ctx.source.name + "'";
    reader.CheckKeys(ctx.source.spec, allowed, where);
    if (auto o = ctx.source.overrides.find(ctx.env); o != ctx.source.overrides.end())
      reader.CheckKeys(o->second, allowed, where);
    return t.factory(spec, ctx, reader);
  }
  reader.Error(ctx.source.spec["type"], UnknownCollectorType(ctx.source.type));
  return nullptr;
}

}  // namespace drift
