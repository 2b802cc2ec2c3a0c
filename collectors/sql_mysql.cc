// driver: mysql — MySQL and MariaDB through the MariaDB Connector/C (text protocol, rows
// streamed with mysql_use_result so `max_rows` bounds memory as well as the answer).
#include <mysql.h>
#include <errmsg.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>

#include "collectors/sql_drivers.h"
#include "core/crypto.h"
#include "core/interpolate.h"
#include "core/strings.h"

namespace drift {
namespace {

using Clock = std::chrono::steady_clock;

std::optional<MysqlDsn::SslMode> ParseSslMode(std::string_view v) {
  std::string s = ToLower(v);
  for (char& c : s)
    if (c == '-') c = '_';
  if (s == "disabled") return MysqlDsn::SslMode::kDisabled;
  if (s == "preferred") return MysqlDsn::SslMode::kPreferred;
  if (s == "required") return MysqlDsn::SslMode::kRequired;
  if (s == "verify_ca") return MysqlDsn::SslMode::kVerifyCa;
  if (s == "verify_identity") return MysqlDsn::SslMode::kVerifyIdentity;
  return std::nullopt;
}

Result<std::string> PercentDecode(std::string_view s, std::string_view what) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    unsigned v = 0;
    const char* end = s.data() + std::min(s.size(), i + 3);
    auto r = std::from_chars(s.data() + i + 1, end, v, 16);
    if (i + 3 > s.size() || r.ec != std::errc() || r.ptr != end)
      return MakeError("bad %-escape in the " + std::string(what) + " of the mysql DSN");
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

// One DSN option (from a key=value word or a URL query parameter) into `d`.
Result<bool> SetOption(MysqlDsn& d, std::string key, std::string value) {
  for (char& c : key)
    if (c == '_') c = '-';
  key = ToLower(key);
  if (key == "host") d.host = std::move(value);
  else if (key == "port") {
    unsigned p = 0;
    auto r = std::from_chars(value.data(), value.data() + value.size(), p);
    if (r.ec != std::errc() || r.ptr != value.data() + value.size() || p == 0 || p > 65535)
      return MakeError("the port of a mysql DSN must be a number from 1 to 65535");
    d.port = p;
  } else if (key == "user") d.user = std::move(value);
  else if (key == "password") d.password = std::move(value);
  else if (key == "database" || key == "dbname") d.database = std::move(value);
  else if (key == "socket") d.socket = std::move(value);
  else if (key == "ssl-mode") {
    auto m = ParseSslMode(value);
    if (!m)
      return MakeError(
          "ssl-mode of a mysql DSN must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA or "
          "VERIFY_IDENTITY");
    d.ssl_mode = *m;
  } else if (key == "ssl-ca") d.ssl_ca = std::move(value);
  else if (key == "ssl-capath") d.ssl_capath = std::move(value);
  else if (key == "ssl-cert") d.ssl_cert = std::move(value);
  else if (key == "ssl-key") d.ssl_key = std::move(value);
  else
    return MakeError("unknown mysql DSN option '" + key +
                     "' (expected host, port, user, password, database, socket, ssl-mode, "
                     "ssl-ca, ssl-capath, ssl-cert or ssl-key)");
  return true;
}

Result<MysqlDsn> ParseUrl(std::string_view s) {
  MysqlDsn d;
  s.remove_prefix(s.find("://") + 3);
  std::string_view query;
  if (auto q = s.find('?'); q != std::string_view::npos) {
    query = s.substr(q + 1);
    s = s.substr(0, q);
  }
  std::string_view path;
  if (auto slash = s.find('/'); slash != std::string_view::npos) {
    path = s.substr(slash + 1);
    s = s.substr(0, slash);
  }
  if (auto at = s.rfind('@'); at != std::string_view::npos) {
    std::string_view info = s.substr(0, at);
    s = s.substr(at + 1);
    std::string_view user = info, pw;
    bool has_pw = false;
    if (auto colon = info.find(':'); colon != std::string_view::npos) {
      user = info.substr(0, colon);
      pw = info.substr(colon + 1);
      has_pw = true;
    }
    auto u = PercentDecode(user, "user");
    if (!u.ok()) return u.error();
    d.user = *u;
    if (has_pw) {
      auto p = PercentDecode(pw, "password");
      if (!p.ok()) return p.error();
      d.password = *p;
    }
  }
  std::string_view host = s, port;
  if (s.starts_with('[')) {
    auto close = s.find(']');
    if (close == std::string_view::npos)
      return MakeError("an IPv6 host in a mysql URL needs its closing ]");
    host = s.substr(1, close - 1);
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return MakeError("expected :port after the ] of an IPv6 host");
      port = rest.substr(1);
    }
  } else if (auto colon = s.rfind(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (!host.empty()) d.host = std::string(host);
  if (!port.empty())
    if (auto r = SetOption(d, "port", std::string(port)); !r.ok()) return r.error();
  auto db = PercentDecode(path, "database");
  if (!db.ok()) return db.error();
  d.database = *db;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    auto k = PercentDecode(item.substr(0, eq), "query");
    auto v = PercentDecode(eq == std::string_view::npos ? "" : item.substr(eq + 1), "query");
    if (!k.ok()) return k.error();
    if (!v.ok()) return v.error();
    if (auto r = SetOption(d, *k, *v); !r.ok()) return r.error();
  }
  return d;
}

// libpq-style words: key=value, values optionally in single quotes with \' and \\.
Result<MysqlDsn> ParseWords(std::string_view s) {
  MysqlDsn d;
  size_t i = 0;
  auto space = [&] { while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i; };
  int word = 0;
  for (space(); i < s.size(); space()) {
    ++word;
    size_t k0 = i;
    while (i < s.size() && s[i] != '=' && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::string key(s.substr(k0, i - k0));
    space();
    // The word itself is not shown: it may be the end of a password holding a space.
    if (i >= s.size() || s[i] != '=')
      return MakeError("a mysql DSN is a mysql:// URL or key=value words; word " +
                       std::to_string(word) + " has no =value (quote a value with spaces: key='a b')");
    ++i;
    space();
    std::string value;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '\\' && i < s.size()) {
          value += s[i++];
        } else if (c == '\'') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) return MakeError("the value of " + key + " in the mysql DSN lacks its closing '");
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) value += s[i++];
    }
    if (auto r = SetOption(d, key, std::move(value)); !r.ok()) return r.error();
  }
  return d;
}

