#include "core/parse.h"

#include <simdjson.h>

#include <cstring>
#include <optional>
#include <string>
#include <nlohmann/json.hpp>

#include "core/strings.h"
#include "core/table.h"

namespace drift {

std::string_view FormatName(Format f) {
  switch (f) {
    case Format::kAuto: return "auto";
    case Format::kYaml: return "yaml";
    case Format::kJson: return "json";
    case Format::kEnv: return "env";
    case Format::kIni: return "ini";
    case Format::kCsv: return "csv";
    case Format::kTsv: return "tsv";
    case Format::kLines: return "lines";
  }
  return "auto";
}

Result<Format> ParseFormatName(std::string_view name) {
  if (name == "yaml" || name == "yml") return Format::kYaml;
  if (name == "json") return Format::kJson;
  if (name == "env" || name == "dotenv") return Format::kEnv;
  if (name == "ini" || name == "properties") return Format::kIni;
  if (name == "csv") return Format::kCsv;
  if (name == "tsv") return Format::kTsv;
  if (name == "lines") return Format::kLines;
  if (name == "auto") return Format::kAuto;
  return MakeError("unknown format '" + std::string(name) +
                   "' (expected yaml, json, env, ini, csv, tsv, lines or auto)");
}

Format FormatFromPath(std::string_view path) {
  auto slash = path.find_last_of('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  auto dot = base.find_last_of('.');
  std::string ext = dot == std::string_view::npos ? "" : ToLower(base.substr(dot + 1));
  if (ext == "yaml" || ext == "yml") return Format::kYaml;
  if (ext == "json") return Format::kJson;
  if (ext == "env" || base == ".env" || base.starts_with(".env.")) return Format::kEnv;
  if (ext == "ini" || ext == "cfg" || ext == "conf" || ext == "properties") return Format::kIni;
  if (ext == "csv") return Format::kCsv;
  if (ext == "tsv" || ext == "tab") return Format::kTsv;
  return Format::kAuto;
}

Format FormatFromContentType(std::string_view ct) {
  std::string t = ToLower(ct.substr(0, ct.find(';')));
  t = std::string(Trim(t));
  if (t == "application/json" || t.ends_with("+json")) return Format::kJson;
  if (t == "application/yaml" || t == "application/x-yaml" || t == "text/yaml" ||
      t == "text/x-yaml" || t.ends_with("+yaml"))
    return Format::kYaml;
  if (t == "text/csv") return Format::kCsv;
  if (t == "text/tab-separated-values") return Format::kTsv;
  return Format::kAuto;
}

Format SniffFormat(std::string_view text) {
  std::string_view t = Trim(text);
  if (!t.empty() && (t[0] == '{' || t[0] == '[')) return Format::kJson;
  return Format::kYaml;
}

Position PositionOf(std::string_view text, size_t offset, const std::string& file) {
  offset = std::min(offset, text.size());
  uint32_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return Position{file, line, static_cast<uint32_t>(offset - line_start + 1)};
}

Result<Document> ParseDocument(std::string_view text, const ParseOptions& options) {
  Format f = options.format == Format::kAuto ? FormatFromPath(options.origin) : options.format;
  if (f == Format::kAuto) f = SniffFormat(text);
  Result<Document> doc = MakeError("");
  if (f == Format::kLines) {
    Document d;
    d.set_origin(options.origin);
    std::vector<Entry> items;
    uint32_t line = 0;
    for (size_t start = 0; start <= text.size();) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      ++line;
      std::string_view l = Trim(text.substr(start, end - start));
      if (!l.empty()) items.push_back(Entry{kNoKey, d.add_string(l, line, 1)});
      start = end + 1;
    }
    d.set_root(d.add_container(Type::kList, items));
    doc = std::move(d);
  } else if (f == Format::kCsv || f == Format::kTsv) {
    auto table = ParseDelimited(text, f == Format::kCsv ? ',' : '\t', f == Format::kCsv,
                                options.origin);
    if (!table.ok()) return table.error();
    doc = TableToDocument(*table, options.key, options.origin, std::string(FormatName(f)) + " file");
  } else {
    doc = f == Format::kJson  ? ParseJson(text, options)
          : f == Format::kEnv ? ParseDotenv(text, options)
          : f == Format::kIni ? ParseIni(text, options)
                              : ParseYaml(text, options);
  }
  if (doc.ok()) doc->shrink_to_fit();
  return doc;
}

// ---------------------------------------------------------------- JSON

namespace {

// A JSON number simdjson cannot represent (an integer beyond 64 bits, an exponent beyond a
// double's range), checked against JSON's number grammar, as a double (possibly ±inf).
std::optional<double> BigJsonNumber(std::string_view raw) {
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' ||
                          raw.back() == '\t'))
    raw.remove_suffix(1);
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < raw.size() && raw[i] >= '0' && raw[i] <= '9') ++i;
    return i - start;
  };
  if (i < raw.size() && raw[i] == '-') ++i;
  size_t int_start = i;
  size_t n = digits();
  if (n == 0 || (n > 1 && raw[int_start] == '0')) return std::nullopt;
  if (i < raw.size() && raw[i] == '.') {
    ++i;
    if (digits() == 0) return std::nullopt;
  }
  if (i < raw.size() && (raw[i] == 'e' || raw[i] == 'E')) {
    ++i;
    if (i < raw.size() && (raw[i] == '+' || raw[i] == '-')) ++i;
    if (digits() == 0) return std::nullopt;
  }
  if (i != raw.size()) return std::nullopt;
  return std::strtod(std::string(raw).c_str(), nullptr);
}

