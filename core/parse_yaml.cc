// YAML snapshots through libfyaml's event API (YAML 1.2, the whole conformance suite), streamed
// straight into a Document.
#include <libfyaml.h>
#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

#include "core/parse.h"

namespace drift {
namespace {

constexpr std::string_view kYamlTagPrefix = "tag:yaml.org,2002:";

bool IsDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 16  ? std::isxdigit(static_cast<unsigned char>(c))
              : base == 8 ? (c >= '0' && c <= '7')
              : base == 2 ? (c == '0' || c == '1')
                          : (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Integer per the YAML 1.2 core schema (or 1.1 when asked); nullopt when not an int.
std::optional<std::variant<int64_t, double>> ResolveInt(std::string_view s, bool yaml11) {
  std::string cleaned;
  if (yaml11 && s.find('_') != std::string_view::npos) {
    for (char c : s)
      if (c != '_') cleaned += c;
    s = cleaned;
  }
  bool neg = false;
  std::string_view body = s;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  int base = 10;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    base = 16;
    body.remove_prefix(2);
  } else if (body.size() > 2 && body[0] == '0' && body[1] == 'o' && !yaml11) {
    base = 8;
    body.remove_prefix(2);
  } else if (yaml11 && body.size() > 2 && body[0] == '0' && body[1] == 'b') {
    base = 2;
    body.remove_prefix(2);
  } else if (yaml11 && body.size() > 1 && body[0] == '0') {
    base = 8;
    body.remove_prefix(1);
  }
  if (!IsDigits(body, base)) return std::nullopt;
  if (base != 10 && (s[0] == '-' || s[0] == '+') && !yaml11) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v, base);
  if (ec == std::errc() && p == body.data() + body.size()) {
    if (!neg && v <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(v);
    if (neg && v <= static_cast<uint64_t>(INT64_MAX) + 1) return static_cast<int64_t>(0 - v);
  }
  // Out of range: keep the magnitude as a float rather than inventing a value.
  double d = std::strtod(std::string(s).c_str(), nullptr);
  return d;
}

std::optional<double> ResolveFloat(std::string_view s, bool yaml11) {
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF")
    return INFINITY;
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return -INFINITY;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return NAN;
  std::string cleaned;
  if (yaml11 && s.find('_') != std::string_view::npos) {
    for (char c : s)
      if (c != '_') cleaned += c;
    s = cleaned;
  }
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  bool dot = false;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  bool exp = false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    exp = true;
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t ed = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++ed;
    if (ed == 0) return std::nullopt;
  }
  if (i != s.size() || (!dot && !exp)) return std::nullopt;
  if (yaml11 && !dot) return std::nullopt;  // 1.1 floats need a dot
  return std::strtod(std::string(s).c_str(), nullptr);
}

NodeId ResolvePlain(Document& doc, std::string_view s, bool yaml11, uint32_t line, uint32_t col) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
    return doc.add_null(line, col);
  char c = s[0];
  // Fast path: most scalars are words that cannot be anything but strings.
  bool maybe_special =
      (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 't' || c == 'T' ||
      c == 'f' || c == 'F' ||
      (yaml11 && (c == 'y' || c == 'Y' || c == 'n' || c == 'N' || c == 'o' || c == 'O'));
  if (!maybe_special) return doc.add_string(s, line, col);
  if (s == "true" || s == "True" || s == "TRUE") return doc.add_bool(true, line, col);
  if (s == "false" || s == "False" || s == "FALSE") return doc.add_bool(false, line, col);
  if (yaml11) {
    if (s == "yes" || s == "Yes" || s == "YES" || s == "on" || s == "On" || s == "ON")
      return doc.add_bool(true, line, col);
    if (s == "no" || s == "No" || s == "NO" || s == "off" || s == "Off" || s == "OFF")
      return doc.add_bool(false, line, col);
  }
  if (auto i = ResolveInt(s, yaml11)) {
    if (std::holds_alternative<int64_t>(*i)) return doc.add_int(std::get<int64_t>(*i), line, col);
    return doc.add_float(std::get<double>(*i), line, col);
  }
  if (auto f = ResolveFloat(s, yaml11)) return doc.add_float(*f, line, col);
  return doc.add_string(s, line, col);
}

struct Anchor {
  NodeId node;
  size_t size;   // nodes it stands for, aliases inside it included
  uint64_t seq;  // when it was defined: a later definition of the name wins
};

struct Frame {
  NodeId id;
  Type type;
  size_t pending_start;
  KeyId key = kNoKey;  // map: the key waiting for its value
  bool has_merge = false;
  std::string anchor;
  size_t node_start;
  size_t alias_start;
  // A map or list in a key's place (`? [a, b]: c`): drift's keys are text, so its JSON text
  // becomes the key of the enclosing map.
  bool is_key = false;
  bool flow = false;  // opened with '[' or '{'
  uint32_t line = 1, col = 1;
  uint64_t anchor_seq = 0;
};

struct Mark {
  uint32_t line = 1, col = 1;
};

// The text of a token; empty for none (an empty node has no value token).
std::string_view Text(fy_token* t) {
  if (!t) return {};
  size_t len = 0;
  const char* p = fy_token_get_text(t, &len);
  return p ? std::string_view(p, len) : std::string_view();
}

// libfyaml's parse errors, in words that say what to fix where its own are terse.
std::string Humanize(std::string_view msg) {
  bool tab = msg.find("tab") != std::string_view::npos;
  if (tab && (msg.find("indent") != std::string_view::npos ||
              msg.find("indendation") != std::string_view::npos))
    return "a tab is used for indentation (YAML indents with spaces only)";
  if (msg == "invalid nested block mapping on the same line")
    return "a second 'key: value' on the same line (a value containing ': ' must be quoted)";
  if (msg == "invalid scalar at the end of block sequence")
    return "this line is neither an item of the list above ('- ') nor indented less than it";
  if (msg == "invalid multiline plain key")
    return "a key spans several lines (is the line indented wrong?)";
  return std::string(msg);
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// YAML streams are UTF-8, UTF-16 or UTF-32 (YAML 1.2 §5.2: by byte order mark, else by where
// the first character's zero bytes are). libfyaml reads UTF-8 alone (a UTF-16 file read as an
// empty stream), so the others are converted first. nullopt: the text is UTF-8 already.
std::optional<Result<std::string>> ToUtf8(std::string_view t) {
  auto b = [&](size_t i) { return i < t.size() ? static_cast<unsigned char>(t[i]) : 0x100u; };
  int width = 0;
  bool big = false;
  size_t skip = 0;
  if (b(0) == 0 && b(1) == 0 && b(2) == 0xFE && b(3) == 0xFF)
    width = 4, big = true, skip = 4;
  else if (b(0) == 0xFF && b(1) == 0xFE && b(2) == 0 && b(3) == 0)
    width = 4, skip = 4;
  else if (b(0) == 0xFE && b(1) == 0xFF)
    width = 2, big = true, skip = 2;
  else if (b(0) == 0xFF && b(1) == 0xFE)
    width = 2, skip = 2;
  else if (b(0) == 0 && b(1) == 0 && b(2) == 0 && b(3) != 0 && b(3) < 0x100)
    width = 4, big = true;
  else if (b(0) != 0 && b(0) < 0x100 && b(1) == 0 && b(2) == 0 && b(3) == 0)
    width = 4;
  else if (b(0) == 0 && b(1) != 0 && b(1) < 0x100)
    width = 2, big = true;
  else if (b(0) != 0 && b(0) < 0x100 && b(1) == 0)
    width = 2;
  if (width == 0) return std::nullopt;
  const char* name = width == 2 ? "UTF-16" : "UTF-32";
  if ((t.size() - skip) % width != 0)
    return Result<std::string>(
        MakeError(std::string("the text is ") + name + " with an odd byte count"));
  auto unit = [&](size_t i) {
    uint32_t u = 0;
    for (int k = 0; k < width; ++k)
      u |= static_cast<uint32_t>(static_cast<unsigned char>(t[i + k]))
           << (8 * (big ? width - 1 - k : k));
    return u;
  };
  std::string out;
  out.reserve(t.size());
  for (size_t i = skip; i < t.size(); i += width) {
    uint32_t cp = unit(i);
    if (width == 2 && cp >= 0xD800 && cp <= 0xDBFF && i + 2 < t.size()) {
      uint32_t lo = unit(i + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 2;
      }
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return Result<std::string>(MakeError(std::string("the text is not valid ") + name));
    AppendUtf8(cp, out);
  }
  return Result<std::string>(std::move(out));
}

// Where the text first stops being YAML's characters, and why: invalid UTF-8 (libfyaml loops
// forever on some) or a control character (a NUL ends libfyaml's input early, silently).
struct BadChar {
  size_t offset;
  std::string why;
};

// How many bytes from `p` on are printable ASCII, tab, LF or CR, counted 16 at a time (most of
// a snapshot is; the byte-wise check below then sees only the rest). A multiple of 16.
size_t PlainAsciiRun(const char* p, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7F);
  const __m128i tab = _mm_set1_epi8('\t'), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // Signed compare: below 0x20, and also every byte from 0x80 on.
    __m128i low = _mm_cmplt_epi8(v, space);
    __m128i allowed = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, lf)),
                                   _mm_cmpeq_epi8(v, cr));
    __m128i other = _mm_or_si128(_mm_andnot_si128(allowed, low), _mm_cmpeq_epi8(v, del));
    if (_mm_movemask_epi8(other) != 0) break;
  }