// "localhost" or a loopback IP literal (a name such as 127.db.example.org is not one).
bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

// What the driver says, without a password even if the server echoed one.
std::string Message(MYSQL* m, const MysqlDsn& d) {
  std::string msg = mysql_error(m);
  return d.password.empty() ? msg : ScrubSecrets(std::move(msg), {d.password});
}

// Ends a streamed result without reading the rows still on the way (mysql_free_result would
// read every one of them first).
void Abandon(MYSQL* m) { shutdown(static_cast<int>(mysql_get_socket(m)), SHUT_RDWR); }

void InitLibrary() {
  // mysql_library_init is not thread-safe; mysql_init would call it on the first use.
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

// The text protocol's value as drift reads it; `len` bytes at `v`.
ScalarValue Cell(const MYSQL_FIELD& f, const char* v, unsigned long len) {
  ScalarValue out;
  std::string_view text(v, len);
  auto as_int = [&] {
    int64_t i = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), i);
    if (r.ec == std::errc() && r.ptr == text.data() + text.size()) {
      out.type = Type::kInt;
      out.i = i;
    } else {  // an unsigned BIGINT above 2^63-1: a float, as in JSON
      out.type = Type::kFloat;
      out.f = std::strtod(std::string(text).c_str(), nullptr);
    }
  };
  switch (f.type) {
    case MYSQL_TYPE_TINY:
      if (f.length == 1) {  // declared TINYINT(1) / BOOLEAN
        out.type = Type::kBool;
        out.b = text != "0";
      } else {
        as_int();
      }
      return out;
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
      as_int();
      return out;
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
      out.type = Type::kFloat;
      out.f = std::strtod(std::string(text).c_str(), nullptr);
      return out;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
      return DecimalValue(text, f.decimals == 0);
    case MYSQL_TYPE_BIT: {  // big-endian bytes; BIT(1) is a flag
      uint64_t bits = 0;
      for (unsigned char c : text) bits = (bits << 8) | c;
      if (f.length == 1) {
        out.type = Type::kBool;
        out.b = bits != 0;
      } else if (bits <= static_cast<uint64_t>(INT64_MAX)) {
        out.type = Type::kInt;
        out.i = static_cast<int64_t>(bits);
      } else {
        out.type = Type::kFloat;
        out.f = static_cast<double>(bits);
      }
      return out;
    }
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_DATETIME2:
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIMESTAMP2: {
      // ISO 8601; TIMESTAMPs are read in UTC (the session's time_zone), so they say so.
      out.type = Type::kString;
      out.s = std::string(text);
      if (out.s.size() > 10 && out.s[10] == ' ') out.s[10] = 'T';
      bool timestamp = f.type == MYSQL_TYPE_TIMESTAMP || f.type == MYSQL_TYPE_TIMESTAMP2;
      if (timestamp && !out.s.starts_with("0000-00-00")) out.s += 'Z';
      return out;
    }
    case MYSQL_TYPE_NULL:
      return out;
    case MYSQL_TYPE_JSON:  // MySQL's JSON: text (MariaDB's JSON is a LONGTEXT anyway)
      break;
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_GEOMETRY:
      // Bytes, not text (charset 63 is `binary`): never shown, only told apart.
      if (f.charsetnr == 63) {
        out.type = Type::kString;
        out.s = "[binary " + std::to_string(len) + " bytes, sha256:" +
                Sha256Hex(text).substr(0, 12) + "]";
        return out;
      }
      break;
    default:
      break;
  }
  out.type = Type::kString;
  out.s = std::string(text);
  return out;
}

