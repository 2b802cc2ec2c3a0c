#include "rules/redact.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/crypto.h"
#include "core/strings.h"

namespace drift {

bool IsSecretKey(std::string_view key) {
  std::string k = ToLower(key);
  static constexpr std::string_view kWords[] = {"password", "passwd",      "secret",
                                                "token",    "apikey",      "api_key",
                                                "privatekey", "private_key", "credential"};
  for (auto w : kWords)
    if (k.find(w) != std::string::npos) return true;
  return false;
}

std::string Redactor::Fingerprint(std::string_view text) const {
  return "hmac:" + HmacSha256Hex(key_, text).substr(0, 12);
}

std::string Redactor::Fingerprint(const Document& d, NodeId id) const {
  if (d.type(id) == Type::kString) return Fingerprint(d.str(id));
  return Fingerprint(DumpJson(drift::ToJson(d, id)));
}

nlohmann::ordered_json Redactor::ToJson(const Document& d, NodeId id, bool& redacted) const {
  Type t = d.type(id);
  if (t == Type::kMap) {
    auto out = nlohmann::ordered_json::object();
    for (const Entry& e : d.children(id)) {
      std::string k(d.key(e.key));
      if (IsSecretKey(k)) {
        out[k] = Fingerprint(d, e.value);
        redacted = true;
      } else {
        out[k] = ToJson(d, e.value, redacted);
      }
    }
    return out;
  }
  if (t == Type::kList) {
    auto out = nlohmann::ordered_json::array();
    for (const Entry& e : d.children(id)) out.push_back(ToJson(d, e.value, redacted));
    return out;
  }
  return drift::ToJson(d, id);
}

Result<std::string> LoadFingerprintKey(const std::string& configured, const std::string& key_file,
                                       std::string& warning) {
  if (!configured.empty()) return configured;
  {
    std::ifstream f(key_file, std::ios::binary);
    if (f) {
      std::stringstream ss;
      ss << f.rdbuf();
      std::string k = ss.str();
      if (k.size() >= 16) return k;
    }
  }
  std::string key = RandomBytes(32);
  int fd = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd >= 0) {
    bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
    ok = ::fsync(fd) == 0 && ok;
    ::close(fd);
    if (ok) return key;
    ::unlink(key_file.c_str());
  } else if (errno == EEXIST) {
    // Another process created it between our read and open: use theirs.
    std::ifstream f(key_file, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    if (ss.str().size() >= 16) return ss.str();
  }
  warning = "cannot create the fingerprint key file " + key_file + " (" + std::strerror(errno) +
            "); secret fingerprints of this run will not match other runs";
  return key;
}

}  // namespace drift
