#include "core/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace drift {

std::string HumanSize(uint64_t n) {
  constexpr uint64_t kMiB = 1ull << 20;
  if (n >= kMiB && n % kMiB == 0) return std::to_string(n / kMiB) + " MiB";
  if (n >= kMiB) return std::to_string(n / kMiB) + "." + std::to_string((n % kMiB) * 10 / kMiB) + " MiB";
  return std::to_string(n) + " bytes";
}

Result<std::string> ReadWholeFile(const std::string& path, const ReadLimits& limits,
                                  struct stat* info) {
  auto cannot = [&](const std::string& why) { return MakeError("cannot read " + path + ": " + why); };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return cannot(std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return cannot(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return cannot("is a directory");
  if (info) *info = st;
  uint64_t size = static_cast<uint64_t>(st.st_size);
  auto too_large = [&](const std::string& what) {
    return MakeError(path + " is " + what + " the " + HumanSize(limits.max_size) + " limit" +
                     (limits.max_size_key.empty() ? "" : " (" + limits.max_size_key + ")"));
  };
  if (S_ISREG(st.st_mode) && size > limits.max_size)
    return too_large(HumanSize(size) + ", over");
  std::string bytes;
  if (S_ISREG(st.st_mode)) {
    bytes.reserve(size + limits.slack);
    bytes.resize(size);
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::read(fd, bytes.data() + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return cannot(std::strerror(errno));
      if (n == 0) return cannot("short read");
      done += static_cast<size_t>(n);
    }
    return bytes;
  }
  // Not a regular file (a pipe, /dev/stdin): read to the end, within the limit.
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return cannot(std::strerror(errno));
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
    if (bytes.size() > limits.max_size) return too_large("over");
  }
  return bytes;
}

}  // namespace drift
