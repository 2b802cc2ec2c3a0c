// type: sql — a read-only query per env (PostgreSQL through libpq, or SQLite).
#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>

#include "collectors/builtin.h"
#include "core/interpolate.h"
#include "core/strings.h"
#include "core/table.h"

namespace drift {
namespace {

Result<Table> QuerySqlite(const std::string& dsn, const std::string& query, Millis timeout) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(dsn.c_str(), &db, flags, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(db, sqlite3_close);
  if (rc != SQLITE_OK)
    return MakeError("cannot open SQLite database " + dsn + ": " +
                     (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  sqlite3_busy_timeout(db, static_cast<int>(timeout.count()));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  sqlite3_progress_handler(
      db, 10000,
      [](void* p) -> int {
        return std::chrono::steady_clock::now() >
                       *static_cast<std::chrono::steady_clock::time_point*>(p)
                   ? 1
                   : 0;
      },
      &deadline);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, query.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
    return MakeError(std::string("SQLite query: ") + sqlite3_errmsg(db));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> sguard(stmt, sqlite3_finalize);
  if (!stmt) return MakeError("SQLite query is empty");
  if (!sqlite3_stmt_readonly(stmt)) return MakeError("SQLite query is not read-only");
  Table t;
  int ncol = sqlite3_column_count(stmt);
  for (int c = 0; c < ncol; ++c) t.columns.push_back(sqlite3_column_name(stmt, c));
  for (;;) {
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      if (rc == SQLITE_INTERRUPT)
        return MakeError("SQLite query timed out after " + FormatDuration(timeout));
      return MakeError(std::string("SQLite query: ") + sqlite3_errmsg(db));
    }
    std::vector<ScalarValue> row(ncol);
    for (int c = 0; c < ncol; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          row[c].type = Type::kInt;
          row[c].i = sqlite3_column_int64(stmt, c);
          break;
        case SQLITE_FLOAT:
          row[c].type = Type::kFloat;
          row[c].f = sqlite3_column_double(stmt, c);
          break;
        case SQLITE_NULL: break;
        default:
          row[c].type = Type::kString;
          row[c].s.assign(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                             static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
      }
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string PqError(PGconn* c) {
  std::string m = PQerrorMessage(c);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

Result<Table> QueryPostgres(const std::string& dsn, const std::string& query, Millis timeout) {
  std::string connect_timeout = std::to_string(std::max<long long>(1, timeout.count() / 1000));
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {dsn.c_str(), connect_timeout.c_str(), "drift", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  std::unique_ptr<PGconn, void (*)(PGconn*)> guard(conn, PQfinish);
  if (!conn || PQstatus(conn) != CONNECTION_OK)
    return MakeError("cannot connect to PostgreSQL: " + (conn ? PqError(conn) : "out of memory"));
  // SQLSTATE 57014 (query_canceled): what statement_timeout ends a query with, whatever the
  // server's language.
  constexpr std::string_view kQueryCanceled = "57014";
  bool timed_out = false;
  auto exec = [&](const std::string& sql) -> Result<std::unique_ptr<PGresult, void (*)(PGresult*)>> {
    std::unique_ptr<PGresult, void (*)(PGresult*)> r(PQexec(conn, sql.c_str()), PQclear);
    auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
      timed_out = state && kQueryCanceled == state;
      return MakeError(PqError(conn));
    }
    return r;
  };
  // A read-only transaction: the query cannot change anything, whatever it says.
  if (auto r = exec("BEGIN READ ONLY"); !r.ok()) return MakeError("PostgreSQL: " + r.error().message);
  if (auto r = exec("SET LOCAL statement_timeout = " + std::to_string(timeout.count())); !r.ok())
    return MakeError("PostgreSQL: " + r.error().message);
  auto res = exec(query);
  if (!res.ok()) {
    if (timed_out) {
      Error e = MakeError("PostgreSQL query timed out after " + FormatDuration(timeout));
      e.kind = ErrorKind::kTimeout;
      return e;
    }
    return MakeError("PostgreSQL query: " + res.error().message);
  }
  PGresult* r = res->get();
  Table t;
  int ncol = PQnfields(r);
  for (int c = 0; c < ncol; ++c) t.columns.push_back(PQfname(r, c));
  for (int row = 0; row < PQntuples(r); ++row) {
    std::vector<ScalarValue> cells(ncol);
    for (int c = 0; c < ncol; ++c) {
      if (PQgetisnull(r, row, c)) continue;
      const char* v = PQgetvalue(r, row, c);
      ScalarValue& cell = cells[c];
      switch (PQftype(r, c)) {
        case 16:  // bool
          cell.type = Type::kBool;
          cell.b = v[0] == 't';
          break;
        case 20:
        case 21:
        case 23:  // int8, int2, int4
          cell.type = Type::kInt;
          cell.i = std::strtoll(v, nullptr, 10);
          break;
        case 700:
        case 701:
        case 1700:  // float4, float8, numeric
          cell.type = Type::kFloat;
          cell.f = std::strtod(v, nullptr);
          break;
        default:
          cell.type = Type::kString;
          cell.s = v;
      }
    }
    t.rows.push_back(std::move(cells));
  }
  (void)exec("ROLLBACK");
  return t;
}

class SqlCollector final : public BlockingCollector {
 public:
  using BlockingCollector::BlockingCollector;
  std::string driver, dsn, query, dir;
  std::string describe() const override { return driver + " query"; }

  Result<Document> Collect(const CollectRequest&) const override {  // rows: always parsed
    auto resolved = ResolveSecretRefs(dsn, dir);
    if (!resolved.ok()) return resolved.error();
    std::string target = *resolved;
    if (driver == "sqlite" && !target.starts_with("file:") && !target.starts_with("/"))
      target = dir + "/" + target;
    auto table = driver == "sqlite" ? QuerySqlite(target, query, common_.timeout)
                                    : QueryPostgres(target, query, common_.timeout);
    if (!table.ok()) {
      Error e = table.error();
      // libpq messages name hosts and users, never passwords; scrub the DSN anyway.
      if (HasSecretRefs(dsn)) e.message = ScrubSecrets(e.message, {*resolved});
      return e;
    }
    auto doc = TableToDocument(*table, common_.key, driver + " query", "query result");
    if (!doc.ok()) return doc;
    return FinishSnapshot(std::move(*doc), common_);
  }
};

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
      c->driver != "sqlite") {
    r.Error(driver, "unknown sql driver '" + c->driver + "' (expected postgresql or sqlite)");
    ok = false;
  }
  need("dsn", c->dsn);
  need("query", c->query);
  if (!ok) return nullptr;
  return c;
}

}  // namespace drift
