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
  // A duplicate may be apart from its first at one place (a per-env warning between two
  // per-env copies of one error): drop every later copy within the place.
  std::vector<Diagnostic> unique;
  size_t place = 0;  // where the current place starts in `unique`
  for (auto& d : out) {
    if (!unique.empty()) {
      const Position& p = unique[place].where;
      if (std::tie(p.file, p.line, p.column) !=
          std::tie(d.where.file, d.where.line, d.where.column))
        place = unique.size();
    }
    if (std::find(unique.begin() + static_cast<std::ptrdiff_t>(place), unique.end(), d) ==
        unique.end())
      unique.push_back(std::move(d));
  }
  return unique;
}

}  // namespace drift
