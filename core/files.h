// Reading whole files, the one way drift does it: the bytes, or an error that names the file
// and the cause. Thread-safe.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <limits>
#include <string>

#include "core/result.h"

namespace drift {

struct ReadLimits {
  uint64_t max_size = std::numeric_limits<uint64_t>::max();
  std::string max_size_key;  // named in the too-large error ("max_size"), when a config sets it
  size_t slack = 0;          // capacity past the end (parsers that read in place)
};

// "cannot read PATH: <cause>" (missing, unreadable, a directory, short read), or "PATH is
// 70.2 MiB, over the 64 MiB limit (max_size)". `info`, when given, gets the status of the
// file that was read (the same open file, so it describes these bytes even if PATH is
// replaced meanwhile).
Result<std::string> ReadWholeFile(const std::string& path, const ReadLimits& limits = {},
                                  struct stat* info = nullptr);

// 64 MiB, 1.5 MiB, 300 bytes.
std::string HumanSize(uint64_t bytes);

}  // namespace drift
