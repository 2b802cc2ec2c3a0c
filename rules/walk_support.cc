#include "rules/walk_support.h"

#include "core/path.h"
#include "core/strings.h"

namespace drift::walk {

std::string FormatSteps(const std::vector<PathStep>& steps, bool secret_source,
                        const Redactor& redactor) {
  std::string out;
  bool secret = secret_source;
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& s = steps[i];
    switch (s.kind) {
      case StepView::Kind::kKey:
        AppendKey(out, s.key, i == 0);
        if (i > 0 && IsSecretKey(s.key)) secret = true;
        break;
      case StepView::Kind::kIndex: AppendIndex(out, s.index); break;
      case StepView::Kind::kKeyed: {
        std::string value;
        if (secret) {
          value = redactor.Fingerprint(s.value);
        } else {
          // A key value holding a URL password or a private key is masked like any value.
          bool masked = false;
          auto shown = redactor.StringJson(s.value, masked);
          value = masked ? shown.get<std::string>() : std::string(s.value);
        }
        AppendKeyed(out, s.key, value);
        break;
      }
    }
  }
  return out;
}

NodeId MapCursor::Find(std::string_view k) {
  for (size_t probe = 0; probe < 4 && next_ + probe < kids_.size(); ++probe) {
    const Entry& e = kids_[next_ + probe];
    if (d_.key(e.key) == k) {
      next_ += probe + 1;
      return e.value;
    }
  }
  if (kids_.size() <= 16) {
    for (size_t i = 0; i < kids_.size(); ++i) {
      if (d_.key(kids_[i].key) == k) {
        next_ = i + 1;
        return kids_[i].value;
      }
    }
    return kNoNode;
  }
  if (index_.empty()) {
    index_.reserve(kids_.size());
    for (size_t i = 0; i < kids_.size(); ++i) index_.emplace(d_.key(kids_[i].key), i);
  }
  auto it = index_.find(k);
  if (it == index_.end()) return kNoNode;
  next_ = it->second + 1;
  return kids_[it->second].value;
}

std::pair<size_t, size_t> SplitPoint(std::span<const Document* const> docs) {
  std::vector<NodeId> at;
  for (const Document* d : docs) at.push_back(d ? d->root() : kNoNode);
  for (size_t depth = 0;; ++depth) {
    size_t most = 0;
    bool chain = true;
    std::string_view key;
    bool first = true;
    for (size_t e = 0; e < docs.size(); ++e) {
      if (!docs[e] || at[e] == kNoNode) continue;
      const Document& d = *docs[e];
      if (!d.is_container(at[e])) {
        chain = false;
        continue;
      }
      auto kids = d.children(at[e]);
      most = std::max(most, kids.size());
      if (d.type(at[e]) != Type::kMap || kids.size() != 1) {
        chain = false;
        continue;
      }
      if (first) key = d.key(kids[0].key);
      else if (d.key(kids[0].key) != key) chain = false;
      first = false;
    }
    if (!chain || first) return {depth, most};
    for (size_t e = 0; e < docs.size(); ++e)
      if (docs[e] && at[e] != kNoNode) at[e] = docs[e]->children(at[e])[0].value;
  }
}

}  // namespace drift::walk
