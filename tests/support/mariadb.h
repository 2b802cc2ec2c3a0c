// A real MariaDB server for tests: mariadb-install-db into a temp dir, mariadbd on 127.0.0.1
// at a free port with TLS from a CA made for the test (ca.pem in dir()), `--user=root` when
// we are root. Setup statements run as root over the server's Unix socket.
#pragma once

#include <mysql.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/process.h"
#include "tests/testing.h"

namespace drift::testing {

class TestMariadb {
 public:
  TestMariadb() {
    RequireTool("/usr/sbin/mariadbd", "mariadb-server");
    RequireTool("mariadb-install-db", "mariadb-server");
    RequireTool("openssl", "openssl");
    std::string tmpl = "/tmp/drift-mariadb-XXXXXX";
    dir_ = mkdtemp(tmpl.data());
    // A CA and a server certificate for 127.0.0.1 and localhost.
    std::string d = dir_;
    REQUIRE(Sh("(cd " + d + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key "
               "-out ca.pem -days 2 -subj /CN=drift-test-ca && openssl req -newkey rsa:2048 "
               "-nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 && printf "
               "'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' >san && openssl x509 -req -in "
               "server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
               "-extfile san) >/dev/null 2>&1") == 0);
    std::string as_root = geteuid() == 0 ? " --user=root" : "";
    REQUIRE(Sh("mariadb-install-db --no-defaults --datadir=" + d + "/data --auth-root-"
               "authentication-method=normal" + as_root + " >" + d + "/install.log 2>&1") == 0);
    port_ = FreePort();
    std::vector<std::string> args = {
        "/usr/sbin/mariadbd",        "--no-defaults",
        "--datadir=" + d + "/data",  "--socket=" + socket(),
        "--port=" + std::to_string(port_), "--bind-address=127.0.0.1",
        "--skip-name-resolve",       "--pid-file=" + d + "/pid",
        "--ssl-ca=" + d + "/ca.pem", "--ssl-cert=" + d + "/server.pem",
        "--ssl-key=" + d + "/server.key", "--innodb-buffer-pool-size=32M",
        "--skip-log-bin"};
    if (geteuid() == 0) args.push_back("--user=root");
    server_ = std::make_unique<Child>(args, d + "/server.log");
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < end) {
      if (MYSQL* c = Connect(false)) {
        mysql_close(c);
        return;
      }
      REQUIRE_MESSAGE(server_->Wait(std::chrono::milliseconds(100)) == -1,
                      ("mariadbd exited: " + ReadFile(d + "/server.log")));
    }
    FAIL("mariadbd did not start: " << ReadFile(d + "/server.log"));
  }

  ~TestMariadb() {
    if (server_) {
      server_->Signal(SIGTERM);
      if (server_->Wait(std::chrono::seconds(30)) == -1) server_.reset();  // SIGKILL
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string socket() const { return dir_ + "/sock"; }
  std::string ca() const { return dir_ + "/ca.pem"; }

  // The first column of the first row of a query run as root ("" when no row or NULL).
  std::string Scalar(const std::string& sql) const {
    MYSQL* c = Connect(false);
    REQUIRE_MESSAGE(c != nullptr, "cannot connect to the test MariaDB as root");
    std::string out;
    bool ok = mysql_real_query(c, sql.data(), sql.size()) == 0;
    std::string err = mysql_error(c);
    if (MYSQL_RES* r = ok ? mysql_store_result(c) : nullptr) {
      if (MYSQL_ROW row = mysql_fetch_row(r); row && row[0]) out = row[0];
      mysql_free_result(r);
    }
    mysql_close(c);
    REQUIRE_MESSAGE(ok, (err + " in: " + sql));
    return out;
  }

  // Runs statements (several, separated by ;) as root; the test fails on any error.
  void Exec(const std::string& sql) const {
    MYSQL* c = Connect(true);
    REQUIRE_MESSAGE(c != nullptr, "cannot connect to the test MariaDB as root");
    int rc = mysql_real_query(c, sql.data(), sql.size());
    std::string err = mysql_error(c);
    while (rc == 0) {
      if (MYSQL_RES* r = mysql_store_result(c)) mysql_free_result(r);
      int next = mysql_next_result(c);
      if (next != 0) {
        if (next > 0) {
          rc = next;
          err = mysql_error(c);
        }
        break;
      }
    }
    mysql_close(c);
    REQUIRE_MESSAGE(rc == 0, (err + " in: " + sql));
  }

 private:
  MYSQL* Connect(bool multi) const {
    MYSQL* c = mysql_init(nullptr);
    unsigned timeout = 5;
    mysql_optionsv(c, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    if (mysql_real_connect(c, "localhost", "root", "", nullptr, 0, socket().c_str(),
                           multi ? CLIENT_MULTI_STATEMENTS : 0))
      return c;
    mysql_close(c);
    return nullptr;
  }
  static int Sh(const std::string& cmd) { return std::system(cmd.c_str()); }
  std::string dir_;
  int port_ = 0;
  std::unique_ptr<Child> server_;
};

}  // namespace drift::testing
