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

bool HasPemPrivateKey(std::string_view text) {
  for (size_t at = text.find("-----BEGIN "); at != std::string_view::npos;
       at = text.find("-----BEGIN ", at + 1)) {
    size_t eol = text.find("-----", at + 11);
    if (eol == std::string_view::npos) return false;
    std::string_view label = text.substr(at + 11, eol - at - 11);
    if (label.size() < 80 && label.ends_with("PRIVATE KEY")) return true;
  }
  return false;
}

namespace {

// Characters that end a URL written inside other text.
bool EndsUrl(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '<' ||
         c == '>' || c == '`' || c == ',' || c == ';' || c == ')' || c == ']' || c == '}';
}

bool SchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

}  // namespace

bool ReplaceUrlSecrets(std::string& text,
                       const std::function<std::string(std::string_view)>& replace) {
  bool changed = false;
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
    // User info: up to the last '@' of the authority (a password may hold '@' or '/',
    // so the authority is taken to the last '@' before the path's first '/' after it).
    size_t auth_end = end;
    for (size_t i = begin; i < end; ++i)
      if (text[i] == '?' || text[i] == '#') {
        auth_end = i;
        break;
      }
    size_t at = text.rfind('@', auth_end == 0 ? 0 : auth_end - 1);
    if (at != std::string::npos && at >= begin && at < auth_end) {
      size_t colon = text.find(':', begin);
      if (colon != std::string::npos && colon < at) {
        std::string_view pw(text.data() + colon + 1, at - colon - 1);
        if (!pw.empty()) {
          std::string r = replace(pw);
          text.replace(colon + 1, pw.size(), r);
          long delta = static_cast<long>(r.size()) - static_cast<long>(pw.size());
          end += delta;
          auth_end += delta;
          changed = true;
        }
      }
    }
    // Query parameters with secret names.
    size_t q = text.find('?', begin);
    if (q != std::string::npos && q < end) {
      size_t i = q + 1;
      while (i < end) {
        size_t amp = i;
        while (amp < end && text[amp] != '&' && text[amp] != '#') ++amp;
        size_t eq = text.find('=', i);
        if (eq != std::string::npos && eq < amp &&
            IsSecretName(std::string_view(text.data() + i, eq - i)) && amp > eq + 1) {
          std::string_view v(text.data() + eq + 1, amp - eq - 1);
          std::string r = replace(v);
          text.replace(eq + 1, v.size(), r);
          long delta = static_cast<long>(r.size()) - static_cast<long>(v.size());
          end += delta;
          amp += delta;
          changed = true;
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
  size_t at;
  while ((at = text.find("-----BEGIN ")) != std::string::npos && HasPemPrivateKey(text.substr(at))) {
    size_t end = text.find("PRIVATE KEY-----", at);
    size_t end2 = text.find("PRIVATE KEY-----", end + 16);  // the END line
    size_t stop = end2 == std::string::npos ? end + 16 : end2 + 16;
    text.replace(at, stop - at, "[private key]");
  }
  return text;
}

}  // namespace drift
