// The line formats: dotenv (KEY=value, export, quotes, multi-line quoted values) and ini
// ([section] and key = value).
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/parse.h"
#include "core/strings.h"

namespace drift {

// ---------------------------------------------------------------- line formats

namespace {
// The lines of a dotenv or ini text, trimmed, with their 1-based numbers, and columns of
// parts of them. A parser that reads a value over several lines resumes after it.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  struct Line {
    std::string_view text;  // trimmed
    uint32_t number;
    size_t start;  // offset of the line in the whole text
  };
  std::optional<Line> Next() {
    if (pos_ > text_.size()) return std::nullopt;
    size_t nl = text_.find('\n', pos_);
    if (nl == std::string_view::npos) nl = text_.size();
    Line l{Trim(text_.substr(pos_, nl - pos_)), ++number_, pos_};
    pos_ = nl + 1;
    return l;
  }
  // 1-based column of `part` (a view into line `l`).
  uint32_t Column(const Line& l, std::string_view part) const {
    return static_cast<uint32_t>(part.data() - text_.data() - l.start + 1);
  }
  // Continues with the line after the one holding `offset`, which is line `number`.
  void ResumeAfter(size_t offset, uint32_t number) {
    size_t nl = text_.find('\n', offset);
    pos_ = nl == std::string_view::npos ? text_.size() + 1 : nl + 1;
    number_ = number;
  }
  std::string_view text() const { return text_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  uint32_t number_ = 0;
};
}  // namespace

// ---------------------------------------------------------------- dotenv

Result<Document> ParseDotenv(std::string_view text, const ParseOptions& options) {
  Document doc;
  doc.set_origin(options.origin);
  std::vector<Entry> entries;
  std::unordered_map<KeyId, size_t> index;
  Lines lines(text);
  while (auto l = lines.Next()) {
    std::string_view line = l->text;
    uint32_t lineno = l->number;
    if (line.empty() || line[0] == '#') continue;
    if (line.starts_with("export ") || line.starts_with("export\t")) line = Trim(line.substr(7));
    size_t eq = line.find('=');
    uint32_t col = lines.Column(*l, line);
    if (eq == std::string_view::npos)
      return MakeError("expected KEY=value", Position{options.origin, lineno, col});
    std::string_view key = Trim(line.substr(0, eq));
    if (key.empty())
      return MakeError("empty variable name before '='", Position{options.origin, lineno, col});
    for (char c : key) {
      if (!(IsIdentChar(c) || c == '.'))
        return MakeError("invalid variable name '" + std::string(key) + "'",
                         Position{options.origin, lineno, col});
    }
    std::string_view rest = Trim(line.substr(eq + 1));
    uint32_t vcol = lines.Column(*l, rest);
    std::string value;
    if (!rest.empty() && (rest[0] == '"' || rest[0] == '\'')) {
      char q = rest[0];
      uint32_t start_line = lineno;
      // A quoted value may span lines (PEM keys in .env files).
      size_t i = 1;
      std::string_view all = text.substr(rest.data() - text.data());
      bool closed = false;
      for (; i < all.size(); ++i) {
        char c = all[i];
        if (c == q) {
          closed = true;
          break;
        }
        if (c == '\n') ++lineno;
        if (q == '"' && c == '\\' && i + 1 < all.size()) {
          char n = all[++i];
          switch (n) {
            case 'n': value += '\n'; break;
            case 't': value += '\t'; break;
            case 'r': value += '\r'; break;
            default: value += n;
          }
          continue;
        }
        value += c;
      }
      if (!closed)
        return MakeError(std::string("unterminated ") + (q == '"' ? "double" : "single") +
                             "-quoted value",
                         Position{options.origin, start_line, vcol});
      size_t end = (all.data() - text.data()) + i + 1;
      std::string_view tail = Trim(text.substr(end, text.find('\n', end) - end));
      if (!tail.empty() && tail[0] != '#')
        return MakeError("unexpected text after the closing quote",
                         Position{options.origin, lineno, vcol});
      lines.ResumeAfter(end, lineno);
    } else {
      // An unquoted value ends at " #" (an inline comment).
      size_t hash = rest.find(" #");
      if (hash == std::string_view::npos) hash = rest.find("\t#");
      value = std::string(Trim(rest.substr(0, hash)));
    }
    KeyId k = doc.intern(key);
    NodeId v = doc.add_string(value, lineno, vcol);
    auto [it, fresh] = index.emplace(k, entries.size());
    if (fresh) entries.push_back(Entry{k, v});
    else entries[it->second].value = v;
  }
  doc.set_root(doc.add_container(Type::kMap, entries, 1, 1));
  return doc;
}

// ---------------------------------------------------------------- ini

Result<Document> ParseIni(std::string_view text, const ParseOptions& options) {
  Document doc;
  doc.set_origin(options.origin);
  struct Section {
    KeyId key;
    uint32_t line, col;
    std::vector<Entry> entries;
    std::unordered_map<KeyId, size_t> index;
  };
  std::vector<Section> sections;
  Section top{kNoKey, 1, 1, {}, {}};
  std::unordered_map<KeyId, size_t> section_index;
  size_t cur_index = SIZE_MAX;  // SIZE_MAX: keys before any section
  Lines lines(text);
  while (auto l = lines.Next()) {
    std::string_view line = l->text;
    uint32_t lineno = l->number;
    uint32_t col = line.empty() ? 1 : lines.Column(*l, line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      size_t close = line.find(']');
      if (close == std::string_view::npos)
        return MakeError("section header without ']'", Position{options.origin, lineno, col});
      std::string_view name = Trim(line.substr(1, close - 1));
      if (name.empty())
        return MakeError("empty section name", Position{options.origin, lineno, col});
      KeyId k = doc.intern(name);
      auto [it, fresh] = section_index.emplace(k, sections.size());
      if (fresh) sections.push_back(Section{k, lineno, col, {}, {}});
      cur_index = it->second;
      continue;
    }
    size_t sep = line.find_first_of("=:");
    if (sep == std::string_view::npos)
      return MakeError("expected 'key = value' or '[section]'",
                       Position{options.origin, lineno, col});
    std::string_view key = Trim(line.substr(0, sep));
    if (key.empty()) return MakeError("empty key", Position{options.origin, lineno, col});
    std::string_view value = Trim(line.substr(sep + 1));
    if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0])
      value = value.substr(1, value.size() - 2);
    uint32_t vcol = static_cast<uint32_t>(col + sep + 1);
    KeyId k = doc.intern(key);
    NodeId v = doc.add_string(value, lineno, vcol);
    Section& cur = cur_index == SIZE_MAX ? top : sections[cur_index];
    auto [it, fresh] = cur.index.emplace(k, cur.entries.size());
    if (fresh) cur.entries.push_back(Entry{k, v});
    else cur.entries[it->second].value = v;
  }
  std::vector<Entry> root = top.entries;
  for (auto& s : sections) {
    NodeId id = doc.add_container(Type::kMap, s.entries, s.line, s.col);
    root.push_back(Entry{s.key, id});
  }
  doc.set_root(doc.add_container(Type::kMap, root, 1, 1));
  return doc;
}

}  // namespace drift
