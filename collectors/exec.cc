// type: exec — run a command (argv, no shell) per env and parse its stdout.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "collectors/builtin.h"
#include "core/interpolate.h"
#include "core/strings.h"

extern char** environ;

namespace drift {
namespace {

constexpr size_t kStderrRead = 64 * 1024;  // of stderr, read (the rest is drained unread)
constexpr size_t kStderrKeep = 512;         // of stderr's end, shown in errors
// Once the command has exited, how long what it started may still hold its stdout before
// drift takes what was printed as the whole output.
constexpr auto kExitGrace = std::chrono::milliseconds(250);

// Every process of ours whose environment carries `marker` (what a command started,
// whatever session or group it moved to) is killed: a collection leaves nothing running.
void KillMarked(const std::string& marker) {
  DIR* proc = opendir("/proc");
  if (!proc) return;
  pid_t self = getpid();
  // Entries are NUL-separated: match a whole entry (the text gets a NUL in front, so the
  // first entry is matched like the others).
  std::string entry = std::string(1, '\0') + marker + '\0';
  while (dirent* e = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != 0 || pid == self) continue;
    std::ifstream env("/proc/" + std::string(e->d_name) + "/environ", std::ios::binary);
    if (!env) continue;
    std::string text(1, '\0');
    text.append(std::istreambuf_iterator<char>(env), std::istreambuf_iterator<char>());
    text += '\0';
    if (text.find(entry) != std::string::npos) kill(static_cast<pid_t>(pid), SIGKILL);
  }
  closedir(proc);
}

std::string NewMarker() {
  static std::atomic<uint64_t> counter{0};
  return "DRIFT_EXEC_RUN=" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

// A started command: its pid (its own process group) and the read ends of its stdout and
// stderr.
struct Spawned {
  pid_t pid;
  int out, err;
};

// Starts `args` in `dir` with stdin from /dev/null, in a process group of its own, with
// `marker` in its environment.
Result<Spawned> Spawn(std::vector<std::string>& args, const std::string& dir, std::string& marker) {
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return MakeError(std::string("pipe: ") + strerror(errno));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return MakeError(std::string("pipe: ") + strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  // Commands run in the config's directory, like every relative path in drift.yaml.
  if (!dir.empty()) posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills whatever the command started too.
  // drift ignores SIGXFSZ (a full store is an error, not a stop); the command gets the
  // default back, as it would from a shell.
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGXFSZ);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  // The environment marks everything the command starts, so it can all be ended after.
  std::vector<char*> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "DRIFT_EXEC_RUN=", 15) != 0) env.push_back(*e);
  env.push_back(marker.data());
  env.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, cargv[0], &fa, &attr, cargv.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return MakeError("cannot run " + args[0] + ": " + strerror(rc));
  }
  return Spawned{pid, out_pipe[0], err_pipe[0]};
}