namespace od = simdjson::ondemand;

class JsonBuilder {
 public:
  JsonBuilder(std::string_view text, const char* base, const ParseOptions& o)
      : text_(text), base_(base), opts_(o) {}

  Document doc;
  simdjson::error_code error = simdjson::SUCCESS;
  bool too_deep = false;

  // Line/column of a pointer into the padded copy; positions only move forward.
  void Locate(const char* p, uint32_t& line, uint32_t& col) {
    size_t off = p ? static_cast<size_t>(p - base_) : cursor_;
    if (off > text_.size()) off = text_.size();
    if (off < cursor_) {  // should not happen; recount from the start
      cursor_ = 0;
      line_ = 1;
      line_start_ = 0;
    }
    while (cursor_ < off) {
      const void* nl = std::memchr(text_.data() + cursor_, '\n', off - cursor_);
      if (!nl) {
        cursor_ = off;
        break;
      }
      size_t at = static_cast<const char*>(nl) - text_.data();
      ++line_;
      line_start_ = at + 1;
      cursor_ = at + 1;
    }
    line = line_;
    col = static_cast<uint32_t>(off - line_start_ + 1);
  }

  template <typename V>
  NodeId Value(V& v, uint32_t depth) {
    if (error) return kNoNode;
    if (depth > opts_.max_depth) {
      too_deep = true;
      error = simdjson::DEPTH_ERROR;
      return kNoNode;
    }
    const char* loc = nullptr;
    if (auto r = v.current_location(); !r.error()) loc = r.value_unsafe();
    uint32_t line, col;
    Locate(loc, line, col);
    od::json_type t;
    if ((error = v.type().get(t))) return kNoNode;
    switch (t) {
      case od::json_type::object:
        return Object(v, depth, line, col);
      case od::json_type::array:
        return Array(v, depth, line, col);
      case od::json_type::string: {
        std::string_view s;
        if ((error = v.get_string().get(s))) return kNoNode;
        return doc.add_string(s, line, col);
      }
      case od::json_type::boolean: {
        bool b;
        if ((error = v.get_bool().get(b))) return kNoNode;
        return doc.add_bool(b, line, col);
      }
      case od::json_type::null: {
        bool is_null = false;
        if ((error = v.is_null().get(is_null))) return kNoNode;
        if (!is_null) {
          error = simdjson::N_ATOM_ERROR;
          return kNoNode;
        }
        return doc.add_null(line, col);
      }
      case od::json_type::number:
        return Number(v, line, col);
    }
    error = simdjson::INCORRECT_TYPE;
    return kNoNode;
  }

 private:
  template <typename V>
  NodeId Object(V& v, uint32_t depth, uint32_t line, uint32_t col) {
    od::object obj;
    if ((error = v.get_object().get(obj))) return kNoNode;
    NodeId id = doc.reserve_container(Type::kMap, line, col);
    size_t start = pending_.size();
    for (auto field : obj) {
      std::string_view key;
      if ((error = field.unescaped_key().get(key))) return kNoNode;
      KeyId k = doc.intern(key);
      od::value fv;
      if ((error = field.value().get(fv))) return kNoNode;
      NodeId child = Value(fv, depth + 1);
      if (error) return kNoNode;
      pending_.push_back(Entry{k, child});
    }
    Dedupe(start);
    doc.set_children(id, std::span<const Entry>(pending_).subspan(start));
    pending_.resize(start);
    return id;
  }

  template <typename V>
  NodeId Array(V& v, uint32_t depth, uint32_t line, uint32_t col) {
    od::array arr;
    if ((error = v.get_array().get(arr))) return kNoNode;
    NodeId id = doc.reserve_container(Type::kList, line, col);
    size_t start = pending_.size();
    for (auto item : arr) {
      od::value iv;
      if ((error = item.get(iv))) return kNoNode;
      NodeId child = Value(iv, depth + 1);
      if (error) return kNoNode;
      pending_.push_back(Entry{kNoKey, child});
    }
    doc.set_children(id, std::span<const Entry>(pending_).subspan(start));
    pending_.resize(start);
    return id;
  }

