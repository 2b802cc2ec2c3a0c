// A snapshot kept compressed while it is idle. A daemon watching a fleet holds tens of
// thousands of small documents that are read again only when a sibling env changes (about 9 KB
// each for a 200-key file, most of a 10,000-service daemon's memory); packed with zstd at
// level 1 they take about a third, and unpacking one costs microseconds.
// Immutable once built; thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/document.h"

namespace drift {

class PackedDocument {
 public:
  // Documents above this many bytes of storage are not packed: few, and unpacking them for
  // each evaluation would cost more than the memory saved.
  static constexpr size_t kMaxBytes = size_t{1} << 20;

  // nullptr when `d` is larger than kMaxBytes (or the compression fails).
  static std::shared_ptr<const PackedDocument> Pack(const Document& d);
  // The document as it was packed (origin, raw digest and warnings included).
  Document Unpack() const;
  size_t bytes() const { return data_.size(); }

 private:
  std::string data_;  // raw size (8 bytes, native order) + zstd frame
};

}  // namespace drift
