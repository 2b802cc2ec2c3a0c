// Runs drift (the real binary) as a child process, and small HTTP client helpers, for
// end-to-end tests of the daemon.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing.h"

extern char** environ;

namespace drift::testing {

struct HttpResult {
  long status = 0;
  std::string body;
  std::string headers;  // the raw response header lines
  bool has_header(const std::string& line) const {
    return headers.find(line + "\r\n") != std::string::npos;
  }
};

// `headers`: extra request header lines; `decode`: let curl ask for and decode these
// content encodings (e.g. "gzip"), as Prometheus and browsers do.
inline HttpResult HttpDo(const std::string& url, const std::string& method = "GET",
                         const std::string& auth = "",
                         const std::vector<std::string>& headers = {},
                         const char* decode = nullptr) {
  HttpResult r;
  CURL* c = curl_easy_init();
  if (decode) curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, decode);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, +[](char* d, size_t s, size_t n, void* u) {
    static_cast<std::string*>(u)->append(d, s * n);
    return s * n;
  });
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
  curl_slist* h = nullptr;
  if (!auth.empty()) h = curl_slist_append(h, ("Authorization: " + auth).c_str());
  for (const auto& line : headers) h = curl_slist_append(h, line.c_str());
  if (h) curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) {
    static_cast<std::string*>(u)->append(d, s * n);
    return s * n;
  });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return r;
}

// Polls until pred() holds or the timeout passes.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

class Child {
 public:
  // stdout and stderr append to `log`, or stderr to `err_log` when given.
  Child(std::vector<std::string> args, const std::string& log, const std::string& err_log = "") {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, (err_log.empty() ? log : err_log).c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    REQUIRE(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void Signal(int sig) { kill(pid_, sig); }
  pid_t pid() const { return pid_; }
  // The exit status, or -1 when it did not exit in time.
  int Wait(std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < end) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

// Fails the test with a clear message when a tool the test runs is not installed (a missing
// tool must not look like a drift bug). `tool` is a name on PATH or an absolute path.
inline void RequireTool(const std::string& tool, const std::string& package) {
  bool found = false;
  if (tool.starts_with("/")) {
    found = ::access(tool.c_str(), X_OK) == 0;
  } else if (const char* path = std::getenv("PATH")) {
    std::string dirs = path;
    for (size_t b = 0, e; b <= dirs.size(); b = e + 1) {
      e = dirs.find(':', b);
      if (e == std::string::npos) e = dirs.size();
      if (::access((dirs.substr(b, e - b) + "/" + tool).c_str(), X_OK) == 0) found = true;
    }
  }
  std::string why = tool + " is not installed (Debian package " + package +
                    "; scripts/install-deps installs it)";
  REQUIRE_MESSAGE(found, why);
}

// A TCP port on 127.0.0.1 that nothing listens on right now.
inline int FreePort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// The port a daemon started with `--listen 127.0.0.1:0` bound, from its log line
// "listening on 127.0.0.1:PORT" written after `from` (the log's size before it started);
// 0 until it says. Asking the daemon itself, not picking a free port first, cannot race
// with tests running beside it.
inline int BoundPort(const std::string& log, size_t from = 0) {
  std::string text = ReadFile(log);
  if (text.size() <= from) return 0;
  const std::string marker = "listening on 127.0.0.1:";
  auto at = text.find(marker, from);
  if (at == std::string::npos) return 0;
  return std::atoi(text.c_str() + at + marker.size());
}

// Waits for a daemon started with `--listen 127.0.0.1:0`, logging to `log`, to say which
// port it bound; 0 if it never did.
inline int WaitForBoundPort(const std::string& log, size_t from) {
  int port = 0;
  WaitFor([&] { return (port = BoundPort(log, from)) != 0; });
  return port;
}

// `drift daemon -c config` on a loopback port of its choosing, logging to `log`; ready
// (every source tried once, the first round's findings in) when constructed, killed when
// destroyed.
class DaemonProcess {
 public:
  DaemonProcess(const std::string& config, const std::string& log,
                const std::vector<std::string>& extra_args = {}) {
    std::vector<std::string> args{DRIFT_BINARY, "daemon", "-c", config, "--listen",
                                  "127.0.0.1:0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    size_t from = ReadFile(log).size();  // a restarted daemon appends to the same log
    child = std::make_unique<Child>(args, log);
    port = WaitForBoundPort(log, from);
    INFO(ReadFile(log));
    REQUIRE(port != 0);
    bool ready = WaitFor([&] { return HttpDo(url("/readyz")).status == 200; });
    INFO(ReadFile(log));
    REQUIRE(ready);
  }
  std::string url(const std::string& p) const {
    return "http://127.0.0.1:" + std::to_string(port) + p;
  }
  // The value of one series of /metrics (exactly as printed, labels included); -1 if absent.
  double Metric(const std::string& series) const {
    std::string m = HttpDo(url("/metrics")).body;
    auto at = m.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stod(m.substr(at + series.size() + 2));
  }

  int port = 0;
  std::unique_ptr<Child> child;
};

}  // namespace drift::testing
