#include "core/files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace drift {

std::string HumanSize(uint64_t n) {
  constexpr uint64_t kMiB = 1ull << 20;
  if (n >= kMiB && n % kMiB == 0) return std::to_string(n / kMiB) + " MiB";
  if (n >= kMiB) return std::to_string(n / kMiB) + "." + std::to_string((n % kMiB) * 10 / kMiB) + " MiB";
  return std::to_string(n) + " bytes";
}

Result<std::string> ReadWholeFile(const std::string& path, const ReadLimits& limits) {
  auto cannot = [&](const std::string& why) { return MakeError("cannot read " + path + ": " + why); };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return cannot(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return cannot("is a directory");
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > limits.max_size)
    return MakeError(path + " is " + HumanSize(size) + ", over the " + HumanSize(limits.max_size) +
                     " limit" + (limits.max_size_key.empty() ? "" : " (" + limits.max_size_key + ")"));
  std::ifstream f(path, std::ios::binary);
  if (!f) return cannot(std::strerror(errno));
  std::string bytes;
  if (S_ISREG(st.st_mode)) {
    bytes.reserve(size + limits.slack);
    bytes.resize(size);
    f.read(bytes.data(), static_cast<std::streamsize>(size));
    if (static_cast<uint64_t>(f.gcount()) != size) return cannot("short read");
    return bytes;
  }
  // Not a regular file (a pipe, /dev/stdin): read to the end, within the limit.
  char buf[65536];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {
    bytes.append(buf, static_cast<size_t>(f.gcount()));
    if (bytes.size() > limits.max_size)
      return MakeError(path + " is over the " + HumanSize(limits.max_size) + " limit" +
                       (limits.max_size_key.empty() ? "" : " (" + limits.max_size_key + ")"));
  }
  return bytes;
}

}  // namespace drift