#else
  (void)p;
  (void)n;
#endif
  return i;
}

// `unusual` is set when the text holds a character that is a line break in YAML 1.1 but not
// in 1.2 (NEL, U+2028, U+2029) or a byte order mark: only libfyaml reads those.
std::optional<BadChar> FindBadChar(std::string_view t, bool& unusual) {
  bool utf8 = simdjson::validate_utf8(t.data(), t.size());
  auto hex = [](unsigned c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", c);
    return std::string(buf);
  };
  for (size_t i = 0; i < t.size();) {
    i += PlainAsciiRun(t.data() + i, t.size() - i);
    if (i >= t.size()) break;
    auto c = static_cast<unsigned char>(t[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
        return BadChar{i, "a control character (" + hex(c) + ") is not allowed in YAML"};
      ++i;
      continue;
    }
    size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n != 0 && i + n <= t.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(t[i + k]) & 0xC0) == 0x80;
    // Overlong forms, surrogates and code points past U+10FFFF (only when simdjson found any).
    if (ok && !utf8) ok = simdjson::validate_utf8(t.data() + i, n);
    if (!ok) return BadChar{i, "the text is not valid UTF-8 (byte " + hex(c) + ")"};
    // C1 controls (U+0080-U+009F) but NEL.
    auto c1 = static_cast<unsigned char>(t[i + 1]);
    if (c == 0xC2 && c1 < 0xA0 && c1 != 0x85)
      return BadChar{i,
                     "a control character (U+00" + hex(c1).substr(2) + ") is not allowed in YAML"};
    if ((c == 0xC2 && c1 == 0x85) || (c == 0xE2 && c1 == 0x80 && (static_cast<unsigned char>(t[i + 2]) & 0xFE) == 0xA8) ||
        (c == 0xEF && c1 == 0xBB && static_cast<unsigned char>(t[i + 2]) == 0xBF))
      unusual = true;
    i += n;
  }
  return std::nullopt;
}

// A parser libfyaml cannot destroy, kept where it stays reachable (not a leak to report).
void KeepUndestroyed(fy_parser* p) {
  static std::mutex mu;
  static auto* kept = new std::vector<fy_parser*>();
  std::lock_guard lock(mu);
  kept->push_back(p);
}

// The 1-based line and column (in characters) of a byte offset.
Mark MarkAt(std::string_view t, size_t offset) {
  Mark m;
  for (size_t i = 0; i < offset && i < t.size(); ++i) {
    if (t[i] == '\n') {
      ++m.line;
      m.col = 1;
    } else if ((static_cast<unsigned char>(t[i]) & 0xC0) != 0x80) {
      ++m.col;
    }
  }
  return m;
}

class BlockReader;

class YamlBuilder {
 public:
  YamlBuilder(const ParseOptions& o) : opts_(o) {}

  // Reads `text`, already checked by CheckedText, with libfyaml's parser.
  Result<Document> Run(std::string_view text) {
    // Errors are collected, never printed (libfyaml writes to stderr by default).
    fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = nullptr;
    dcfg.output_fn = [](fy_diag*, void*, const char*, size_t) {};
    dcfg.colorize = false;
    std::unique_ptr<fy_diag, void (*)(fy_diag*)> diag(fy_diag_create(&dcfg), fy_diag_destroy);
    if (!diag) return MakeError("out of memory initialising libfyaml");
    fy_diag_set_collect_errors(diag.get(), true);
    fy_parse_cfg cfg{};
    cfg.flags =
        static_cast<fy_parse_cfg_flags>(FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE);
    cfg.diag = diag.get();
    std::unique_ptr<fy_parser, void (*)(fy_parser*)> parser(fy_parser_create(&cfg),
                                                            fy_parser_destroy);
    if (!parser) return MakeError("out of memory initialising libfyaml");
    if (fy_parser_set_string(parser.get(), text.empty() ? "" : text.data(), text.size()) != 0)
      return MakeError("libfyaml refused the input");
    Begin(text);
    for (;;) {
      fy_event* ev = fy_parser_parse(parser.get());
      if (!ev) {
        if (fy_parser_get_stream_error(parser.get())) {
          Error e = ParseError(diag.get());
          // libfyaml 0.7.12 crashes destroying a parser that failed on a tab after a block
          // entry's ':' (`? a:<tab>:b`; found by the fuzzer): that parser is left allocated
          // (a few KB) rather than destroyed.
          if (failed_on_tab_after_block_entry_) KeepUndestroyed(parser.release());
          return e;
        }
        break;
      }
      auto free_event = [&](fy_event* e) { fy_parser_event_free(parser.get(), e); };
      std::unique_ptr<fy_event, decltype(free_event)> evguard(ev, free_event);
      if (ev->type == FYET_STREAM_END) break;
      if (auto err = Handle(ev)) return *err;
      if (const fy_mark* m = fy_event_end_mark(ev); m && (m->line || m->column)) {
        last_ = Mark{static_cast<uint32_t>(m->line + 1), static_cast<uint32_t>(m->column + 1)};
        last_pos_ = m->input_pos;
      }
    }
    return Finish();
  }

  // What a reader tells the builder, in the stream's order. Errors end the reading.
  void Begin(std::string_view text) {
    text_ = text;
    doc_.set_origin(opts_.origin);
    doc_.reserve_for(text.size());
    merge_key_ = doc_.intern("<<");
    // The stream is a list of documents; a single document becomes the root itself.
    stream_ = doc_.reserve_container(Type::kList, 1, 1);
    frames_.push_back(Frame{stream_, Type::kList, 0, kNoKey, false, {}, 0, 0});
  }

  // Without a `%YAML` directive, a document reads with the source's schema.
  void StartDocument(bool yaml11) { yaml11_ = yaml11; }

  // A scalar node, or a key when the innermost map waits for one. `tag` as libfyaml gives it
  // (empty for none); `anchor` the name it defines (empty for none).
  std::optional<Error> OnScalar(std::string_view value, bool plain, std::string_view tag,
                                std::string_view anchor, Mark at) {
    Frame& top = frames_.back();
    if (top.type == Type::kMap && top.key == kNoKey) {
      top.key = doc_.intern(value);
      if (top.key == merge_key_ && plain && tag.empty()) top.has_merge = true;
      if (!anchor.empty()) {
        // An anchored key may be used as a value elsewhere (`&k 1: v`, then `*k` is 1).
        auto id = Scalar(tag, value, plain, at);
        if (!id.ok()) return id.error();
        anchors_[std::string(anchor)] = Anchor{*id, 1, ++anchor_seq_};
      }
      return std::nullopt;
    }
    auto id = Scalar(tag, value, plain, at);
    if (!id.ok()) return id.error();
    if (!anchor.empty()) anchors_[std::string(anchor)] = Anchor{*id, 1, ++anchor_seq_};
    return Add(*id);
  }

