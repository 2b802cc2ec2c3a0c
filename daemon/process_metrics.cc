#include "daemon/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace drift {
namespace {

void Family(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(buf).append("\n");
}

// Seconds since the epoch at which the machine booted (/proc/stat btime), 0 if unknown.
double BootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

void AppendProcessMetrics(std::string& out) {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold spaces.
  size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    // f[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
    if (f.size() > 21) {
      double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
      Family(out, "process_cpu_seconds_total", "counter",
             "Total user and system CPU time spent in seconds.", cpu);
      Family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
             std::stod(f[20]));
      Family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
             std::stod(f[21]) * page);
      if (double boot = BootTime(); boot > 0)
        Family(out, "process_start_time_seconds", "gauge",
               "Start time of the process since unix epoch in seconds.",
               boot + std::stod(f[19]) / ticks);
    }
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    double n = 0;
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
    Family(out, "process_open_fds", "gauge", "Number of open file descriptors.", n - 1);  // ours
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
    Family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
           static_cast<double>(lim.rlim_cur));
}

}  // namespace drift
