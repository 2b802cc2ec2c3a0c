#include "core/secrets.h"

#include <cctype>

#include "core/strings.h"

namespace drift {

bool IsSecretName(std::string_view name) {
  std::string k = ToLower(name);
  static constexpr std::string_view kWords[] = {"password", "passwd",     "secret",
                                                "token",    "apikey",     "api_key",
                                                "privatekey", "private_key", "credential"};
  for (auto w : kWords)
    if (k.find(w) != std::string::npos) return true;
  return false;
}

namespace {

// The next "-----BEGIN <label>-----" at or after `from` whose label names a private key
// (PKCS#1/#8, EC, OpenSSH, "PGP PRIVATE KEY BLOCK"): its start and its label.
bool FindPrivateKey(std::string_view text, size_t from, size_t& at, std::string_view& label) {
  for (at = text.find("-----BEGIN ", from); at != std::string_view::npos;
       at = text.find("-----BEGIN ", at + 1)) {
    size_t close = text.find("-----", at + 11);
    if (close == std::string_view::npos) return false;
    label = text.substr(at + 11, close - at - 11);
    if (label.size() < 80 && label.find("PRIVATE KEY") != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

bool HasPemPrivateKey(std::string_view text) {
  size_t at;
  std::string_view label;
  return FindPrivateKey(text, 0, at, label);
}

namespace {

// Characters that end a URL written inside other text. Everything else (`;`, `,`, `)`, `'`)
// may be part of a password or a query value, and masking a little more is safe.
bool EndsUrl(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '<' || c == '>' ||
         c == '`' || c == '\0';
}

bool SchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

bool ReplaceUrlSecrets(std::string& text,
                       const std::function<std::string(std::string_view)>& replace) {
  bool changed = false;
  // Replaces text[at, at + len) by its replacement; returns how much longer the text got.
  auto splice = [&](size_t at, size_t len) -> long {
    std::string r = replace(std::string_view(text.data() + at, len));
    text.replace(at, len, r);
    changed = true;
    return static_cast<long>(r.size()) - static_cast<long>(len);
  };
  size_t pos = 0;
  while ((pos = text.find("://", pos)) != std::string::npos) {
    // The scheme must be there: letters right before "://".
    size_t s = pos;
    while (s > 0 && SchemeChar(text[s - 1])) --s;
    if (s == pos) {
      pos += 3;
      continue;
    }
    size_t begin = pos + 3;
    size_t end = begin;
    while (end < text.size() && !EndsUrl(text[end])) ++end;
    size_t query = begin;  // the first '?' or '#', else the end
    while (query < end && text[query] != '?' && text[query] != '#') ++query;
    size_t slash = begin;  // where the authority ends by the RFC
    while (slash < query && text[slash] != '/') ++slash;
    // User info ends at the last '@' before the query. An '@' past a '/' is still user info
    // when what precedes the '/' is "user:pass…" (raw '/' in passwords is common), but not
    // when it is "host:port" (`https://h:8443/u/bob@x.com`).
    size_t at = std::string::npos;
    for (size_t i = begin; i < query; ++i)
      if (text[i] == '@') at = i;
    if (at != std::string::npos && at > slash) {
      std::string_view head(text.data() + begin, slash - begin);
      size_t colon = head.find(':');
      if (colon == std::string_view::npos || AllDigits(head.substr(colon + 1))) at = std::string::npos;
    }
    if (at != std::string::npos) {
      size_t colon = text.find(':', begin);
      if (colon < at && at > colon + 1) {
        long delta = splice(colon + 1, at - colon - 1);
        end += delta;
        query += delta;
      }
    }
    // Query parameters with secret names.
    if (query < end && text[query] == '?') {
      size_t i = query + 1;
      while (i < end) {
        size_t amp = i;
        while (amp < end && text[amp] != '&' && text[amp] != '#') ++amp;
        size_t eq = text.find('=', i);
        if (eq != std::string::npos && eq < amp &&
            IsSecretName(std::string_view(text.data() + i, eq - i)) && amp > eq + 1) {
          long delta = splice(eq + 1, amp - eq - 1);
          end += delta;
          amp += delta;
        }
        if (amp >= end || text[amp] == '#') break;
        i = amp + 1;
      }
    }
    pos = end > pos + 3 ? end : pos + 3;
  }
  return changed;
}

std::string MaskSecretsInText(std::string text) {
  ReplaceUrlSecrets(text, [](std::string_view) { return std::string("***"); });
  // Each private key from its BEGIN line to the END line of the same label, or to the end
  // of the text when it was cut.
  size_t from = 0, at;
  std::string_view label;
  while (FindPrivateKey(text, from, at, label)) {
    std::string end_line = "-----END " + std::string(label) + "-----";
    size_t end = text.find(end_line, at);
    size_t stop = end == std::string::npos ? text.size() : end + end_line.size();
    text.replace(at, stop - at, "[private key]");
    from = at + 13;
  }
  return text;
}

}  // namespace drift