// Exited, but not reaped (WNOWAIT): while the zombie stays, its pid and process group number
// cannot be reused, so killing the group cannot hit another.
bool HasExited(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

struct Output {
  std::string out, err;
  bool timed_out = false, too_big = false, exited = false;
};

// Reads the command's stdout (up to max_size) and the start of its stderr until both close,
// the deadline, or a short grace after the command exited while something it started keeps
// its stdout open (`sh -c "daemon & echo {}"`: what it printed is the output).
Output ReadOutput(const Spawned& child, std::chrono::steady_clock::time_point deadline,
                  uint64_t max_size) {
  Output o;
  std::chrono::steady_clock::time_point exited_at;
  pollfd fds[2] = {{child.out, POLLIN, 0}, {child.err, POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0 && !o.too_big) {
    auto now = std::chrono::steady_clock::now();
    if (!o.exited && HasExited(child.pid)) {
      o.exited = true;
      exited_at = now;
    }
    if (o.exited && now - exited_at >= kExitGrace) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    if (left <= 0) {
      o.timed_out = true;
      break;
    }
    int n = poll(fds, 2, static_cast<int>(std::min<long long>(left, o.exited ? 50 : 100)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      if (i == 0) {
        o.out.append(buf, static_cast<size_t>(got));
        if (o.out.size() > max_size) o.too_big = true;
      } else if (o.err.size() < kStderrRead) {
        o.err.append(buf, static_cast<size_t>(got));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  return o;
}

// Nothing the command started outlives the collection: its group, and whatever left the
// group (setsid) but still carries the marker. The command itself, when it was not stopped
// for a timeout or its size, is let finish first (its output is complete, it may be on its
// way out) and reaped last, so its group number stays its own until then. Returns its
// wait status.
int EndAll(pid_t pid, const std::string& marker, std::chrono::steady_clock::time_point deadline,
           Output& o) {
  if (o.timed_out || o.too_big) {
    kill(-pid, SIGKILL);
  } else {
    // Its output is closed; it may still run (a command that closed stdout and goes on):
    // the timeout still bounds it.
    while (!o.exited) {
      if (HasExited(pid)) {
        o.exited = true;
      } else if (std::chrono::steady_clock::now() >= deadline) {
        o.timed_out = true;
        break;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  }
  kill(-pid, SIGKILL);
  KillMarked(marker);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

class ExecCollector final : public BlockingCollector {
 public:
  using BlockingCollector::BlockingCollector;
  std::vector<std::string> argv;  // placeholders expanded; secrets resolved when run
  uint64_t max_size = kDefaultMaxOutputSize;
  std::string dir;

  std::string describe() const override { return argv.empty() ? "" : argv[0]; }

  Result<Document> Collect(const CollectRequest& request) const override {
    std::vector<std::string> args;
    std::vector<std::string> secrets;
    for (const auto& a : argv) {
      auto r = ResolveSecretRefs(a, dir);
      if (!r.ok()) return r.error();
      CollectResolvedSecrets(a, *r, secrets);
      args.push_back(*r);
    }
    std::string marker = NewMarker();
    auto child = Spawn(args, dir, marker);
    if (!child.ok()) return child.error();
    auto deadline = std::chrono::steady_clock::now() + common_.timeout;
    Output o = ReadOutput(*child, deadline, max_size);
    int status = EndAll(child->pid, marker, deadline, o);
    return Outcome(o, status, secrets, request);
  }

 private:
  Result<Document> Outcome(const Output& o, int status, const std::vector<std::string>& secrets,
                           const CollectRequest& request) const {
    auto scrub = [&](std::string m) { return ScrubSecrets(std::move(m), secrets); };
    const std::string& what = argv[0];
    if (o.timed_out) {
      Error e = MakeError(what + " timed out after " + FormatDuration(common_.timeout) +
                          " (killed its process group)");
      e.kind = ErrorKind::kTimeout;
      return e;
    }
    if (o.too_big) {
      Error e = MakeError(what + " printed more than " + std::to_string(max_size) +
                          " bytes (max_size)");
      e.kind = ErrorKind::kTooLarge;
      return e;
    }
    // Masked before it is cut, so that no part of a secret survives the cut.
    std::string tail = scrub(std::string(Trim(o.err)));
    if (tail.size() > kStderrKeep) tail = "…" + tail.substr(tail.size() - kStderrKeep);
    if (WIFSIGNALED(status))
      return MakeError(scrub(what + " was killed by signal " + std::to_string(WTERMSIG(status)) +
                             (tail.empty() ? "" : ": " + tail)));
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
      return MakeError(scrub(what + " exited with status " + std::to_string(WEXITSTATUS(status)) +
                             (tail.empty() ? "" : ": " + tail)));
    auto doc = Parse(o.out, request, what + " (stdout)", Format::kAuto);
    if (!doc.ok()) {
      Error e = doc.error();
      e.message = scrub(e.message);
      return e;
    }
    return doc;
  }
};

}  // namespace

std::unique_ptr<Collector> MakeExecCollector(const YAML::Node& spec, const SourceContext& ctx,
                                             YamlReader& r) {
  auto c = std::make_unique<ExecCollector>(ReadCommonOptions(spec, ctx.config, r, ctx.source.name));
  c->dir = ctx.config.dir;
  bool ok = true;
  auto cmd = Get(spec, "command");
  if (!cmd.IsDefined()) {
    r.Error(spec, "an exec source needs a command (a list: [program, arg, ...])");
    ok = false;
  } else if (auto l = r.StringList(cmd, "command")) {
    if (l->empty()) {
      r.Error(cmd, "command must not be empty");
      ok = false;
    }
    for (auto& a : *l) c->argv.push_back(ctx.expand(a));
    // A relative program path (./scripts/x) is relative to the config; bare names use PATH.
    if (!c->argv.empty() && c->argv[0].find('/') != std::string::npos &&
        !c->argv[0].starts_with("/"))
      c->argv[0] = ctx.config.Resolve(c->argv[0]);
  } else {
    ok = false;
  }
  if (auto m = Get(spec, "max_size"); m.IsDefined()) {
    auto v = r.Int(m, "max_size (bytes)", 1, kMaxSizeLimit);
    if (v) c->max_size = *v;
    else ok = false;
  }
  if (!ok) return nullptr;
  return c;
}

}  // namespace drift
