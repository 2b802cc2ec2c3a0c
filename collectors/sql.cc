// type: sql — a read-only query per env through one of the drivers of sql_drivers.h
// (PostgreSQL, MySQL/MariaDB, SQLite); rows become a snapshot keyed by `key:` columns.
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <memory>

#include "collectors/builtin.h"
#include "collectors/sql_drivers.h"
#include "core/interpolate.h"
#include "core/secrets.h"
#include "core/strings.h"

namespace drift {

ScalarValue DecimalValue(std::string_view text, bool integral) {
  ScalarValue v;
  if (integral) {
    auto r = std::from_chars(text.data(), text.data() + text.size(), v.i);
    if (r.ec == std::errc() && r.ptr == text.data() + text.size()) {
      v.type = Type::kInt;
      return v;
    }
  }
  // Significant digits: a double holds 15 exactly.
  std::string_view t = text;
  if (t.starts_with('-') || t.starts_with('+')) t.remove_prefix(1);
  bool number = !t.empty() && t.find_first_not_of("0123456789.") == std::string_view::npos &&
                std::count(t.begin(), t.end(), '.') <= 1 && t != ".";
  if (number) {
    std::string digits;
    for (char c : t)
      if (c != '.') digits += c;
    if (t.find('.') != std::string_view::npos) {
      // trailing zeros of the fraction are not significant
      size_t frac_zeros = 0;
      for (size_t i = t.size(); i > 0 && t[i - 1] == '0'; --i) ++frac_zeros;
      digits.resize(digits.size() - std::min(frac_zeros, digits.size()));
    }
    size_t first = digits.find_first_not_of('0');
    size_t significant = first == std::string::npos ? 0 : digits.size() - first;
    if (significant <= 15) {
      v.type = Type::kFloat;
      v.f = std::strtod(std::string(text).c_str(), nullptr);
      return v;
    }
  }
  v.type = Type::kString;
  v.s = std::string(text);
  return v;
}

Error TooManyRows(std::string_view driver, size_t max_rows) {
  return MakeError(std::string(driver) + " query returned more than " + std::to_string(max_rows) +
                   " rows (max_rows): narrow the query or raise the source's max_rows");
}

namespace {

constexpr long long kDefaultMaxRows = 1'000'000;

class SqlCollector final : public BlockingCollector {
 public:
  using BlockingCollector::BlockingCollector;
  std::string driver, dsn, query, dir;
  size_t max_rows = kDefaultMaxRows;
  MysqlDsn mysql;  // driver mysql: the DSN as written, ${env:}/${file:} in its values

  std::string describe() const override { return driver + " query"; }

