#include "tests/collectors/collectors_testing.h"

namespace drift {
namespace {

using testing::AsJson;
using testing::BuildCollector;
using testing::TempDir;

TEST_CASE("exec: argv per env, no shell, output parsed") {
  TempDir dir;
  auto b = BuildCollector(dir, R"({type: exec, command: [printf, '{"env": "%s", "x": "$HOME"}', "{env}"]})");
  REQUIRE(b->collector);
  auto first = b->Collect();
  INFO((first.ok() ? "" : first.error().ToString()));
  REQUIRE(first.ok());
  CHECK(AsJson(*first) == R"({"env":"stage","x":"$HOME"})");
  dir.write("print.sh", "#!/bin/sh\necho \"cwd: $(basename $(pwd))\"\necho \"arg: $1\"\n");
  std::filesystem::permissions(dir.file("print.sh"), std::filesystem::perms::owner_all);
  auto rel = BuildCollector(dir, "{type: exec, command: [./print.sh, \"{ENV}\"]}");
  CHECK(AsJson(*rel->Collect()) ==
        "{\"cwd\":\"" + std::filesystem::path(dir.path()).filename().string() + "\",\"arg\":\"STAGE\"}");
}

TEST_CASE("exec: a timeout kills the process group") {
  TempDir dir;
  auto b = BuildCollector(dir, "{type: exec, command: [sh, -c, 'sleep 30 & sleep 30'], timeout: 300ms}");
  auto t0 = std::chrono::steady_clock::now();
  auto r = b->Collect();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "sh timed out after 300ms (killed its process group)");
}

TEST_CASE("exec: garbage output, non-zero exit with stderr, missing program, size cap") {
  TempDir dir;
  auto garbage = BuildCollector(dir, "{type: exec, command: [printf, '{\"a\": [1,'], format: json}");
  auto g = garbage->Collect();
  REQUIRE_FALSE(g.ok());
  CHECK(g.error().ToString().starts_with("printf (stdout):1:"));
  auto three = BuildCollector(dir, "{type: exec, command: [sh, -c, 'echo partial; echo boom >&2; exit 3']}");
  CHECK(three->Collect().error().message == "sh exited with status 3: boom");
  auto missing = BuildCollector(dir, "{type: exec, command: [drift-no-such-program]}");
  CHECK(missing->Collect().error().message ==
        "cannot run drift-no-such-program: No such file or directory");
  auto big = BuildCollector(dir, "{type: exec, command: [head, -c, '100000', /dev/zero], max_size: 1000}");
  CHECK(big->Collect().error().message == "head printed more than 1000 bytes (max_size)");
  setenv("DRIFT_TEST_EXEC_SECRET", "pa55word-xyz", 1);
  auto secret = BuildCollector(dir, "{type: exec, command: [sh, -c, 'echo $0 >&2; exit 1', '${env:DRIFT_TEST_EXEC_SECRET}']}");
  CHECK(secret->Collect().error().message == "sh exited with status 1: ***");
  unsetenv("DRIFT_TEST_EXEC_SECRET");
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

// Processes of ours running `sleep <seconds>` (by their command line).
int Sleepers(const std::string& seconds) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = testing::ReadFile(e.path().string() + "/cmdline");
    if (cmd == "sleep" + std::string(1, '\0') + seconds + std::string(1, '\0')) ++n;
  }
  return n;
}

TEST_CASE("exec: a command that exits is read even when what it started keeps stdout open") {
  testing::TempDir dir;
  // setsid: the sleeper leaves the command's process group and keeps its stdout.
  auto b = testing::BuildCollector(
      dir, R"({type: exec, command: [sh, -c, 'setsid sleep 313 & echo "{\"ok\": true}"'], timeout: 20s})");
  auto t0 = std::chrono::steady_clock::now();
  auto r = b->Collect();
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  CHECK(testing::AsJson(*r) == R"({"ok":true})");
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  // Nothing is left behind, at any collection.
  CHECK(r.ok());
  CHECK(b->Collect().ok());
  CHECK(testing::WaitForCount([] { return Sleepers("313"); }, 0));
  // Nor after a timeout, for a sleeper outside the group.
  auto t = testing::BuildCollector(
      dir, "{type: exec, command: [sh, -c, 'setsid sleep 314 & sleep 30'], timeout: 300ms}");
  CHECK_FALSE(t->Collect().ok());
  CHECK(testing::WaitForCount([] { return Sleepers("314"); }, 0));
  // A command that closes its output and runs on is still bounded by its timeout.
  auto closed = testing::BuildCollector(
      dir, "{type: exec, command: [sh, -c, 'exec >&- 2>&-; sleep 315'], timeout: 300ms}");
  auto c = closed->Collect();
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().message == "sh timed out after 300ms (killed its process group)");
  CHECK(testing::WaitForCount([] { return Sleepers("315"); }, 0));
}

}  // namespace
}  // namespace drift