bool ReadOnlyStatement(std::string_view q) {
  // Skip blanks, comments and opening parentheses to the first keyword.
  size_t i = 0;
  for (;;) {
    while (i < q.size() && (std::isspace(static_cast<unsigned char>(q[i])) || q[i] == '(')) ++i;
    if (q.substr(i).starts_with("/*")) {
      size_t end = q.find("*/", i + 2);
      if (end == std::string_view::npos) return false;
      i = end + 2;
    } else if (q.substr(i).starts_with("#") || q.substr(i).starts_with("-- ")) {
      size_t end = q.find('\n', i);
      if (end == std::string_view::npos) return false;
      i = end + 1;
    } else {
      break;
    }
  }
  size_t j = i;
  while (j < q.size() && std::isalpha(static_cast<unsigned char>(q[j]))) ++j;
  std::string word = ToLower(q.substr(i, j - i));
  // SELECT … INTO OUTFILE/DUMPFILE writes a file on the server, read-only transaction or not.
  std::string flat;
  for (char c : ToLower(q)) flat += std::isspace(static_cast<unsigned char>(c)) ? ' ' : c;
  for (size_t at = flat.find("into"); at != std::string::npos; at = flat.find("into", at + 4)) {
    size_t k = flat.find_first_not_of(' ', at + 4);
    if (k != std::string::npos &&
        (flat.compare(k, 7, "outfile") == 0 || flat.compare(k, 8, "dumpfile") == 0))
      return false;
  }
  return word == "select" || word == "with" || word == "show" || word == "table" ||
         word == "values" || word == "desc" || word == "describe";
}

}  // namespace

MysqlDsn::SslMode MysqlDsn::effective_ssl_mode() const {
  if (ssl_mode) return *ssl_mode;
  // A Unix socket or loopback never leaves the machine: TLS when offered, unverified.
  if (!socket.empty() || IsLoopback(host)) return SslMode::kPreferred;
  return SslMode::kVerifyIdentity;
}