  std::optional<Error> OnAlias(std::string_view alias, Mark at) {
    std::string name(alias);
    auto it = anchors_.find(name);
    if (it == anchors_.end())
      return MakeError("YAML alias *" + name + " refers to no anchor", Pos(at));
    alias_nodes_ += it->second.size;
    if (alias_nodes_ > opts_.max_alias_nodes)
      return MakeError("YAML aliases expand to more than " +
                           std::to_string(opts_.max_alias_nodes) + " nodes (an alias bomb?)",
                       Pos(at));
    Frame& top = frames_.back();
    if (top.type == Type::kMap && top.key == kNoKey) {
      auto key = KeyOf(it->second.node, at);
      if (!key.ok()) return key.error();
      top.key = *key;
      return std::nullopt;
    }
    return Add(it->second.node);
  }

  std::optional<Error> OnOpen(Type t, Mark at, std::string_view anchor, bool flow) {
    Frame& top = frames_.back();
    bool is_key = top.type == Type::kMap && top.key == kNoKey;
    if (frames_.size() > opts_.max_depth)
      return MakeError("nesting deeper than " + std::to_string(opts_.max_depth) + " levels",
                       Pos(at));
    NodeId id = doc_.reserve_container(t, at.line, at.col);
    frames_.push_back(Frame{id, t, pending_.size(), kNoKey, false, std::string(anchor),
                            doc_.node_count() - 1, alias_nodes_, is_key, flow, at.line, at.col,
                            anchor.empty() ? 0 : ++anchor_seq_});
    return std::nullopt;
  }

  std::optional<Error> OnClose() {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    std::span<const Entry> kids(pending_.data() + f.pending_start,
                                pending_.size() - f.pending_start);
    if (f.type == Type::kMap) {
      auto err = FinishMap(f, kids);
      if (err) return err;
      doc_.set_children(f.id, merged_);
    } else {
      doc_.set_children(f.id, kids);
    }
    pending_.resize(f.pending_start);
    if (!f.anchor.empty()) {
      // Defined where the container starts: a node inside it that reuses the name was
      // defined later and keeps it.
      size_t size = (doc_.node_count() - f.node_start) + (alias_nodes_ - f.alias_start);
      auto it = anchors_.find(f.anchor);
      if (it == anchors_.end() || it->second.seq < f.anchor_seq)
        anchors_[f.anchor] = Anchor{f.id, size, f.anchor_seq};
    }
    if (f.is_key) {
      auto key = KeyOf(f.id, Mark{f.line, f.col});
      if (!key.ok()) return key.error();
      frames_.back().key = *key;
      return std::nullopt;
    }
    return Add(f.id);
  }

  // The stream read: one document is the root, several a list of them, none a null.
  Result<Document> Finish() {
    Frame& top = frames_.back();
    size_t ndocs = pending_.size() - top.pending_start;
    if (ndocs == 0) {
      doc_.set_root(doc_.add_null(1, 1));
    } else if (ndocs == 1) {
      doc_.set_root(pending_.back().value);
    } else {
      doc_.set_children(stream_, std::span<const Entry>(pending_).subspan(top.pending_start));
      doc_.set_root(stream_);
    }
    return std::move(doc_);
  }

 private:
  friend class BlockReader;
  Position Pos(Mark m) const { return Position{opts_.origin, m.line, m.col}; }

  Error ParseError(fy_diag* diag) {
    void* it = nullptr;
    while (fy_diag_error* e = fy_diag_errors_iterate(diag, &it))
      if (e->msg && std::string_view(e->msg) == "cannot use tab for indentation of block entry")
        failed_on_tab_after_block_entry_ = true;
    it = nullptr;
    while (fy_diag_error* e = fy_diag_errors_iterate(diag, &it)) {
      if (e->type < FYET_ERROR || !e->msg) continue;
      std::string_view msg = e->msg;
      // Collected errors carry 1-based line and column.
      Mark at{static_cast<uint32_t>(std::max(e->line, 1)),
              static_cast<uint32_t>(std::max(e->column, 1))};
      // An unclosed '[' or '{' is found at the end of the input; say where it was opened.
      if (msg.find("without a closing") != std::string_view::npos || AtEnd(at)) {
        for (auto f = frames_.rbegin(); f != frames_.rend(); ++f) {
          if (!f->flow) continue;
          std::string what = f->type == Type::kList ? "'['" : "'{'";
          return MakeError("YAML parse error: this " + what + " is never closed",
                           Pos(Mark{f->line, f->col}));
        }
      }
      return MakeError("YAML parse error: " + Humanize(msg), Pos(at));
    }
    return MakeError("YAML parse error: invalid YAML", Pos(last_));
  }

  // A scalar's text. A one-line plain scalar, or a quoted one without escapes, is its input
  // as written: read in place, without libfyaml's formatting (a third of its reading time).
  std::string_view ScalarText(fy_token* value, fy_scalar_style style) {
    if (value &&
        (style == FYSS_PLAIN || style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED)) {
      const fy_mark* a = fy_token_start_mark(value);
      const fy_mark* b = fy_token_end_mark(value);
      if (a && b && a->line == b->line && a->input_pos <= b->input_pos &&
          b->input_pos <= text_.size()) {
        std::string_view raw = text_.substr(a->input_pos, b->input_pos - a->input_pos);
        // One line of plain text is its value (a tab inside it is content).
        if (style == FYSS_PLAIN) return raw;
        // A quoted scalar's marks hold its text without the quotes.
        bool as_written = true;
        for (char c : raw) {
          if (c == '\r' || c == '\t' || (style == FYSS_SINGLE_QUOTED && c == '\'') ||
              (style == FYSS_DOUBLE_QUOTED && (c == '\\' || c == '"'))) {
            as_written = false;
            break;
          }
        }
        if (as_written) return raw;
        if (style == FYSS_SINGLE_QUOTED && Unquote(raw, scratch_)) return scratch_;
        if (style == FYSS_DOUBLE_QUOTED && Unescape(raw, scratch_)) return scratch_;
      }
    }
    return Text(value);
  }

  // A literal block scalar's (`|`) value, read from its lines as written: libfyaml's
  // formatting of a block scalar took most of the time of reading one. Only the common form
  // (auto-detected indentation, LF line breaks, no tabs) is read here; false leaves the rest
  // to libfyaml. libfyaml has already accepted the scalar, so its lines are well-formed.
  bool LiteralInPlace(fy_token* value, fy_token* anchor, fy_token* tag, std::string& out) const {
    if (!value) return false;
    const fy_mark* a = fy_token_start_mark(value);
    const fy_mark* b = fy_token_end_mark(value);
    // libfyaml marks the lines after the header, from the start of the first one to the
    // indentation of the line that ends the scalar (or the end of the input).
    if (!a || !b || a->column != 0 || a->input_pos == 0 || a->input_pos > b->input_pos ||
        b->input_pos > text_.size() || text_[a->input_pos - 1] != '\n')
      return false;
    std::string_view raw = text_.substr(a->input_pos, b->input_pos - a->input_pos);
    size_t last_break = raw.rfind('\n');
    // Blanks at the very end of the input may be content (`  x\n   ` is "x\n \n").
    if (last_break == std::string_view::npos ||
        (last_break + 1 < raw.size() && b->input_pos == text_.size()) ||
        raw.find_first_not_of(' ', last_break + 1) != std::string_view::npos ||
        raw.find('\t') != std::string_view::npos || raw.find('\r') != std::string_view::npos)
      return false;
    raw = raw.substr(0, last_break + 1);
    // The header: the first '|' after the previous event and the node's properties, on the
    // line before the content.
    // (A lone CR ends a line too.)
    size_t header_line = text_.find_last_of("\r\n", a->input_pos - 2);
    header_line = header_line == std::string_view::npos ? 0 : header_line + 1;
    size_t from = std::max(last_pos_, header_line);
    for (fy_token* t : {anchor, tag})
      if (const fy_mark* m = t ? fy_token_end_mark(t) : nullptr) from = std::max(from, m->input_pos);
    size_t bar = text_.find('|', from);
    if (bar == std::string_view::npos || bar >= a->input_pos) return false;
    char chomp = 0;  // '-' strip, '+' keep, clip otherwise
    size_t i = bar + 1;
    if (text_[i] == '-' || text_[i] == '+') chomp = text_[i++];
    // An explicit indentation indicator counts from the parent's indentation: libfyaml's.
    if (text_[i] >= '0' && text_[i] <= '9') return false;
    // Only blanks and a comment may follow the header.
    size_t rest = text_.find_first_not_of(' ', i);
    if (rest != a->input_pos - 1 && (rest == i || text_[rest] != '#')) return false;
    // The indentation is the first non-empty line's; lines no longer than it are empty.
    size_t indent = 0, content_end = 0;
    bool found = false;
    for (size_t pos = 0; pos < raw.size();) {
      size_t eol = raw.find('\n', pos);
      size_t spaces = raw.find_first_not_of(' ', pos) - pos;
      if (spaces < eol - pos && !found) {
        found = true;
        indent = spaces;
      }
      pos = eol + 1;
    }
    if (!found || indent == 0) return false;
    out.clear();
    for (size_t pos = 0; pos < raw.size();) {
      size_t eol = raw.find('\n', pos);
      size_t len = eol - pos;
      if (len > indent) {
        if (raw.find_first_not_of(' ', pos) - pos < indent) return false;  // not its line
        out.append(raw.substr(pos + indent, len - indent));
        out += '\n';
        content_end = out.size();
      } else {
        if (raw.find_first_not_of(' ', pos) < eol) return false;
        out += '\n';
      }
      pos = eol + 1;
    }
    if (chomp == '+') return true;
    out.resize(content_end);
    if (chomp == '-' && !out.empty()) out.pop_back();
    return true;
  }

