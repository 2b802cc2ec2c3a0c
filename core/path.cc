#include "core/path.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "core/strings.h"

namespace drift {

bool IsBareKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key)
    if (!IsIdentChar(c)) return false;
  return true;
}

namespace {
bool IsBareKeyedValue(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v)
    if (!(IsIdentChar(c) || c == '.')) return false;
  return true;
}
}  // namespace

void AppendKey(std::string& out, std::string_view key, bool first) {
  if (IsBareKey(key)) {
    if (!first) out += '.';
    out += key;
  } else {
    out += '[';
    out += JsonQuote(key);
    out += ']';
  }
}

void AppendIndex(std::string& out, int64_t index) {
  out += '[';
  out += index < 0 ? "*" : std::to_string(index);
  out += ']';
}

void AppendKeyed(std::string& out, std::string_view field, std::string_view value) {
  out += '[';
  out += field;
  out += '=';
  out += IsBareKeyedValue(value) ? std::string(value) : JsonQuote(value);
  out += ']';
}

std::string FormatPath(const Path& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    const auto& s = path[i];
    switch (s.kind) {
      case PathSegment::Kind::kKey: AppendKey(out, s.key, i == 0); break;
      case PathSegment::Kind::kIndex: AppendIndex(out, s.index); break;
      case PathSegment::Kind::kKeyed: AppendKeyed(out, s.key, s.value); break;
    }
  }
  return out;
}

namespace {

class PathParser {
 public:
  PathParser(std::string_view t, bool sel) : t_(t), selector_(sel) {}

  Result<Path> Run() {
    if (t_.empty()) return Fail("empty path");
    bool first = true;
    while (i_ < t_.size()) {
      char c = t_[i_];
      if (c == '[') {
        auto seg = Bracket();
        if (!seg.ok()) return seg.error();
        out_.push_back(std::move(*seg));
      } else {
        if (!first) {
          if (c != '.') return Fail(std::string("expected '.' or '[' but found '") + c + "'");
          ++i_;
        }
        size_t start = i_;
        while (i_ < t_.size()) {
          if (IsIdentChar(t_[i_]) || (selector_ && t_[i_] == '*')) {
            ++i_;
          } else if (selector_ && t_[i_] == '{') {
            // {a,b,...}: alternatives within one key (SPEC §3), not nested.
            size_t open = i_++;
            while (i_ < t_.size() && (IsIdentChar(t_[i_]) || t_[i_] == '*' || t_[i_] == ','))
              ++i_;
            if (i_ >= t_.size() || t_[i_] != '}') {
              i_ = open;
              return Fail("'{' without a matching '}' (alternatives are written {a,b} within one key)");
            }
            ++i_;
          } else if (selector_ && t_[i_] == '}') {
            return Fail("'}' without a matching '{'");
          } else {
            break;
          }
        }
        if (i_ == start) {
          if (i_ >= t_.size()) return Fail("path ends after '.'");
          return Fail(std::string("unexpected character '") + t_[i_] +
                      "' (quote such keys as [\"...\"])");
        }
        out_.push_back(PathSegment::Key(std::string(t_.substr(start, i_ - start))));
      }
      first = false;
    }
    return std::move(out_);
  }

 private:
  Error Fail(std::string msg) const {
    return MakeError(msg + " at column " + std::to_string(i_ + 1));
  }

  Result<std::string> QuotedString() {
    // A JSON string literal starting at i_.
    size_t start = i_++;
    while (i_ < t_.size() && t_[i_] != '"') {
      if (t_[i_] == '\\') ++i_;
      ++i_;
    }
    if (i_ >= t_.size()) return Fail("unterminated quoted key");
    ++i_;
    try {
      return nlohmann::json::parse(t_.substr(start, i_ - start)).get<std::string>();
    } catch (const std::exception&) {
      i_ = start;
      return Fail("invalid escape in quoted key");
    }
  }

  Result<PathSegment> Bracket() {
    ++i_;  // '['
    if (i_ >= t_.size()) return Fail("unterminated '['");
    PathSegment seg;
    if (t_[i_] == '"') {
      auto s = QuotedString();
      if (!s.ok()) return s.error();
      seg = PathSegment::Key(std::move(*s));
      seg.quoted = true;
    } else if (selector_ && t_[i_] == '*') {
      ++i_;
      seg = PathSegment::Index(-1);
    } else if (t_[i_] >= '0' && t_[i_] <= '9') {
      size_t start = i_;
      while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
      int64_t v = 0;
      auto [p, ec] = std::from_chars(t_.data() + start, t_.data() + i_, v);
      if (ec != std::errc()) return Fail("index out of range");
      seg = PathSegment::Index(v);
    } else {
      size_t start = i_;
      while (i_ < t_.size() && IsIdentChar(t_[i_])) ++i_;
      if (i_ == start || i_ >= t_.size() || t_[i_] != '=')
        return Fail("expected an index, a quoted key or field=value inside [ ]");
      std::string field(t_.substr(start, i_ - start));
      ++i_;  // '='
      std::string value;
      if (i_ < t_.size() && t_[i_] == '"') {
        auto s = QuotedString();
        if (!s.ok()) return s.error();
        value = std::move(*s);
      } else {
        size_t vs = i_;
        while (i_ < t_.size() && (IsIdentChar(t_[i_]) || t_[i_] == '.')) ++i_;
        if (i_ == vs) return Fail("expected a value after '='");
        value = std::string(t_.substr(vs, i_ - vs));
      }
      seg = PathSegment::Keyed(std::move(field), std::move(value));
    }
    if (i_ >= t_.size() || t_[i_] != ']') return Fail("expected ']'");
    ++i_;
    return seg;
  }

  std::string_view t_;
  bool selector_;
  size_t i_ = 0;
  Path out_;
};

}  // namespace

Result<Path> ParsePath(std::string_view text, bool selector) {
  return PathParser(text, selector).Run();
}

int ComparePaths(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size()), i = 0;
  while (i < n && a[i] == b[i]) ++i;
  if (i == a.size() || i == b.size()) return a.size() == b.size() ? 0 : (i == a.size() ? -1 : 1);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t start = i;  // where the digit run holding the first difference starts (same in both)
  while (start > 0 && digit(a[start - 1])) --start;
  if (start > 0 && a[start - 1] == '[' && start < a.size() && start < b.size() && digit(a[start]) &&
      digit(b[start])) {
    size_t ea = start, eb = start;
    while (ea < a.size() && digit(a[ea])) ++ea;
    while (eb < b.size() && digit(b[eb])) ++eb;
    // Printed indices have no leading zeros: the longer run is the larger number.
    if (ea - start != eb - start) return ea - start < eb - start ? -1 : 1;
    // Same length: the first difference (at i) decides, or the runs are equal and it is after.
  }
  return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]) ? -1 : 1;
}

}  // namespace drift