std::string MysqlDsn::where() const {
  if (!socket.empty()) return socket;
  if (host == "localhost") return "localhost";
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

Result<MysqlDsn> ParseMysqlDsn(std::string_view dsn) {
  std::string_view t = Trim(dsn);
  if (t.starts_with("mysql://") || t.starts_with("mariadb://")) return ParseUrl(t);
  if (t.find("://") != std::string_view::npos)
    return MakeError("a mysql DSN URL starts with mysql:// or mariadb://");
  return ParseWords(t);
}

Result<Table> QueryMysql(const MysqlDsn& d, const SqlQuery& q) {
  auto start = Clock::now();
  auto deadline = start + q.timeout;
  auto timed_out = [&] {
    Error e = MakeError("MySQL query timed out after " + FormatDuration(q.timeout));
    e.kind = ErrorKind::kTimeout;
    return e;
  };
  if (!ReadOnlyStatement(q.query))
    return MakeError(
        "a mysql query must be a SELECT (or WITH, SHOW, TABLE, VALUES, DESCRIBE) statement, "
        "without INTO OUTFILE or DUMPFILE");
  InitLibrary();
  std::unique_ptr<MYSQL, void (*)(MYSQL*)> m(mysql_init(nullptr), mysql_close);
  if (!m) return MakeError("MySQL: out of memory");
  MYSQL* c = m.get();
  // Socket timeouts in whole seconds: the client side of `timeout` (the server's own statement
  // limit is set below, in milliseconds).
  unsigned secs = static_cast<unsigned>(std::max<long long>(1, (q.timeout.count() + 999) / 1000));
  mysql_optionsv(c, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
  mysql_optionsv(c, MYSQL_OPT_READ_TIMEOUT, &secs);
  mysql_optionsv(c, MYSQL_OPT_WRITE_TIMEOUT, &secs);
  // A server must not be able to ask for the client's files (LOAD DATA LOCAL).
  unsigned no_local_infile = 0;
  mysql_optionsv(c, MYSQL_OPT_LOCAL_INFILE, &no_local_infile);
  mysql_optionsv(c, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  auto mode = d.effective_ssl_mode();
  if (mode != MysqlDsn::SslMode::kDisabled) {
    auto opt = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    mysql_ssl_set(c, opt(d.ssl_key), opt(d.ssl_cert), opt(d.ssl_ca), opt(d.ssl_capath), nullptr);
    // Set only when on: in the connector, turning an option off can also turn TLS off.
    my_bool on = 1;
    if (mode != MysqlDsn::SslMode::kPreferred) mysql_optionsv(c, MYSQL_OPT_SSL_ENFORCE, &on);
    // The connector checks the chain and the host name together: VERIFY_CA is as strict as
    // VERIFY_IDENTITY here.
    if (mode == MysqlDsn::SslMode::kVerifyCa || mode == MysqlDsn::SslMode::kVerifyIdentity)
      mysql_optionsv(c, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
  }
  // Only the usual authentication plugins: never send the password in clear text
  // (mysql_clear_password) or to a plugin a server names.
  mysql_optionsv(c, MARIADB_OPT_RESTRICTED_AUTH,
                 "mysql_native_password,caching_sha2_password,client_ed25519,sha256_password");
  auto str = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
  if (!mysql_real_connect(c, d.host.c_str(), str(d.user), d.password.c_str(), str(d.database),
                          d.port, str(d.socket), 0)) {
    Error e = MakeError("cannot connect to MySQL at " + d.where() + ": " + Message(c, d));
    unsigned no = mysql_errno(c);
    if (no == CR_SSL_CONNECTION_ERROR) e.kind = ErrorKind::kTls;
    else if (Clock::now() >= deadline && (no == CR_CONNECTION_ERROR || no == CR_CONN_HOST_ERROR ||
                                          no == CR_SERVER_LOST))
      e.kind = ErrorKind::kTimeout;
    else if (no == CR_CONNECTION_ERROR || no == CR_CONN_HOST_ERROR || no == CR_UNKNOWN_HOST)
      e.kind = ErrorKind::kUnreachable;
    return e;
  }
  // The connector enforces TLS only together with certificate checks: REQUIRED is checked here.
  if (mode != MysqlDsn::SslMode::kDisabled && mode != MysqlDsn::SslMode::kPreferred &&
      !mysql_get_ssl_cipher(c)) {
    Error e = MakeError("cannot connect to MySQL at " + d.where() +
                        ": the server does not offer TLS (ssl-mode " +
                        (mode == MysqlDsn::SslMode::kRequired ? "REQUIRED" : "VERIFY_*") + ")");
    e.kind = ErrorKind::kTls;
    return e;
  }
  // MariaDB 10.1+ limits a statement by max_statement_time (seconds), MySQL 5.7.8+ a SELECT by
  // max_execution_time (milliseconds).
  bool mariadb = std::string_view(mysql_get_server_info(c)).find("MariaDB") != std::string::npos;
  auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left_ms.count() <= 0) return timed_out();
  std::string limit = mariadb ? "max_statement_time = " + std::to_string(left_ms.count() / 1000.0)
                              : "max_execution_time = " + std::to_string(left_ms.count());
  // A read-only session as well as a read-only transaction: statements that commit implicitly
  // (DDL) end the transaction but not the session's read-only mode.
  for (const std::string& sql : {std::string("SET SESSION TRANSACTION READ ONLY"),
                                 "SET SESSION time_zone = '+00:00', SESSION " + limit,
                                 std::string("START TRANSACTION READ ONLY")}) {
    if (mysql_real_query(c, sql.data(), sql.size()) != 0)
      return MakeError("MySQL: " + Message(c, d));
  }
  auto failed = [&](const std::string& what) -> Error {
    unsigned no = mysql_errno(c);
    // 1969: MariaDB's max_statement_time; 3024: MySQL's max_execution_time.
    if (no == 1969 || no == 3024 || ((no == CR_SERVER_LOST || no == CR_SERVER_GONE_ERROR) &&
                                     Clock::now() >= deadline))
      return timed_out();
    // Once connected, a TLS read that fails is the connection going too.
    if (no == CR_SERVER_LOST || no == CR_SERVER_GONE_ERROR || no == CR_SSL_CONNECTION_ERROR)
      return MakeError(what + "the connection to the server was lost: " + Message(c, d));
    return MakeError(what + Message(c, d));
  };
  if (mysql_real_query(c, q.query.data(), q.query.size()) != 0) return failed("MySQL query: ");
  std::unique_ptr<MYSQL_RES, void (*)(MYSQL_RES*)> res(mysql_use_result(c), mysql_free_result);
  if (!res) {
    if (mysql_errno(c) != 0) return failed("MySQL query: ");
    return MakeError("MySQL query returned no rows or columns (a statement without a result)");
  }
  Table t;
  unsigned ncol = mysql_num_fields(res.get());
  MYSQL_FIELD* fields = mysql_fetch_fields(res.get());
  for (unsigned i = 0; i < ncol; ++i) t.columns.emplace_back(fields[i].name, fields[i].name_length);
  while (MYSQL_ROW row = mysql_fetch_row(res.get())) {
    if (t.rows.size() == q.max_rows) {
      Abandon(c);
      return TooManyRows("MySQL", q.max_rows);
    }
    if ((t.rows.size() & 4095) == 4095 && Clock::now() >= deadline) {
      Abandon(c);
      return timed_out();
    }
    unsigned long* lengths = mysql_fetch_lengths(res.get());
    std::vector<ScalarValue> cells(ncol);
    for (unsigned i = 0; i < ncol; ++i)
      if (row[i]) cells[i] = Cell(fields[i], row[i], lengths[i]);
    t.rows.push_back(std::move(cells));
  }
  if (mysql_errno(c) != 0) {  // the stream ended early: the server went, or the time limit hit
    Error e = failed("MySQL query: ");
    if (e.kind != ErrorKind::kTimeout) e.kind = ErrorKind::kTruncated;
    return e;
  }
  return t;
}

}  // namespace drift