  // An anchor's or alias's name: its text as written (names have no escapes).
  std::string_view Name(fy_token* t) const {
    const fy_mark* a = fy_token_start_mark(t);
    const fy_mark* b = fy_token_end_mark(t);
    if (a && b && a->line == b->line && a->input_pos < b->input_pos && b->input_pos <= text_.size())
      return text_.substr(a->input_pos, b->input_pos - a->input_pos);
    return Text(t);
  }

  // A one-line single-quoted scalar's value: '' is a quote. False when it is not that simple.
  static bool Unquote(std::string_view raw, std::string& out) {
    out.clear();
    for (size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '\r' || c == '\t') return false;
      if (c == '\'') {
        if (i + 1 >= raw.size() || raw[i + 1] != '\'') return false;
        ++i;
      }
      out += c;
    }
    return true;
  }

  // A one-line double-quoted scalar's value with YAML's escapes decoded. False when it is not
  // that simple (libfyaml then decodes it).
  static bool Unescape(std::string_view raw, std::string& out) {
    // YAML's one-character escapes and the code point each stands for.
    static constexpr std::pair<char, uint32_t> kEscapes[] = {
        {'0', 0},     {'a', 0x07}, {'b', 0x08}, {'t', '\t'},   {'n', '\n'},  {'v', 0x0B},
        {'f', 0x0C},  {'r', '\r'}, {'e', 0x1B}, {' ', ' '},    {'"', '"'},   {'/', '/'},
        {'\\', '\\'}, {'N', 0x85}, {'_', 0xA0}, {'L', 0x2028}, {'P', 0x2029}};
    out.clear();
    for (size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '"' || c == '\r' || c == '\t') return false;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (++i >= raw.size()) return false;
      char e = raw[i];
      int hex = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
      if (hex == 0) {
        auto it = std::find_if(std::begin(kEscapes), std::end(kEscapes),
                               [e](const auto& k) { return k.first == e; });
        if (it == std::end(kEscapes)) return false;
        AppendUtf8(it->second, out);
        continue;
      }
      if (i + hex >= raw.size()) return false;
      uint32_t cp = 0;
      for (int k = 1; k <= hex; ++k) {
        char h = raw[i + k];
        int d = h >= '0' && h <= '9'   ? h - '0'
                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                       : -1;
        if (d < 0) return false;
        cp = cp * 16 + static_cast<uint32_t>(d);
      }
      if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
      AppendUtf8(cp, out);
      i += hex;
    }
    return true;
  }

  // The '|' or '>' of a block scalar whose content starts at `content`: the first one after
  // the previous event, outside comments.
  Mark BlockIndicator(Mark content) const {
    Mark at = last_;
    bool comment = false;
    for (size_t i = last_pos_; i < text_.size(); ++i) {
      char c = text_[i];
      if (at.line > content.line || (at.line == content.line && at.col >= content.col)) break;
      if (c == '\n') {
        comment = false;
        ++at.line;
        at.col = 1;
        continue;
      }
      if (c == '#') comment = true;
      if (!comment && (c == '|' || c == '>')) return at;
      ++at.col;
    }
    return content;
  }

  // Whether only blanks follow the (1-based) mark in the text.
  bool AtEnd(Mark m) const {
    size_t pos = 0;
    for (uint32_t line = 1; line < m.line; ++line) {
      pos = text_.find('\n', pos);
      if (pos == std::string_view::npos) return true;
      ++pos;
    }
    pos = std::min(text_.size(), pos + m.col - 1);
    return text_.find_first_not_of(" \t\r\n", pos) == std::string_view::npos;
  }

  // Where a token starts; where the last event ended for an empty node, which has no text.
  Mark Start(const fy_mark* m) const {
    if (!m || (m->line == 0 && m->column == 0 && m->input_pos == 0)) return last_;
    return Mark{static_cast<uint32_t>(m->line + 1), static_cast<uint32_t>(m->column + 1)};
  }
  // Where an anchor or alias starts: libfyaml marks the name, after its '&' or '*'.
  Mark SigilStart(fy_token* t) const {
    Mark m = Start(fy_token_start_mark(t));
    if (m.col > 1) --m.col;
    return m;
  }
  // A node starts at its first property (`&a !tag value` at the '&').
  Mark NodeStart(fy_token* anchor, fy_token* tag, fy_token* value) const {
    Mark at = value ? Start(fy_token_start_mark(value)) : last_;
    if (!anchor && !tag) return at;
    auto earlier = [](Mark a, Mark b) {
      return a.line < b.line || (a.line == b.line && a.col < b.col);
    };
    if (tag) {
      Mark t = Start(fy_token_start_mark(tag));
      if (earlier(t, at)) at = t;
    }
    if (anchor) {
      Mark a = SigilStart(anchor);
      if (earlier(a, at)) at = a;
    }
    return at;
  }

  std::optional<Error> Handle(fy_event* ev) {
    switch (ev->type) {
      case FYET_DOCUMENT_START: {
        // A `%YAML 1.1` directive reads that document with the 1.1 schema; `%YAML 1.2` with
        // the core schema; without one, the source's `yaml:` setting decides.
        fy_document_state* ds = ev->document_start.document_state;
        yaml11_ = opts_.yaml_1_1;
        if (ds && fy_document_state_version_explicit(ds)) {
          const fy_version* v = fy_document_state_version(ds);
          yaml11_ = v && v->major == 1 && v->minor <= 1;
          // libfyaml 0.7.12 keeps reading 1.1's line breaks (NEL, U+2028, U+2029) until a
          // directive says otherwise, in the documents after one without a directive too.
          fy_breaks_1_1_ = yaml11_;
        }
        return std::nullopt;
      }
      case FYET_SCALAR: {
        const fy_event_scalar_data& s = ev->scalar;
        fy_scalar_style style = s.value ? fy_token_scalar_style(s.value) : FYSS_PLAIN;
        std::string_view value = style == FYSS_LITERAL && !yaml11_ && !fy_breaks_1_1_ &&
                                         LiteralInPlace(s.value, s.anchor, s.tag, scratch_)
                                     ? std::string_view(scratch_)
                                     : ScalarText(s.value, style);
        bool plain = style == FYSS_PLAIN;
        // libfyaml 0.7.12 gives an empty block scalar at the very end of the input as one NUL
        // byte; YAML text cannot hold a NUL, so it is never content.
        if ((style == FYSS_LITERAL || style == FYSS_FOLDED) && !value.empty() &&
            value.back() == '\0')
          value.remove_suffix(1);
        Frame& top = frames_.back();
        Mark at = NodeStart(s.anchor, s.tag, s.value);
        if (style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) {
          // libfyaml marks a quoted scalar's text; the node starts at its quote.
          if (!s.anchor && !s.tag && at.col > 1) --at.col;
        } else if ((style == FYSS_LITERAL || style == FYSS_FOLDED) && !s.anchor && !s.tag) {
          at = BlockIndicator(at);  // libfyaml marks the content; the node starts at its '|'
        } else if (!s.value && !s.anchor && !s.tag && top.type == Type::kMap && top.key != kNoKey) {
          ++at.col;  // an empty value: just after the key's ':'
        }
        return OnScalar(value, plain, Text(s.tag), s.anchor ? Name(s.anchor) : std::string_view(),
                        at);
      }
      case FYET_ALIAS:
        return OnAlias(Name(ev->alias.anchor), SigilStart(ev->alias.anchor));
      case FYET_SEQUENCE_START:
      case FYET_MAPPING_START: {
        bool is_map = ev->type == FYET_MAPPING_START;
        fy_token* anchor = is_map ? ev->mapping_start.anchor : ev->sequence_start.anchor;
        fy_token* tag = is_map ? ev->mapping_start.tag : ev->sequence_start.tag;
        fy_token* start =
            is_map ? ev->mapping_start.mapping_start : ev->sequence_start.sequence_start;
        Mark at = NodeStart(anchor, tag, start);
        fy_token_type opener = start ? fy_token_get_type(start) : FYTT_NONE;
        bool flow = opener == FYTT_FLOW_SEQUENCE_START || opener == FYTT_FLOW_MAPPING_START;
        return OnOpen(is_map ? Type::kMap : Type::kList, at,
                      anchor ? Name(anchor) : std::string_view(), flow);
      }
      case FYET_SEQUENCE_END:
      case FYET_MAPPING_END:
        return OnClose();
      default:
        return std::nullopt;
    }
  }

  // A scalar key as its text; a map or list as its compact JSON text.
  // Keys made of maps or lists nest (`? ? ? a`), and each level's JSON text escapes the one
  // inside it: their text doubles per level. Past this much in a document, an error.
  static constexpr size_t kMaxComplexKeyBytes = 1 << 20;

  Result<KeyId> KeyOf(NodeId n, Mark at) {
    if (doc_.type(n) != Type::kMap && doc_.type(n) != Type::kList)
      return doc_.intern(doc_.scalar_text(n));
    std::string text = DumpJson(ToJson(doc_, n));
    complex_key_bytes_ += text.size();
    if (complex_key_bytes_ > kMaxComplexKeyBytes)
      return MakeError("maps or lists used as mapping keys make more than 1 MiB of key text",
                       Pos(at));
    return doc_.intern(text);
  }

  std::optional<Error> Add(NodeId v) {
    Frame& top = frames_.back();
    pending_.push_back(Entry{top.type == Type::kMap ? top.key : kNoKey, v});
    top.key = kNoKey;
    return std::nullopt;
  }

  Result<NodeId> Scalar(std::string_view tag, std::string_view value, bool plain, Mark at) {
    uint32_t line = at.line, col = at.col;
    if (tag.empty() || tag == "!") {
      if (plain && tag.empty()) return ResolvePlain(doc_, value, yaml11_, line, col);
      return doc_.add_string(value, line, col);
    }
    if (tag.starts_with(kYamlTagPrefix)) {
      std::string_view t = tag.substr(kYamlTagPrefix.size());
      if (t == "str" || t == "binary" || t == "timestamp") return doc_.add_string(value, line, col);
      NodeId r = ResolvePlain(doc_, value, yaml11_, line, col);
      Type got = doc_.type(r);
      bool fits = (t == "int" && got == Type::kInt) ||
                  (t == "float" && (got == Type::kFloat || got == Type::kInt)) ||
                  (t == "bool" && got == Type::kBool) || (t == "null" && got == Type::kNull);
      if (!fits)
        return MakeError(std::string("'").append(value).append("' is not a valid !!").append(t),
                         Pos(at));
      if (t == "float" && got == Type::kInt) {
        double d = static_cast<double>(doc_.node(r).i);
        return doc_.add_float(d, line, col);
      }
      return r;
    }
    // Application tags (!Ref, !GetAtt, !reference): keep the tag in the value so that
    // `!Ref a` and `!GetAtt a` differ.
    std::string shown(tag);
    if (shown.starts_with("tag:")) shown = "!" + shown;
    return doc_.add_string(shown + " " + std::string(value), line, col);
  }

  // Resolves merge keys (<<) as YAML 1.1 loaders do and duplicate keys (last one wins).
  std::optional<Error> FinishMap(const Frame& f, std::span<const Entry> kids) {
    merged_.clear();
    ++generation_;
    if (stamp_.size() < doc_.key_count()) {
      stamp_.resize(doc_.key_count() * 2, 0);
      slot_.resize(doc_.key_count() * 2, 0);
    }
    auto put = [&](const Entry& e, bool override) {
      if (stamp_[e.key] == generation_) {
        if (override) merged_[slot_[e.key]].value = e.value;
        return;
      }
      stamp_[e.key] = generation_;
      slot_[e.key] = static_cast<uint32_t>(merged_.size());
      merged_.push_back(e);
    };
    if (f.has_merge) {
      for (const Entry& e : kids) {
        if (e.key != merge_key_) continue;
        auto merge_map = [&](NodeId m) -> bool {
          if (doc_.type(m) != Type::kMap) return false;
          for (const Entry& me : doc_.children(m)) put(me, false);
          return true;
        };
        bool ok = merge_map(e.value);
        if (!ok && doc_.type(e.value) == Type::kList) {
          ok = true;
          for (const Entry& le : doc_.children(e.value)) ok = ok && merge_map(le.value);
        }
        if (!ok) {
          const Node& n = doc_.node(e.value);
          return MakeError("merge key << needs a map or a list of maps",
                           Position{opts_.origin, n.line, n.column});
        }
      }
    }
    for (const Entry& e : kids) {
      if (f.has_merge && e.key == merge_key_) continue;
      put(e, true);
    }
    return std::nullopt;
  }

  const ParseOptions& opts_;
  bool yaml11_ = false;  // the current document's schema
  bool fy_breaks_1_1_ = false;  // libfyaml reads YAML 1.1's line breaks (after %YAML 1.1)
  Mark last_;            // where the last event ended
  size_t last_pos_ = 0;  // ... as a byte offset
  std::string_view text_;
  std::string scratch_;  // a decoded scalar, until the next one
  std::string utf8_;     // the text converted from UTF-16 or UTF-32
  bool failed_on_tab_after_block_entry_ = false;
  uint64_t anchor_seq_ = 0;
  size_t complex_key_bytes_ = 0;
  Document doc_;
  NodeId stream_ = kNoNode;
  KeyId merge_key_ = kNoKey;
  std::vector<Frame> frames_;
  std::vector<Entry> pending_;
  std::vector<Entry> merged_;
  std::unordered_map<std::string, Anchor> anchors_;
  size_t alias_nodes_ = 0;
  std::vector<uint32_t> stamp_, slot_;
  uint32_t generation_ = 0;
};

