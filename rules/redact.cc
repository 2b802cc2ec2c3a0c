#include "rules/redact.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <fstream>
#include <sstream>

#include "core/files.h"
#include "core/crypto.h"
#include "core/secrets.h"
#include "core/strings.h"

namespace drift {

bool IsSecretKey(std::string_view key) { return IsSecretName(key); }

std::string Redactor::Fingerprint(std::string_view text) const {
  return "hmac:" + HmacSha256Hex(key_, text).substr(0, 12);
}

std::string Redactor::Fingerprint(const Document& d, NodeId id) const {
  if (d.type(id) == Type::kString) return Fingerprint(d.str(id));
  return Fingerprint(DumpJson(drift::ToJson(d, id)));
}

nlohmann::ordered_json Redactor::StringJson(std::string_view s, bool& redacted) const {
  if (HasPemPrivateKey(s)) {
    redacted = true;
    return Fingerprint(s);
  }
  if (s.find("://") != std::string_view::npos) {
    std::string copy(s);
    if (ReplaceUrlSecrets(copy, [this](std::string_view secret) { return Fingerprint(secret); })) {
      redacted = true;
      return copy;
    }
  }
  return std::string(s);
}

namespace {

struct RedactWalk {
  const Redactor& r;
  bool& redacted;

  static std::optional<std::string> FieldOf(const void* ctx, std::string_view field) {
    auto* c = static_cast<const std::pair<const Document*, NodeId>*>(ctx);
    NodeId f = c->first->find(c->second, field);
    if (f == kNoNode || c->first->is_container(f)) return std::nullopt;
    return c->first->scalar_text(f);
  }

  // `states`: the rule selectors' states at `id` (empty when no rule is in scope).
  nlohmann::ordered_json Walk(const Document& d, NodeId id,
                              const std::vector<std::pair<const Selector*, Selector::State>>& states) {
    for (const auto& [sel, st] : states) {
      if (sel->Accepts(st)) {
        redacted = true;
        return r.Fingerprint(d, id);
      }
    }
    Type t = d.type(id);
    if (t == Type::kString) return r.StringJson(d.str(id), redacted);
    if (t != Type::kMap && t != Type::kList) return drift::ToJson(d, id);
    std::vector<std::pair<const Selector*, Selector::State>> next;
    auto step_all = [&](const StepView& step) {
      next.clear();
      for (const auto& [sel, st] : states) {
        auto n = sel->Step(st, step);
        if (n) next.emplace_back(sel, n);
      }
    };
    if (t == Type::kMap) {
      auto out = nlohmann::ordered_json::object();
      for (const Entry& e : d.children(id)) {
        std::string k(d.key(e.key));
        if (IsSecretKey(k)) {
          out[k] = r.Fingerprint(d, e.value);
          redacted = true;
          continue;
        }
        step_all(StepView{StepView::Kind::kKey, k, 0, {}, nullptr, nullptr});
        out[k] = Walk(d, e.value, next);
      }
      return out;
    }
    auto out = nlohmann::ordered_json::array();
    int64_t index = 0;
    for (const Entry& e : d.children(id)) {
      std::pair<const Document*, NodeId> ctx{&d, e.value};
      step_all(StepView{StepView::Kind::kIndex, {}, index++, {}, &ctx, &FieldOf});
      out.push_back(Walk(d, e.value, next));
    }
    return out;
  }
};

}  // namespace

nlohmann::ordered_json Redactor::ToJson(const Document& d, NodeId id, bool& redacted) const {
  RedactWalk w{*this, redacted};
  return w.Walk(d, id, {});
}

nlohmann::ordered_json Redactor::SnapshotJson(const Document& d, const RuleScope& scope,
                                              bool& redacted) const {
  RedactWalk w{*this, redacted};
  return w.Walk(d, d.root(), scope.selectors);
}

Result<std::string> LoadFingerprintKey(const std::string& configured, const std::string& key_file,
                                       std::string& warning) {
  if (!configured.empty()) return configured;
  if (auto k = ReadWholeFile(key_file); k.ok() && k->size() >= 16) return std::move(*k);
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
    if (auto k = ReadWholeFile(key_file); k.ok() && k->size() >= 16) return std::move(*k);
  }
  warning = "cannot create the fingerprint key file " + key_file + " (" + std::strerror(errno) +
            "); secret fingerprints of this run will not match other runs";
  return key;
}

}  // namespace drift
