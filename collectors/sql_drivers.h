// The SQL drivers behind `type: sql`: each runs one read-only query and returns its rows as a
// typed Table. Blocking; every function is thread-safe (one connection per call, nothing
// shared but the client libraries' own initialisation).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/table.h"

namespace drift {

struct SqlQuery {
  std::string dsn;  // secrets already resolved
  std::string query;
  // Bounds connecting, the server's statement time and each wait for the server (MySQL's
  // client-side socket timeouts are per read, in whole seconds).
  std::chrono::milliseconds timeout{0};
  size_t max_rows = 0;                   // more rows is an error
};

Result<Table> QuerySqlite(const SqlQuery& q);    // sql_sqlite.cc
Result<Table> QueryPostgres(const SqlQuery& q);  // sql_postgres.cc

// A MySQL/MariaDB DSN: `mysql://user:pw@host:3306/db?ssl-mode=REQUIRED&ssl-ca=ca.pem` (also
// `mariadb://`; user, password and database percent-decoded) or key=value words
// (`host=db1 port=3306 user=drift password='p w' database=lms ssl-mode=VERIFY_CA`).
struct MysqlDsn {
  enum class SslMode { kDisabled, kPreferred, kRequired, kVerifyCa, kVerifyIdentity };
  std::string host = "localhost", user, password, database, socket;
  unsigned port = 3306;
  std::optional<SslMode> ssl_mode;  // unset: VERIFY_IDENTITY, or PREFERRED on loopback
  std::string ssl_ca, ssl_capath, ssl_cert, ssl_key;
  SslMode effective_ssl_mode() const;
  std::string where() const;  // "host:port" or the socket, for messages
};
// Errors name the key or part at fault, never a value (a value may be a password).
Result<MysqlDsn> ParseMysqlDsn(std::string_view dsn);
// MySQL and MariaDB (sql_mysql.cc); `q.dsn` is not read.
Result<Table> QueryMysql(const MysqlDsn& dsn, const SqlQuery& q);

// An exact decimal (SQL DECIMAL/NUMERIC text) as drift reads it: an integer when `integral`
// (the column's scale is 0) and it fits 64 bits, else a float when a double holds it exactly
// to its 15 significant digits, else the text itself, so no digit is silently lost.
ScalarValue DecimalValue(std::string_view text, bool integral);

// "query returned more than N rows (max_rows)": the error of every driver.
Error TooManyRows(std::string_view driver, size_t max_rows);

}  // namespace drift
