// The subcommands behind RunCli (SPEC §5), one file each group: check.cc (check, validate),
// inspect.cc (owners, history), diff.cc. Internal to the cli library.
#pragma once

#include "pipeline/program.h"

#include <ostream>
#include <string>
#include <vector>

#include "core/diagnostics.h"

namespace drift {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnknown = 3;

void PrintDiagnostics(const Diagnostics& diags, std::ostream& err);

// `drift check`'s options as given on the command line.
struct CheckArgs {
  std::string format = "table", fail_on = "warning", output;
  std::vector<std::string> services, envs;
  bool suggest = false, timings = false, list_services = false;
  bool progress = false;  // a progress line on stderr (a terminal) while collecting
};
// "collecting 120/300 sources, 3 failed; waiting on api:443 (180 left, 4 at a time)": the
// hosts named are those with more collections left than `per_host` lets run at once.
std::string ProgressLine(const CheckProgress::Snapshot& s, int per_host);
int Check(const std::string& config_path, const CheckArgs& args, bool tty, std::ostream& out,
          std::ostream& err);
int Validate(const std::string& config_path, bool discover, std::ostream& out, std::ostream& err);
int Owners(const std::string& config_path, const std::string& only, const std::string& format,
           bool check, std::ostream& out, std::ostream& err);
int History(const std::string& config_path, const std::string& finding, const std::string& service,
            const std::string& path, const std::string& format, std::ostream& out,
            std::ostream& err);
int Diff(const std::string& a_path, const std::string& b_path, const std::string& format,
         const std::vector<std::string>& normalize, const std::string& env_a,
         const std::string& env_b, const std::string& format_a, const std::string& format_b,
         std::ostream& out, std::ostream& err);

}  // namespace drift
