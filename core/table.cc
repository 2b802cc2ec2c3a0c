#include "core/table.h"

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace drift {

Result<Document> TableToDocument(const Table& t, const std::vector<std::string>& key,
                                 const std::string& origin, std::string_view what) {
  Document d;
  d.set_origin(origin);
  std::vector<size_t> key_idx;
  for (const auto& k : key) {
    auto it = std::find(t.columns.begin(), t.columns.end(), k);
    if (it == t.columns.end())
      return MakeError("key column '" + k + "' is not in the " + std::string(what) + " (columns: " +
                       [&] {
                         std::string c;
                         for (const auto& x : t.columns) c += (c.empty() ? "" : ", ") + x;
                         return c;
                       }() +
                       ")");
    key_idx.push_back(static_cast<size_t>(it - t.columns.begin()));
  }
  auto line_of = [&](size_t r) -> uint32_t { return r < t.lines.size() ? t.lines[r] : 0; };
  auto row_map = [&](size_t r) {
    std::vector<Entry> cols;
    for (size_t c = 0; c < t.columns.size(); ++c) {
      if (std::find(key_idx.begin(), key_idx.end(), c) != key_idx.end()) continue;
      cols.push_back(Entry{d.intern(t.columns[c]), d.add_scalar(t.rows[r][c], line_of(r), 0)});
    }
    return d.add_container(Type::kMap, cols, line_of(r), 0);
  };
  if (key.empty()) {
    std::vector<Entry> rows;
    for (size_t r = 0; r < t.rows.size(); ++r) rows.push_back(Entry{kNoKey, row_map(r)});
    d.set_root(d.add_container(Type::kList, rows));
    return d;
  }
  // Nested maps key by key, each level in the order its keys first appear; looked up by hash
  // (a table may have 100,000 rows).
  struct Level {
    std::vector<std::string> order;
    std::unordered_map<std::string, size_t> index;
    std::vector<std::unique_ptr<Level>> kids;
    size_t row = SIZE_MAX;
  };
  Level top;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    Level* cur = &top;
    for (size_t k = 0; k < key_idx.size(); ++k) {
      std::string text = t.rows[r][key_idx[k]].text();
      auto [it, fresh] = cur->index.emplace(text, cur->kids.size());
      if (fresh) {
        cur->order.push_back(text);
        cur->kids.push_back(std::make_unique<Level>());
      }
      cur = cur->kids[it->second].get();
    }
    if (cur->row != SIZE_MAX) {
      std::string k;
      for (size_t i : key_idx) k += (k.empty() ? "" : ", ") + t.rows[r][i].text();
      std::string where = line_of(r) ? " (line " + std::to_string(line_of(r)) + ")" : "";
      return MakeError("the key (" + k + ") appears in more than one row of the " +
                       std::string(what) + where);
    }
    cur->row = r;
  }
  // Recursion as deep as there are key columns.
  struct Builder {
    Document& d;
    const decltype(row_map)& row;
    NodeId Build(const Level& l) {
      if (l.row != SIZE_MAX) return row(l.row);
      std::vector<Entry> kids;
      kids.reserve(l.order.size());
      for (size_t i = 0; i < l.order.size(); ++i)
        kids.push_back(Entry{d.intern(l.order[i]), Build(*l.kids[i])});
      return d.add_container(Type::kMap, kids);
    }
  };
  Builder b{d, row_map};
  d.set_root(b.Build(top));
  return d;
}

Result<Table> ParseDelimited(std::string_view text, char sep, bool quoting,
                             const std::string& origin) {
  Table t;
  size_t i = 0;
  uint32_t line = 1;
  if (text.starts_with("\xEF\xBB\xBF")) i = 3;  // a UTF-8 byte order mark (Excel writes one)
  auto fail = [&](uint32_t at, const std::string& msg) -> Error {
    return MakeError(msg, Position{origin, at, 1});
  };
  bool header = true;
  while (i < text.size()) {
    uint32_t row_line = line;
    std::vector<ScalarValue> row;
    bool end_of_row = false, quoted = false;
    while (!end_of_row) {
      if (!header && row.size() >= t.columns.size())  // said before building a huge row
        return fail(row_line, "a row has more fields than the header's " +
                                  std::to_string(t.columns.size()));
      std::string field;
      if (quoting && i < text.size() && text[i] == '"') {
        quoted = true;
        uint32_t opened = line;
        ++i;
        for (;;) {
          if (i >= text.size()) return fail(opened, "a quoted field is never closed");
          char c = text[i++];
          if (c == '"') {
            if (i < text.size() && text[i] == '"') {
              field += '"';
              ++i;
              continue;
            }
            break;
          }
          if (c == '\n') ++line;
          field += c;
        }
        if (i < text.size() && text[i] != sep && text[i] != '\n' && text[i] != '\r')
          return fail(line, "text after a closing quote (a quote inside a field is written \"\")");
      } else {
        while (i < text.size() && text[i] != sep && text[i] != '\n' && text[i] != '\r')
          field += text[i++];
      }
      ScalarValue v;
      v.type = Type::kString;
      v.s = std::move(field);
      row.push_back(std::move(v));
      if (i < text.size() && text[i] == sep) {
        ++i;
        continue;
      }
      if (i < text.size() && text[i] == '\r') ++i;
      if (i < text.size() && text[i] == '\n') {
        ++i;
        ++line;
      }
      end_of_row = true;
    }
    if (row.size() == 1 && row[0].s.empty() && !quoted) continue;  // a blank line ("" is not)
    if (header) {
      std::unordered_set<std::string> seen;
      for (auto& v : row) {
        if (v.s.empty()) return fail(row_line, "a header column is empty");
        if (!seen.insert(v.s).second)
          return fail(row_line, "the header names column '" + v.s + "' twice");
        t.columns.push_back(std::move(v.s));
      }
      header = false;
      continue;
    }
    if (row.size() != t.columns.size())
      return fail(row_line, "a row has " + std::to_string(row.size()) + " fields, the header " +
                                std::to_string(t.columns.size()));
    t.rows.push_back(std::move(row));
    t.lines.push_back(row_line);
  }
  if (header) return fail(1, "no header row");
  return t;
}

}  // namespace drift
