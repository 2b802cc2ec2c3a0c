// driver: sqlite — a database file opened read-only; only read-only statements run.
#include <sqlite3.h>

#include <chrono>
#include <memory>

#include "collectors/sql_drivers.h"
#include "core/interpolate.h"

namespace drift {

Result<Table> QuerySqlite(const SqlQuery& q) {
  const std::string& dsn = q.dsn;
  auto timeout = q.timeout;
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
  if (sqlite3_prepare_v2(db, q.query.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
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
    if (t.rows.size() == q.max_rows) return TooManyRows("SQLite", q.max_rows);
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

}  // namespace drift