// The block YAML that most snapshots are written in (Kubernetes manifests, Helm values,
// Ansible vars, generated configs): block maps and lists, one-line plain and quoted scalars,
// comments, `---` between documents, flow collections that close on their line, literal block
// scalars (`|`, `|-`), plain scalars wrapped over several lines, anchors and aliases
// (`&base`, `<<: *base`). Read here line by line, several times faster than libfyaml's scanner; the first line outside this subset, and any error,
// hands the whole text to libfyaml instead, so that libfyaml alone decides what is YAML and
// what each error says. Tests and a fuzzer hold the two readers to the same documents, with
// the same positions.
class BlockReader {
 public:
  BlockReader(std::string_view text, const ParseOptions& o) : text_(text), opts_(o), b_(o) {}

  // nullopt: the text is not in the subset (or has an error); read it with libfyaml.
  std::optional<Document> Read() {
    if (text_.find('\r') != std::string_view::npos) return std::nullopt;
    b_.Begin(text_);
    b_.StartDocument(opts_.yaml_1_1);
    for (next_ = 0; next_ < text_.size(); ++line_) {
      ls_ = next_;
      le_ = LineEnd(ls_);
      next_ = le_ + 1;
      size_t i = ls_;
      while (i < le_ && text_[i] == ' ') ++i;
      if (i == le_ || text_[i] == '#') continue;  // blank or comment
      if (i == ls_ && le_ - ls_ >= 3 &&
          (text_.compare(ls_, 3, "---") == 0 || text_.compare(ls_, 3, "...") == 0)) {
        if (!DocumentStart()) return std::nullopt;
        continue;
      }
      if (!Line(i)) return std::nullopt;
    }
    if (pending_ == Pending::kRoot && explicit_start_) return std::nullopt;  // an empty document
    if (!CloseAll()) return std::nullopt;
    auto doc = b_.Finish();
    if (!doc.ok()) return std::nullopt;
    return std::move(*doc);
  }

