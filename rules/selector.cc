#include "rules/selector.h"

#include "core/strings.h"

namespace drift {

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
        } else if (!p.quoted && p.key.find('*') != std::string::npos) {
          s.kind = SegKind::kGlob;
          s.key = p.key;
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
    sel.segs_.push_back(std::move(s));
  }
  return sel;
}

Selector::State Selector::Closure(State s) const {
  // ** matches zero segments: position i reachable => i+1 reachable.
  for (size_t i = 0; i < segs_.size(); ++i) {
    if (((s >> i) & 1) && segs_[i].kind == SegKind::kDoubleStar) s |= State{1} << (i + 1);
  }
  return s;
}

bool Selector::SegMatches(const Seg& seg, const StepView& step) const {
  switch (seg.kind) {
    case SegKind::kStar: return true;
    case SegKind::kDoubleStar: return true;
    case SegKind::kLiteral: return step.kind == StepView::Kind::kKey && step.key == seg.key;
    case SegKind::kGlob: return step.kind == StepView::Kind::kKey && GlobMatch(seg.key, step.key);
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
  for (size_t i = 0; i < segs_.size(); ++i) {
    if (!((s >> i) & 1)) continue;
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
