#include "core/diagnostics.h"

#include <algorithm>
#include <tuple>

namespace drift {

std::string Error::ToString() const {
  if (where.file.empty()) return message;
  std::string out = where.file;
  if (where.line) {
    // Appended piecewise: `"literal" + std::string&&` trips GCC 12's -Wrestrict (PR105329).
    out += ':';
    out += std::to_string(where.line);
    if (where.column) {
      out += ':';
      out += std::to_string(where.column);
    }
  }
  return out + ": " + message;
}

std::string Diagnostic::ToString() const {
  return Error{(warning ? "warning: " : "") + message, where}.ToString();
}

void Diagnostics::Error(Position where, std::string message) {
  items_.push_back(Diagnostic{std::move(where), std::move(message), false});
}

void Diagnostics::Warning(Position where, std::string message) {
  items_.push_back(Diagnostic{std::move(where), std::move(message), true});
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

size_t Diagnostics::error_count() const {
  size_t n = 0;
  for (auto& d : Sorted())
    if (!d.warning) ++n;
  return n;
}

std::vector<Diagnostic> Diagnostics::Sorted() const {
  std::vector<Diagnostic> out = items_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.where.file, a.where.line, a.where.column) <
           std::tie(b.where.file, b.where.line, b.where.column);
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace drift
