#include "core/selector.h"

#include <bit>

#include "core/strings.h"

namespace drift {
namespace {

constexpr size_t kMaxAlternatives = 1024;

// "*_{URL,HOST}" -> {"*_URL", "*_HOST"}: each {..} group multiplies the patterns (stops
// growing past kMaxAlternatives; the caller refuses that).
std::vector<std::string> Alternatives(std::string_view key) {
  std::vector<std::string> out{""};
  size_t i = 0;
  while (i < key.size()) {
    if (key[i] != '{') {
      for (auto& o : out) o += key[i];
      ++i;
      continue;
    }
    size_t close = key.find('}', i);
    std::vector<std::string_view> alts;
    std::string_view inner = key.substr(i + 1, close - i - 1);
    for (size_t a = 0;;) {
      size_t comma = inner.find(',', a);
      alts.push_back(inner.substr(a, comma == std::string_view::npos ? comma : comma - a));
      if (comma == std::string_view::npos) break;
      a = comma + 1;
    }
    std::vector<std::string> next;
    for (const auto& o : out)
      for (auto alt : alts)
        if (next.size() <= kMaxAlternatives) next.push_back(o + std::string(alt));
    out = std::move(next);
    i = close + 1;
  }
  return out;
}

}  // namespace

Result<Selector> Selector::Compile(std::string_view text) {
  auto parsed = ParsePath(text, /*selector=*/true);
  if (!parsed.ok()) return MakeError("invalid selector '" + std::string(text) + "': " +
                                     parsed.error().message);
  Selector sel;
  sel.text_ = std::string(text);
  sel.path_ = *parsed;
  if (parsed->size() > kMaxSegments)
    return MakeError("selector '" + std::string(text) + "' has more than " +
                     std::to_string(kMaxSegments) + " segments");
  for (const auto& p : *parsed) {
    Seg s;
    switch (p.kind) {
      case PathSegment::Kind::kKey:
        if (!p.quoted && p.key == "**") {
          s.kind = SegKind::kDoubleStar;
        } else if (!p.quoted && p.key == "*") {
          s.kind = SegKind::kStar;
        } else if (!p.quoted && p.key.find("**") != std::string::npos) {
          return MakeError("invalid selector '" + std::string(text) +
                           "': ** must be a whole segment");
        } else if (!p.quoted && p.key.find_first_of("*{") != std::string::npos) {
          s.kind = SegKind::kGlob;
          s.key = p.key;
          s.globs = Alternatives(p.key);
          if (s.globs.size() > kMaxAlternatives)
            return MakeError("invalid selector '" + std::string(text) + "': '" + p.key +
                             "' spells out more than " + std::to_string(kMaxAlternatives) +
                             " alternatives");
        } else {
          s.kind = SegKind::kLiteral;
          s.key = p.key;
        }
        break;
      case PathSegment::Kind::kIndex:
        s.kind = p.index < 0 ? SegKind::kAnyIndex : SegKind::kIndex;
        s.index = p.index;
        break;
      case PathSegment::Kind::kKeyed:
        s.kind = SegKind::kKeyed;
        s.key = p.key;
        s.value = p.value;
        break;
    }
    if (s.kind != SegKind::kLiteral && s.kind != SegKind::kIndex && s.kind != SegKind::kKeyed)
      sel.literal_ = false;
    if (s.kind == SegKind::kDoubleStar) sel.double_stars_ |= State{1} << sel.segs_.size();
    sel.segs_.push_back(std::move(s));
  }
  for (size_t i = 0; i + 1 < sel.segs_.size(); ++i)
    if (sel.segs_[i].kind == SegKind::kDoubleStar && sel.segs_[i + 1].kind == SegKind::kLiteral)
      sel.waits_.emplace_back((State{1} << i) | (State{1} << (i + 1)), sel.segs_[i + 1].key);
  return sel;
}

Selector::State Selector::Closure(State s) const {
  // ** matches zero segments: position i reachable => i+1 reachable (in order, so that
  // ** ** cascades).
  for (State todo = s & double_stars_; todo;) {
    State next = State{1} << (std::countr_zero(todo) + 1);
    s |= next;
    todo &= todo - 1;
    todo |= next & double_stars_;
  }
  return s;
}

bool Selector::SegMatches(const Seg& seg, const StepView& step) const {
  switch (seg.kind) {
    case SegKind::kStar: return true;
    case SegKind::kDoubleStar: return true;
    case SegKind::kLiteral: return step.kind == StepView::Kind::kKey && step.key == seg.key;
    case SegKind::kGlob:
      if (step.kind != StepView::Kind::kKey) return false;
      for (const auto& g : seg.globs)
        if (GlobMatch(g, step.key)) return true;
      return false;
    case SegKind::kIndex: return step.kind == StepView::Kind::kIndex && step.index == seg.index;
    case SegKind::kAnyIndex:
      return step.kind == StepView::Kind::kIndex || step.kind == StepView::Kind::kKeyed;
    case SegKind::kKeyed:
      if (step.kind == StepView::Kind::kKeyed) return step.key == seg.key && step.value == seg.value;
      if (step.kind == StepView::Kind::kIndex && step.field_of) {
        auto v = step.field_of(step.ctx, seg.key);
        return v && *v == seg.value;
      }
      return false;
  }
  return false;
}

Selector::State Selector::Step(State s, const StepView& step) const {
  State out = 0;
  // Only the reachable positions (a selector's state has few bits set).
  for (State bits = s & ((State{1} << segs_.size()) - 1); bits; bits &= bits - 1) {
    size_t i = static_cast<size_t>(std::countr_zero(bits));
    const Seg& seg = segs_[i];
    if (seg.kind == SegKind::kDoubleStar) {
      out |= State{1} << i;  // ** swallows this segment and stays
    } else if (SegMatches(seg, step)) {
      out |= State{1} << (i + 1);
    }
  }
  return Closure(out);
}

}  // namespace drift