 private:
  enum class Pending { kNone, kRoot, kValue, kItem };
  enum class Follows { kEnd, kColon };  // after a token: the line's end (or a comment), or ':'
  struct Level {
    Type type;
    uint32_t indent;
  };
  struct Token {
    // kAlias: `*name` (value: the name); kAnchorOnly: `&name` with its node on later lines.
    enum Kind { kPlain, kQuoted, kFlow, kLiteral, kAlias, kAnchorOnly } kind = kPlain;
    std::string_view value;
    Mark at;  // where the node starts (at its anchor's '&' when it has one)
    Follows follows = Follows::kEnd;
    size_t start = 0;       // the token's first byte, after an anchor
    size_t node_start = 0;  // the node's first byte, its anchor included
    size_t next = 0;        // after the ':' when follows is kColon
    Mark end;               // just after the token's text (the key's end: an empty value's place)
    size_t span = 0;        // its bytes in the text
    std::string_view anchor;  // the name `&name` defines, if any
  };
  static constexpr size_t kNone = std::string_view::npos;
  static constexpr size_t kMaxKeyBytes = 1024;  // YAML's limit for an implicit key

  // 1-based column of byte `p` of the current line, in characters. Counted on from the last
  // column asked for (a line's nodes are asked for in order): a long line stays linear.
  uint32_t Col(size_t p) {
    if (col_ls_ != ls_ || p < col_pos_) col_ls_ = ls_, col_pos_ = ls_, col_ = 1;
    for (; col_pos_ < p; ++col_pos_)
      col_ += (static_cast<unsigned char>(text_[col_pos_]) & 0xC0) != 0x80;
    return col_;
  }
  Mark At(size_t p) { return Mark{line_, Col(p)}; }
  size_t SkipSpaces(size_t p) const {
    while (p < le_ && text_[p] == ' ') ++p;
    return p;
  }
  bool IsDash(size_t i) const { return text_[i] == '-' && (i + 1 == le_ || text_[i + 1] == ' '); }

  // `---` alone (or with a comment) starts a document; anything else on the line, and `...`,
  // are libfyaml's.
  bool DocumentStart() {
    if (text_[ls_] != '-') return false;
    size_t i = ls_ + 3;
    if (i < le_ && text_[i] != ' ') return false;
    while (i < le_ && text_[i] == ' ') ++i;
    if (i < le_ && text_[i] != '#') return false;
    if (pending_ == Pending::kRoot) {
      if (explicit_start_) return false;  // the document before was empty
    } else if (!CloseAll()) {
      return false;
    }
    pending_ = Pending::kRoot;
    explicit_start_ = true;
    return true;
  }

  // A line whose content starts at byte i.
  bool Line(size_t i) {
    if (text_[i] == '\t') return false;
    auto n = static_cast<uint32_t>(i - ls_);
    switch (pending_) {
      case Pending::kRoot: {
        if (!IsDash(i)) {
          auto t = Scan(i);
          if (!t || t->follows != Follows::kColon) return false;  // a scalar document
        }
        explicit_start_ = false;
        return Node(i, n);
      }
      case Pending::kItem:
        if (n <= levels_.back().indent) return false;  // an empty item
        return Node(i, n);
      case Pending::kValue: {
        uint32_t m = levels_.back().indent;
        if (n > m) return Node(i, n);
        if (n == m && IsDash(i)) {  // a list at its key's indentation
          pending_ = Pending::kNone;
          std::string_view anchor = std::exchange(pending_anchor_, {});
          return Open(Type::kList, n, anchor.empty() ? At(i) : pending_anchor_at_, anchor) &&
                 Item(i, n);
        }
        if (!Null()) return false;
        break;
      }
      case Pending::kNone:
        break;
    }
    while (!levels_.empty() && levels_.back().indent > n)
      if (!Close()) return false;
    if (levels_.empty() || levels_.back().indent != n) return false;
    if (levels_.back().type == Type::kList) {
      if (IsDash(i)) return Item(i, n);
      // A list at its key's indentation ends at the map's next key.
      if (levels_.size() < 2 || levels_[levels_.size() - 2].type != Type::kMap ||
          levels_[levels_.size() - 2].indent != n || !Close())
        return false;
    }
    if (IsDash(i)) return false;
    auto t = Scan(i);
    return t && t->follows == Follows::kColon && Entry(*t);
  }

  // A node starting at byte i, column n (0-based), in a place that waits for one: after a
  // '-' on its line, or on a line of its own (an anchor on the line before is its own).
  bool Node(size_t i, uint32_t n, bool after_dash = false) {
    pending_ = Pending::kNone;
    std::string_view anchor = std::exchange(pending_anchor_, {});
    Mark anchor_at = pending_anchor_at_;
    if (IsDash(i)) return Open(Type::kList, n, anchor.empty() ? At(i) : anchor_at, anchor) && Item(i, n);
    auto t = Scan(i);
    if (!t || (!anchor.empty() && !t->anchor.empty())) return false;
    if (t->kind == Token::kAnchorOnly) {  // `- &name`: the item's node follows
      if (!after_dash) return false;
      pending_ = Pending::kItem;
      pending_anchor_ = t->anchor;
      pending_anchor_at_ = t->at;
      return true;
    }
    if (t->follows == Follows::kColon)  // an anchor before a first key is the key's: libfyaml's
      return t->anchor.empty() &&
             Open(Type::kMap, n, anchor.empty() ? t->at : anchor_at, anchor) && Entry(*t);
    if (!anchor.empty()) {
      t->anchor = anchor;
      t->at = anchor_at;
    }
    return Value(*t);
  }

  // A list item: the '-' at byte i.
  bool Item(size_t i, uint32_t) {
    size_t j = i + 1;
    while (j < le_ && text_[j] == ' ') ++j;
    if (j == le_ || text_[j] == '#') {
      pending_ = Pending::kItem;
      return true;
    }
    if (text_[j] == '\t') return false;
    return Node(j, static_cast<uint32_t>(j - ls_), true);
  }

  // A `key: value` entry of the innermost map.
  bool Entry(const Token& key) {
    if ((key.kind != Token::kPlain && key.kind != Token::kQuoted) || !key.anchor.empty() ||
        key.span > kMaxKeyBytes)
      return false;
    if (b_.OnScalar(key.value, key.kind == Token::kPlain, {}, {}, key.at)) return false;
    size_t j = key.next;
    while (j < le_ && text_[j] == ' ') ++j;
    if (j == le_ || text_[j] == '#') {
      pending_ = Pending::kValue;
      null_at_ = Mark{key.end.line, key.end.col + 1};  // libfyaml's place for an empty value
      return true;
    }
    if (text_[j] == '\t' || IsDash(j)) return false;
    auto t = Scan(j);
    if (!t || t->follows != Follows::kEnd) return false;
    if (t->kind == Token::kAnchorOnly) {  // `key: &name`: the value follows
      pending_ = Pending::kValue;
      null_at_ = Mark{key.end.line, key.end.col + 1};
      pending_anchor_ = t->anchor;
      pending_anchor_at_ = t->at;
      return true;
    }
    return Value(*t);
  }

