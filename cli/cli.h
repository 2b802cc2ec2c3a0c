// The `drift` command line (SPEC §5), callable in-process so tests can check output and
// exit codes without a subprocess.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace drift {

// args excludes the program name. `tty` (stdout is a terminal) enables colour in table
// output; `err_tty` (stderr is one) a progress line during a long check. DRIFT_PROGRESS=always
// in the environment shows progress whatever stderr is (=never hides it).
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           bool tty = false, bool err_tty = false);

}  // namespace drift
