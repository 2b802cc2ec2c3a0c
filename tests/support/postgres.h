// A real PostgreSQL cluster for tests: initdb into a temp dir, 127.0.0.1 on a free port,
// run as the `postgres` OS user when we are root (PostgreSQL refuses to run as root).
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>

#include "tests/support/process.h"
#include "tests/testing.h"

namespace drift::testing {

class TestPostgres {
 public:
  TestPostgres() {
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql")) {
      if (std::filesystem::exists(e.path() / "bin/initdb")) bin_ = (e.path() / "bin").string();
    }
    REQUIRE_MESSAGE(!bin_.empty(), "PostgreSQL server binaries not found (scripts/install-deps)");
    std::string tmpl = "/tmp/drift-pg-XXXXXX";
    dir_ = mkdtemp(tmpl.data());
    as_ = geteuid() == 0 ? "runuser -u postgres -- " : "";
    if (geteuid() == 0) Sh("chown postgres: " + dir_);
    port_ = FreePort();
    REQUIRE(Sh(as_ + bin_ + "/initdb -D " + dir_ + "/data -U postgres -A trust -E UTF8 --locale=C "
                         "--no-sync >" + dir_ + "/initdb.log 2>&1") == 0);
    REQUIRE(Sh(as_ + bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/log -w -o \"-c "
                         "listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " + dir_ +
               " -F\" start >/dev/null") == 0);
  }

  ~TestPostgres() {
    Sh(as_ + bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w stop >/dev/null 2>&1");
    // Zombies can be reaped late: wait for the pid file, not the process.
    for (int i = 0; i < 100 && std::filesystem::exists(dir_ + "/data/postmaster.pid"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string base_dsn() const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres";
  }
  std::string dsn(const std::string& db) const { return base_dsn() + " dbname=" + db; }
  int port() const { return port_; }

  void Exec(const std::string& db, const std::string& sql) const {
    PGconn* c = PQconnectdb(dsn(db).c_str());
    REQUIRE_MESSAGE(PQstatus(c) == CONNECTION_OK, PQerrorMessage(c));
    PGresult* r = PQexec(c, sql.c_str());
    auto st = PQresultStatus(r);
    std::string err = PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
    REQUIRE_MESSAGE((st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK), err);
  }

 private:
  static int Sh(const std::string& cmd) { return std::system(cmd.c_str()); }
  std::string bin_, dir_, as_;
  int port_ = 0;
};

}  // namespace drift::testing