  bool Value(const Token& t) {
    switch (t.kind) {
      case Token::kFlow:
        return Flow(t.start, true, t.anchor, t.at) != kNone;
      case Token::kLiteral:
        return Literal(t);
      case Token::kAlias:
        return t.anchor.empty() && !b_.OnAlias(t.value, t.at);
      case Token::kAnchorOnly:
        return false;
      case Token::kPlain:
        return Plain(t);
      default:
        return !b_.OnScalar(t.value, false, {}, t.anchor, t.at);
    }
  }

  // A plain scalar, with the lines after it that are indented more than its parent folded
  // in (YAML writers wrap long text so). The common form only: continuation lines without
  // tabs, comments, ': ' or a first character that is an indicator; else libfyaml's.
  bool Plain(const Token& t) {
    std::string_view value = t.value;
    if (SkipSpaces(t.start + t.span) == le_) {  // not ended by a comment
      const size_t parent = levels_.back().indent;
      std::string* out = nullptr;
      size_t breaks = 0;
      uint32_t line = line_ + 1;
      for (size_t p = next_; p < text_.size(); ++line) {
        size_t e = LineEnd(p);
        size_t first = p;
        while (first < e && text_[first] == ' ') ++first;
        if (first == e) {  // a blank line: a line break in the value if more text follows
          ++breaks;
          p = e + 1;
          continue;
        }
        if (first - p <= parent || text_[first] == '#') break;
        char c = text_[first];
        if (std::strchr("?:,[]{}#&*!|>'\"%@`", c) ||
            (c == '-' && (first + 1 == e || text_[first + 1] == ' ')))
          return false;
        size_t end = e;
        while (text_[end - 1] == ' ') --end;
        for (size_t q = first; q < end; ++q) {
          char d = text_[q];
          if (d == '\t' || (d == ':' && (q + 1 == end || text_[q + 1] == ' ')) ||
              (d == '#' && text_[q - 1] == ' '))
            return false;
        }
        if (!out) {
          out = &scratch_[scratch_turn_ ^= 1];
          out->assign(value);
        }
        if (breaks == 0)
          *out += ' ';
        else
          out->append(breaks, '\n');
        breaks = 0;
        out->append(text_.substr(first, end - first));
        p = e + 1;
        next_ = p;
        line_ = line;  // the main loop goes on after the last line read here
      }
      if (out) value = *out;
    }
    return !b_.OnScalar(value, true, {}, t.anchor, t.at);
  }

  size_t LineEnd(size_t from) const {
    const char* nl =
        static_cast<const char*>(std::memchr(text_.data() + from, '\n', text_.size() - from));
    return nl ? static_cast<size_t>(nl - text_.data()) : text_.size();
  }

  // A literal block scalar (`|` or `|-`, its header read by Scan): the lines after it that
  // are indented more than its parent, as written. The common form only: its indentation
  // found from its first line, no tabs, each of its lines ended by a line break, no blank
  // line longer than the indentation; else libfyaml's.
  bool Literal(const Token& t) {
    // A header alone on its line counts its content's indentation otherwise: libfyaml's.
    if (t.node_start == SkipSpaces(ls_)) return false;
    const size_t parent = levels_.back().indent;
    std::string& out = scratch_[scratch_turn_ ^= 1];
    out.clear();
    size_t indent = 0, leading_blanks = 0, content_end = 0;
    size_t p = next_;
    uint32_t line = line_ + 1;
    for (; p < text_.size(); ++line) {
      size_t e = LineEnd(p);
      size_t spaces = 0;
      while (p + spaces < e && text_[p + spaces] == ' ') ++spaces;
      bool blank = p + spaces == e;
      if (!blank && (indent == 0 ? spaces <= parent : spaces < indent)) break;  // its end
      if (e == text_.size() || std::memchr(text_.data() + p, '\t', e - p)) return false;
      if (blank) {
        if (indent == 0) leading_blanks = std::max(leading_blanks, spaces);
        if (indent != 0 && spaces > indent) return false;
        out += '\n';
      } else {
        if (indent == 0) indent = spaces;
        if (leading_blanks > indent) return false;
        out.append(text_.substr(p + indent, e - p - indent));
        out += '\n';
        content_end = out.size();
      }
      p = e + 1;
    }
    if (indent == 0) return false;  // no content: libfyaml's
    out.resize(content_end - (t.value == "-" ? 1 : 0));
    next_ = p;
    line_ = line - 1;  // the main loop counts the line it goes on with
    return !b_.OnScalar(out, false, {}, t.anchor, t.at);
  }

  // An empty value (an anchored one is libfyaml's: it places it otherwise).
  bool Null() {
    pending_ = Pending::kNone;
    return pending_anchor_.empty() && !b_.OnScalar({}, true, {}, {}, null_at_);
  }

  bool Open(Type t, uint32_t indent, Mark at, std::string_view anchor = {}) {
    if (b_.OnOpen(t, at, anchor, false)) return false;
    levels_.push_back(Level{t, indent});
    return true;
  }
  bool Close() {
    levels_.pop_back();
    return !b_.OnClose();
  }
  bool CloseAll() {
    if (pending_ == Pending::kItem) return false;
    if (pending_ == Pending::kValue && !Null()) return false;
    while (!levels_.empty())
      if (!Close()) return false;
    return true;
  }

  // The closing quote of the quoted scalar at byte i, or kNone when it is not on this line.
  size_t QuoteEnd(size_t i) const {
    char q = text_[i];
    for (size_t p = i + 1; p < le_; ++p) {
      if (q == '"' && text_[p] == '\\') {
        ++p;
      } else if (text_[p] == q) {
        if (q == '"' || p + 1 == le_ || text_[p + 1] != '\'') return p;
        ++p;  // '' in a single-quoted scalar
      }
    }
    return kNone;
  }

  // The value of the quoted scalar from byte i to its closing quote; false: libfyaml's to read.
  bool Unquoted(size_t i, size_t close, std::string_view& value) {
    char q = text_[i];
    std::string_view raw = text_.substr(i + 1, close - i - 1);
    if (raw.find_first_of(q == '"' ? "\\\t" : "'\t") == std::string_view::npos) {
      value = raw;
      return true;
    }
    std::string& out = scratch_[scratch_turn_ ^= 1];
    if (!(q == '"' ? YamlBuilder::Unescape(raw, out) : YamlBuilder::Unquote(raw, out)))
      return false;
    value = out;
    return true;
  }

  // Whether a plain scalar may start at byte i: not with an indicator ('-' followed by text
  // may), in flow collections not with a flow indicator either.
  bool PlainStart(size_t i, bool flow) const {
    char c = text_[i];
    if (c == '-') {
      char d = i + 1 < le_ ? text_[i + 1] : ' ';
      return d != ' ' && d != '\t' && !(flow && std::strchr(",[]{}", d));
    }
    return !std::strchr("?:,[]{}#&*!|>'\"%@`\t", c);
  }

  // A flow collection ('[' or '{' at byte i) that closes on its line, emitted when `emit` (a
  // first pass only finds where it ends). The byte after it, or kNone: not in the subset.
  size_t Flow(size_t i, bool emit, std::string_view anchor = {}, Mark anchor_at = {},
              uint32_t depth = 0) {
    // The first pass builds nothing, so it keeps the depth limit itself (`[[[[...` on one line).
    if (depth + levels_.size() >= opts_.max_depth) return kNone;
    bool is_map = text_[i] == '{';
    char close = is_map ? '}' : ']';
    if (emit && b_.OnOpen(is_map ? Type::kMap : Type::kList, anchor.empty() ? At(i) : anchor_at,
                          anchor, true))
      return kNone;
    size_t p = SkipSpaces(i + 1);
    if (p < le_ && text_[p] != close) {
      for (;;) {
        if (is_map) {  // `key: value`, nothing left out
          size_t key_start = p;
          p = FlowScalar(p, emit);
          if (p == kNone || p - key_start > kMaxKeyBytes) return kNone;
          p = SkipSpaces(p);
          if (p + 1 >= le_ || text_[p] != ':' || text_[p + 1] != ' ') return kNone;
          p = SkipSpaces(p + 1);
        }
        p = p < le_ && (text_[p] == '[' || text_[p] == '{') ? Flow(p, emit, {}, {}, depth + 1)
                                                            : FlowScalar(p, emit);
        if (p == kNone) return kNone;
        p = SkipSpaces(p);
        if (p >= le_ || (text_[p] != ',' && text_[p] != close)) return kNone;
        if (text_[p] == close) break;
        p = SkipSpaces(p + 1);
        if (p >= le_ || text_[p] == close) return kNone;  // a trailing comma: libfyaml's
      }
    }
    if (p >= le_ || (emit && b_.OnClose())) return kNone;
    return p + 1;
  }

