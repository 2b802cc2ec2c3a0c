// The `drift` command line (SPEC §5), callable in-process so tests can check output and
// exit codes without a subprocess.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace drift {

// args excludes the program name. `tty` enables colour in table output.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           bool tty = false);

}  // namespace drift
