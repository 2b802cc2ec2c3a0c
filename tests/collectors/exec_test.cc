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
  CHECK(AsJson(*b->Collect()) == R"({"env":"stage","x":"$HOME"})");
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
