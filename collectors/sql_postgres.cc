// driver: postgresql — libpq; the query runs in a read-only transaction under
// statement_timeout.
#include <libpq-fe.h>

#include <cstdlib>
#include <memory>

#include "collectors/sql_drivers.h"
#include "core/interpolate.h"

namespace drift {

namespace {

std::string PqError(PGconn* c) {
  std::string m = PQerrorMessage(c);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

}  // namespace

Result<Table> QueryPostgres(const SqlQuery& q) {
  const std::string& dsn = q.dsn;
  auto timeout = q.timeout;
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
  auto res = exec(q.query);
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
  // libpq holds the whole answer by now; the bound still keeps the snapshot and everything
  // after it in proportion.
  if (static_cast<size_t>(PQntuples(r)) > q.max_rows) return TooManyRows("PostgreSQL", q.max_rows);
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
        case 701:  // float4, float8
          cell.type = Type::kFloat;
          cell.f = std::strtod(v, nullptr);
          break;
        case 1700: {  // numeric: typmod is ((precision << 16) | scale) + 4, -1 when unbounded
          int mod = PQfmod(r, c);
          cell = DecimalValue(v, mod >= 4 && ((mod - 4) & 0xffff) == 0);
          break;
        }
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

}  // namespace drift