  Result<Document> Collect(const CollectRequest&) const override {  // rows: always parsed
    SqlQuery q{.dsn = "", .query = query, .timeout = common_.timeout, .max_rows = max_rows};
    std::vector<std::string> secrets;
    Result<Table> table = MakeError("");
    if (driver == "mysql") {
      // Each value resolved on its own, so a password needs no quoting or escaping.
      MysqlDsn d = mysql;
      for (std::string* v : {&d.host, &d.user, &d.password, &d.database, &d.socket, &d.ssl_ca,
                             &d.ssl_capath, &d.ssl_cert, &d.ssl_key}) {
        if (!HasSecretRefs(*v)) continue;
        auto r = ResolveSecretRefs(*v, dir);
        if (!r.ok()) return r.error();
        CollectResolvedSecrets(*v, *r, secrets);
        *v = std::move(*r);
      }
      if (!d.password.empty()) secrets.push_back(d.password);
      for (std::string* path : {&d.ssl_ca, &d.ssl_capath, &d.ssl_cert, &d.ssl_key})
        if (!path->empty() && !path->starts_with('/')) *path = dir + "/" + *path;
      table = QueryMysql(d, q);
    } else {
      auto resolved = ResolveSecretRefs(dsn, dir);
      if (!resolved.ok()) return resolved.error();
      CollectResolvedSecrets(dsn, *resolved, secrets);
      q.dsn = std::move(*resolved);
      if (driver == "sqlite") {
        if (!q.dsn.starts_with("file:") && !q.dsn.starts_with("/")) q.dsn = dir + "/" + q.dsn;
        table = QuerySqlite(q);
      } else {
        table = QueryPostgres(q);
      }
    }
    if (!table.ok()) {
      // Drivers' messages name hosts and users, never passwords; scrub them anyway.
      Error e = table.error();
      e.message = MaskSecretsInText(ScrubSecrets(std::move(e.message), secrets));
      return e;
    }
    auto doc = TableToDocument(*table, common_.key, driver + " query", "query result");
    if (!doc.ok()) return doc;
    return FinishSnapshot(std::move(*doc), common_);
  }
};

// The DSN as written, its ${env:}/${file:} references kept in the values they stand in
// (resolved per collection). They are swapped for opaque tokens while it is parsed: a
// `${file:/run/secrets/pw}` holds the '/' and ':' that split a URL.
Result<MysqlDsn> ParseMysqlTemplate(std::string_view dsn) {
  std::vector<std::string> refs;
  std::string tokenized;
  auto token = [](size_t n) { return std::string(1, '\x01').append(std::to_string(n)) + '\x02'; };
  for (size_t i = 0; i < dsn.size();) {
    if (dsn.substr(i).starts_with("${env:") || dsn.substr(i).starts_with("${file:")) {
      size_t end = dsn.find('}', i);
      if (end != std::string_view::npos) {
        refs.emplace_back(dsn.substr(i, end + 1 - i));
        tokenized += token(refs.size() - 1);
        i = end + 1;
        continue;
      }
    }
    tokenized += dsn[i++];
  }
  auto d = ParseMysqlDsn(tokenized);
  if (!d.ok()) return d;
  for (std::string* v : {&d->host, &d->user, &d->password, &d->database, &d->socket, &d->ssl_ca,
                         &d->ssl_capath, &d->ssl_cert, &d->ssl_key})
    for (size_t n = 0; n < refs.size(); ++n)
      for (size_t at = v->find(token(n)); at != std::string::npos; at = v->find(token(n), at))
        v->replace(at, token(n).size(), refs[n]), at += refs[n].size();
  return d;
}

}  // namespace

std::unique_ptr<Collector> MakeSqlCollector(const YAML::Node& spec, const SourceContext& ctx,
                                            YamlReader& r) {
  auto c = std::make_unique<SqlCollector>(ReadCommonOptions(spec, ctx.config, r, ctx.source.name));
  c->dir = ctx.config.dir;
  bool ok = true;
  auto need = [&](const char* k, std::string& out) {
    auto v = Get(spec, k);
    if (!v.IsDefined()) {
      r.Error(spec, std::string("a sql source needs ") + k);
      ok = false;
      return v;
    }
    if (auto s = r.String(v, k)) out = ctx.expand(*s);
    else ok = false;
    return v;
  };
  auto driver = need("driver", c->driver);
  if (driver.IsDefined() && !c->driver.empty() && c->driver != "postgresql" &&
      c->driver != "mysql" && c->driver != "sqlite") {
    std::vector<std::string_view> names = {"postgresql", "mysql", "sqlite"};
    r.Error(driver, "unknown sql driver '" + c->driver +
                        "' (expected postgresql, mysql or sqlite)" +
                        DidYouMean(c->driver, names));
    ok = false;
  }
  auto dsn = need("dsn", c->dsn);
  if (ok && c->driver == "mysql") {
    if (auto parsed = ParseMysqlTemplate(c->dsn); parsed.ok()) {
      c->mysql = *parsed;
    } else {
      r.Error(dsn, parsed.error().message);
      ok = false;
    }
  }
  need("query", c->query);
  if (auto v = Get(spec, "max_rows"); v.IsDefined()) {
    if (auto n = r.Int(v, "max_rows", 1, 1'000'000'000)) c->max_rows = static_cast<size_t>(*n);
    else ok = false;
  }
  if (!ok) return nullptr;
  return c;
}

}  // namespace drift