  template <typename V>
  NodeId Number(V& v, uint32_t line, uint32_t col) {
    od::number_type nt;
    if (!v.get_number_type().get(nt)) {
      int64_t i;
      uint64_t u;
      double d;
      if (nt == od::number_type::signed_integer && !v.get_int64().get(i))
        return doc.add_int(i, line, col);
      if (nt == od::number_type::unsigned_integer && !v.get_uint64().get(u))
        return doc.add_float(static_cast<double>(u), line, col);
      if (nt == od::number_type::floating_point_number && !v.get_double().get(d))
        return doc.add_float(d, line, col);
    }
    // simdjson refuses integers beyond 64 bits and exponents beyond a double: read them as
    // floats, as the YAML reader does (1e400 is +inf in both). A failed get_* does not
    // consume the value; the parent's iteration skips it.
    auto big = BigJsonNumber(v.raw_json_token());
    if (!big) {
      error = simdjson::NUMBER_ERROR;
      return kNoNode;
    }
    return doc.add_float(*big, line, col);
  }

  // Duplicate keys: the last one wins, at the first one's place.
  void Dedupe(size_t start) {
    size_t n = pending_.size() - start;
    if (n < 2) return;
    if (seen_.size() < doc.key_count()) seen_.resize(doc.key_count() * 2, 0);
    ++gen_;
    bool dup = false;
    for (size_t i = start; i < pending_.size(); ++i) {
      if (seen_[pending_[i].key] == gen_) dup = true;
      seen_[pending_[i].key] = gen_;
    }
    if (!dup) return;
    std::vector<Entry> out;
    std::unordered_map<KeyId, size_t> at;
    for (size_t i = start; i < pending_.size(); ++i) {
      auto [it, fresh] = at.emplace(pending_[i].key, out.size());
      if (fresh) out.push_back(pending_[i]);
      else out[it->second].value = pending_[i].value;
    }
    pending_.resize(start);
    pending_.insert(pending_.end(), out.begin(), out.end());
  }

  std::string_view text_;
  const char* base_;
  const ParseOptions& opts_;
  std::vector<Entry> pending_;
  std::vector<uint32_t> seen_;
  uint32_t gen_ = 0;
  size_t cursor_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
};

// simdjson says what is wrong but not where; on the (rare) error path nlohmann finds the
// byte. Its message may quote the input, so only the position is taken from it.
Error JsonError(std::string_view text, const ParseOptions& o, std::string cause) {
  size_t byte = 0;
  try {
    auto parsed = nlohmann::json::parse(text.begin(), text.end());
    (void)parsed;
  } catch (const nlohmann::json::parse_error& e) {
    byte = e.byte > 0 ? e.byte - 1 : 0;
  } catch (const std::exception&) {
  }
  return MakeError("JSON parse error: " + cause, PositionOf(text, byte, o.origin));
}

}  // namespace

Result<Document> ParseJson(std::string_view text, const ParseOptions& options) {
  simdjson::padded_string padded;
  const char* base = text.data();
  if (options.capacity < text.size() + simdjson::SIMDJSON_PADDING) {
    padded = simdjson::padded_string(text.data(), text.size());
    base = padded.data();
  }
  od::parser parser;
  od::document d;
  auto err = parser.iterate(base, text.size(), base == text.data() ? options.capacity
                                                                     : padded.size() + simdjson::SIMDJSON_PADDING)
                 .get(d);
  if (err) return JsonError(text, options, simdjson::error_message(err));
  JsonBuilder b(text, base, options);
  b.doc.set_origin(options.origin);
  b.doc.reserve_for(text.size());
  bool scalar = false;
  if ((err = d.is_scalar().get(scalar)))
    return JsonError(text, options, simdjson::error_message(err));
  NodeId root = kNoNode;
  if (scalar) {
    od::json_type t;
    if ((err = d.type().get(t))) return JsonError(text, options, simdjson::error_message(err));
    switch (t) {
      case od::json_type::string: {
        std::string_view s;
        if (!(err = d.get_string().get(s))) root = b.doc.add_string(s, 1, 1);
        break;
      }
      case od::json_type::boolean: {
        bool v;
        if (!(err = d.get_bool().get(v))) root = b.doc.add_bool(v, 1, 1);
        break;
      }
      case od::json_type::null: root = b.doc.add_null(1, 1); break;
      default: {
        int64_t i;
        double v;
        std::string_view raw;
        if (!d.get_int64().get(i)) {
          root = b.doc.add_int(i, 1, 1);
        } else if (!d.get_double().get(v)) {
          root = b.doc.add_float(v, 1, 1);
        } else if (!(err = d.raw_json_token().get(raw))) {
          if (auto big = BigJsonNumber(raw)) root = b.doc.add_float(*big, 1, 1);
          else err = simdjson::NUMBER_ERROR;
        }
      }
    }
    if (err) return JsonError(text, options, simdjson::error_message(err));
  } else {
    od::value v;
    if ((err = d.get_value().get(v))) return JsonError(text, options, simdjson::error_message(err));
    root = b.Value(v, 0);
    if (b.too_deep)
      return MakeError("nesting deeper than " + std::to_string(options.max_depth) + " levels",
                       Position{options.origin, 0, 0});
    if (b.error) return JsonError(text, options, simdjson::error_message(b.error));
  }
  // After the root value the iterator must be out of bounds; anything else is trailing text.
  if (!scalar) {
    if (auto loc = d.current_location(); !loc.error())
      return JsonError(text, options, "unexpected content after the document");
  }
  b.doc.set_root(root);
  return std::move(b.doc);
}

}  // namespace drift
