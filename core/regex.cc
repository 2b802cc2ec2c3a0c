#include "core/regex.h"

#include <re2/re2.h>

#include <vector>

#include "core/strings.h"

namespace drift {

namespace {
// Where the UTF-8 character after the one starting at `i` starts.
size_t NextChar(std::string_view text, size_t i) {
  size_t next = i + 1;
  while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
  return next;
}

// Patterns of 100,000 characters compile within this; RE2's default (8 MiB) refuses some
// that users do write (long alternations of host names).
constexpr int64_t kMaxProgramMemory = 64 << 20;
}  // namespace

Result<Regex> Regex::Compile(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxProgramMemory);
  auto re = std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    std::string why = re->error();
    // RE2 quotes the offending part of the pattern, which may be huge.
    // (Shorten keeps max - 1 characters before its "…".)
    return MakeError("invalid regex '" + Shorten(pattern, 81) + "': " + Shorten(why, 121) +
                     " (RE2 syntax, as in Prometheus: no backreferences or lookaround)");
  }
  Regex out;
  out.re_ = std::move(re);
  return out;
}

std::string Regex::Escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

const std::string& Regex::pattern() const {
  static const std::string kEmpty;
  return re_ ? re_->pattern() : kEmpty;
}

bool Regex::FullMatch(std::string_view text) const {
  return re_ && RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

bool Regex::Search(std::string_view text, std::string* group1) const {
  if (!re_) return false;
  re2::StringPiece input(text.data(), text.size());
  int groups = re_->NumberOfCapturingGroups();
  re2::StringPiece m[2];
  int n = groups >= 1 ? 2 : 1;
  if (!re_->Match(input, 0, input.size(), RE2::UNANCHORED, m, n)) return false;
  if (group1) {
    const re2::StringPiece& g = groups >= 1 ? m[1] : m[0];
    group1->assign(g.data() ? g.data() : "", g.size());
  }
  return true;
}

std::string Regex::ReplaceAll(std::string_view text, std::string_view with) const {
  if (!re_) return std::string(text);
  int groups = re_->NumberOfCapturingGroups();
  std::vector<re2::StringPiece> m(groups + 1);
  re2::StringPiece input(text.data(), text.size());
  std::string out;
  size_t pos = 0;          // copied up to here
  size_t search = 0;       // next match starts here or later
  size_t last_end = std::string::npos;  // end of the previous match
  bool matched_any = false;
  while (search <= input.size()) {
    if (!re_->Match(input, search, input.size(), RE2::UNANCHORED, m.data(), groups + 1)) break;
    size_t start = m[0].data() - input.data();
    size_t end = start + m[0].size();
    if (start == end && start == last_end) {
      // An empty match right after a match is not another one (as in Go and Python):
      // move on by one character (a whole UTF-8 sequence).
      search = NextChar(text, start);
      continue;
    }
    matched_any = true;
    out.append(text.substr(pos, start - pos));
    for (size_t i = 0; i < with.size(); ++i) {
      char c = with[i];
      if (c != '$' || i + 1 == with.size()) {
        out += c;
        continue;
      }
      if (with[i + 1] == '$') {
        out += '$';
        ++i;
        continue;
      }
      if (with[i + 1] == '&') {  // the whole match, as ECMAScript and sed write it
        out.append(m[0].data(), m[0].size());
        ++i;
        continue;
      }
      size_t j = i + 1;
      bool braced = with[j] == '{';
      if (braced) ++j;
      size_t k = j;
      int idx = 0;
      while (k < with.size() && with[k] >= '0' && with[k] <= '9' && idx < 1000) {
        idx = idx * 10 + (with[k] - '0');
        ++k;
      }
      if (k == j || (braced && (k >= with.size() || with[k] != '}'))) {
        out += c;  // not a group reference: keep the dollar sign as written
        continue;
      }
      if (idx <= groups && m[idx].data()) out.append(m[idx].data(), m[idx].size());
      i = braced ? k : k - 1;
    }
    pos = end;
    last_end = end;
    // After an empty match the next one starts after this character.
    search = end == start ? NextChar(text, start) : end;
  }
  if (!matched_any) return std::string(text);
  if (pos < text.size()) out.append(text.substr(pos));
  return out;
}

}  // namespace drift
