// type: sql — a read-only query per env (PostgreSQL through libpq, or SQLite).
#include "collectors/builtin.h"

namespace drift {
namespace {

struct SqlOptions {
  std::string driver, dsn, query;
  std::vector<std::string> key;
};

class SqlCollector final : public Collector {
 public:
  SqlOptions o;
  CommonOptions common;
  std::string describe() const override { return o.driver + " query"; }
  Result<Document> Collect() override {
    return MakeError("the sql collector is not available in this build yet");
  }
};

}  // namespace

std::unique_ptr<Collector> MakeSqlCollector(const YAML::Node& spec, const SourceContext& ctx,
                                            YamlReader& r) {
  auto c = std::make_unique<SqlCollector>();
  c->common = ReadCommonOptions(spec, ctx.config, r);
  bool ok = true;
  auto need = [&](const char* key, std::string& out) {
    auto v = Get(spec, key);
    if (!v.IsDefined()) {
      r.Error(spec, std::string("a sql source needs ") + key);
      ok = false;
      return YAML::Node();
    }
    if (auto s = r.String(v, key)) out = ctx.expand(*s);
    else ok = false;
    return v;
  };
  auto driver = need("driver", c->o.driver);
  if (driver.IsDefined() && ok && c->o.driver != "postgresql" && c->o.driver != "sqlite") {
    r.Error(driver, "unknown sql driver '" + c->o.driver + "' (expected postgresql or sqlite)");
    ok = false;
  }
  need("dsn", c->o.dsn);
  need("query", c->o.query);
  if (auto k = Get(spec, "key"); k.IsDefined()) {
    if (auto l = r.StringList(k, "key", true)) c->o.key = *l;
    else ok = false;
  }
  if (!ok) return nullptr;
  return c;
}

}  // namespace drift
