#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // A write past the file-size limit (a full quota, `ulimit -f`) fails with EFBIG, reported
  // like any other store error, instead of killing the process.
  signal(SIGXFSZ, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  std::ios::sync_with_stdio(false);
  int rc = drift::RunCli(args, std::cout, std::cerr, isatty(STDOUT_FILENO) != 0,
                         isatty(STDERR_FILENO) != 0);
  std::cout.flush();
  return rc;
}
