// Collected config errors and warnings, each with file:line:col (SPEC §2 Validation).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace drift {

struct Diagnostic {
  Position where;
  std::string message;
  bool warning = false;
  // "file:line:col: message" or "file:line:col: warning: message".
  std::string ToString() const;
  bool operator==(const Diagnostic& o) const {
    return where.file == o.where.file && where.line == o.where.line &&
           where.column == o.where.column && message == o.message && warning == o.warning;
  }
};

// Not thread-safe; one per load.
class Diagnostics {
 public:
  void Error(Position where, std::string message);
  void Warning(Position where, std::string message);
  bool has_errors() const;
  size_t error_count() const;
  // In file order, duplicates (the same message at the same place) dropped.
  std::vector<Diagnostic> Sorted() const;
  const std::vector<Diagnostic>& items() const { return items_; }

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace drift