  // A scalar inside a flow collection; the byte after it, or kNone.
  size_t FlowScalar(size_t p, bool emit) {
    if (p >= le_) return kNone;
    std::string_view value;
    size_t end;
    bool plain = text_[p] != '"' && text_[p] != '\'';
    if (!plain) {
      size_t q = QuoteEnd(p);
      if (q == kNone || (emit && !Unquoted(p, q, value))) return kNone;
      end = q + 1;
    } else {
      if (!PlainStart(p, true)) return kNone;
      size_t q = p;
      for (; q < le_; ++q) {
        char d = text_[q];
        if (d == '\t' || (d == '#' && text_[q - 1] == ' ')) return kNone;
        if (d == ',' || d == '[' || d == ']' || d == '{' || d == '}') break;
        if (d == ':' && (q + 1 == le_ || std::strchr(" ,[]{}", text_[q + 1]))) break;
      }
      end = q;
      while (text_[end - 1] == ' ') --end;
      value = text_.substr(p, end - p);
    }
    if (emit && b_.OnScalar(value, plain, {}, {}, At(p))) return kNone;
    return end;
  }

  // After a token that ends at byte p: blanks, then the line's end, a comment or ': '.
  std::optional<Token> Finish(Token t, size_t p) {
    size_t q = SkipSpaces(p);
    t.span = p - t.start;
    if (q == le_ || (text_[q] == '#' && q > p)) {
      t.follows = Follows::kEnd;
    } else if (text_[q] == ':' && (q + 1 == le_ || text_[q + 1] == ' ')) {
      t.follows = Follows::kColon;
      t.next = q + 1;
    } else {
      return std::nullopt;
    }
    return t;
  }

  // The end of the anchor's or alias's name after the '&' or '*' at byte i; kNone: libfyaml's.
  size_t NameEnd(size_t i) const {
    size_t e = i + 1;
    // (Non-ASCII is libfyaml's: it refuses some Unicode spaces in names.)
    for (; e < le_ && text_[e] != ' '; ++e)
      if (std::strchr(",[]{}\t", text_[e]) || static_cast<unsigned char>(text_[e]) >= 0x80)
        return kNone;
    return e == i + 1 ? kNone : e;
  }

  // The node at byte i (not a blank or '#'), with the anchor it may start with.
  std::optional<Token> Scan(size_t i) {
    if (text_[i] != '&') return ScanBare(i);
    Mark at = At(i);
    size_t e = NameEnd(i);
    if (e == kNone) return std::nullopt;
    size_t j = SkipSpaces(e);
    std::optional<Token> t;
    if (j == le_ || text_[j] == '#') {
      t.emplace();
      t->kind = Token::kAnchorOnly;
    } else if (text_[j] == '&' || text_[j] == '*' || !(t = ScanBare(j))) {
      return std::nullopt;
    }
    t->anchor = text_.substr(i + 1, e - i - 1);
    t->at = at;
    t->node_start = i;
    return t;
  }

  // The scalar, alias or flow collection at byte i, which is not a blank or '#'.
  std::optional<Token> ScanBare(size_t i) {
    char c = text_[i];
    Token t;
    t.at = At(i);
    t.start = t.node_start = i;
    if (c == '*') {
      size_t e = NameEnd(i);
      if (e == kNone) return std::nullopt;
      t.kind = Token::kAlias;
      t.value = text_.substr(i + 1, e - i - 1);
      return Finish(t, e);
    }
    if (c == '"' || c == '\'') {
      size_t close = QuoteEnd(i);
      if (close == kNone || !Unquoted(i, close, t.value)) return std::nullopt;
      t.kind = Token::kQuoted;
      t.end = At(close);
      return Finish(t, close + 1);
    }
    if (c == '[' || c == '{') {
      size_t end = Flow(i, false);
      if (end == kNone) return std::nullopt;
      t.kind = Token::kFlow;
      return Finish(t, end);
    }
    if (c == '|') {  // a literal block scalar's header: `|` or `|-`, then a comment at most
      size_t p = i + 1 + (i + 1 < le_ && text_[i + 1] == '-');
      size_t q = SkipSpaces(p);
      if (q < le_ && (text_[q] != '#' || q == p)) return std::nullopt;
      t.kind = Token::kLiteral;
      t.value = text_.substr(i + 1, p - i - 1);  // its chomping indicator
      return t;
    }
    if (!PlainStart(i, false)) return std::nullopt;
    // It ends at ': ' (a key), ' #' (a comment) or the line's end.
    size_t p = i;
    for (; p < le_; ++p) {
      char d = text_[p];
      if (d == '\t') return std::nullopt;
      if (d == ':' && (p + 1 == le_ || text_[p + 1] == ' ')) break;
      if (d == '#' && text_[p - 1] == ' ') break;
    }
    size_t end = p;
    while (text_[end - 1] == ' ') --end;
    t.value = text_.substr(i, end - i);
    t.end = At(end);
    return Finish(t, end);
  }

  std::string_view text_;
  const ParseOptions& opts_;
  YamlBuilder b_;
  uint32_t line_ = 1;
  size_t ls_ = 0, le_ = 0;  // the current line's bytes
  size_t next_ = 0;         // where the next line starts
  size_t col_ls_ = kNone, col_pos_ = 0;  // Col's place: a line's start, a byte, its column
  uint32_t col_ = 1;
  std::vector<Level> levels_;
  Pending pending_ = Pending::kRoot;
  bool explicit_start_ = false;  // the awaited document started with `---`
  Mark null_at_;
  // An anchor whose node starts on a later line (`key: &name`, `- &name`), and its place.
  std::string_view pending_anchor_;
  Mark pending_anchor_at_;
  // Decoded scalars: a key's and its value's are alive at once.
  std::string scratch_[2];
  int scratch_turn_ = 0;
};

// The text as UTF-8 of YAML's characters (converted from UTF-16 or UTF-32 into `utf8`), or a
// positioned error.
Result<std::string_view> CheckedText(std::string_view text, const ParseOptions& o,
                                     std::string& utf8, bool& unusual) {
  if (auto converted = ToUtf8(text)) {
    if (!converted->ok())
      return MakeError("YAML parse error: " + converted->error().message,
                       Position{o.origin, 1, 1});
    utf8 = std::move(converted->value());
    text = utf8;
  }
  if (auto bad = FindBadChar(text, unusual)) {
    Mark at = MarkAt(text, bad->offset);
    return MakeError("YAML parse error: " + bad->why, Position{o.origin, at.line, at.col});
  }
  return text;
}

}  // namespace

Result<Document> ParseYamlLibfyaml(std::string_view text, const ParseOptions& options) {
  std::string utf8;
  bool unusual = false;
  auto checked = CheckedText(text, options, utf8, unusual);
  if (!checked.ok()) return checked.error();
  return YamlBuilder(options).Run(*checked);
}

std::optional<Document> ParseYamlBlockSubset(std::string_view text, const ParseOptions& options) {
  std::string utf8;
  bool unusual = false;
  auto checked = CheckedText(text, options, utf8, unusual);
  if (!checked.ok() || unusual) return std::nullopt;
  return BlockReader(*checked, options).Read();
}

Result<Document> ParseYaml(std::string_view text, const ParseOptions& options) {
  std::string utf8;
  bool unusual = false;
  auto checked = CheckedText(text, options, utf8, unusual);
  if (!checked.ok()) return checked.error();
  if (!unusual)
    if (auto doc = BlockReader(*checked, options).Read()) return std::move(*doc);
  return YamlBuilder(options).Run(*checked);
}

}  // namespace drift
