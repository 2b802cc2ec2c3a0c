#include "rules/engine.h"

#include <optional>
#include <unordered_map>

#include "core/path.h"
#include "rules/walk_support.h"

namespace drift {

using walk::FormatSteps;
using walk::MapCursor;
using walk::PathStep;
using walk::SameContainerType;
using walk::SplitPoint;

class Walker final : public JudgeContext {
 public:
  Walker(const Evaluator& ev, const ServiceConfig* service, const std::string& owner,
         const std::string& source, std::span<const Document* const> docs, int baseline)
      : ev_(ev), service_(service), owner_(owner), source_(source), baseline_(baseline) {
    for (const Document* d : docs) roots_.push_back(Side{d, d ? d->root() : kNoNode});
    env_count_ = static_cast<int>(docs.size());
    if (baseline_ >= 0 && !roots_[baseline_].collected()) baseline_ = -1;
    if (service_) {
      for (size_t i = 0; i < ev_.rules_.rules.size(); ++i) {
        const auto& r = ev_.rules_.rules[i];
        if (!r.applies_to_service(service_->name)) continue;
        if (r.ignore && r.expired(ev_.today_)) continue;
        active_.push_back(&r);
      }
    }
  }

  // Overrides for `drift diff`: env names used in messages and env_tokens.
  std::vector<EnvNames> names_override;
  bool redact_all = false;

  // Part `part` of `parts` of a walk split at `split_depth` (see SplitPoint): only the
  // children of the split node in this part's share are visited, and only part 0 judges the
  // nodes at or above the split, so the parts' findings concatenate to the whole walk's.
  void Slice(size_t part, size_t parts, size_t split_depth) {
    part_ = part;
    parts_ = parts;
    split_depth_ = split_depth;
  }

  std::vector<Finding> Run() {
    EnvSet envs = 0;
    for (int e = 0; e < env_count_; ++e)
      if (roots_[e].collected()) envs |= EnvSet{1} << e;
    std::vector<Live> live;
    StepView step{StepView::Kind::kKey, source_, 0, {}, nullptr, nullptr};
    if (!source_.empty()) path_.push_back(PathStep{StepView::Kind::kKey, source_, 0, {}});
    for (uint32_t i = 0; i < active_.size(); ++i) {
      Selector::State st = active_[i]->selector.Start();
      if (!source_.empty()) st = active_[i]->selector.Step(st, step);
      if (st) live.push_back(Live{i, st, active_[i]->selector.WaitingFor(st)});
    }
    root_depth_ = path_.size();
    seen_.assign(active_.size(), 0);
    Walk(roots_, envs, Judge{&ev_.rules_.defaults, false}, live);
    if (part_ + 1 == parts_) LiteralPresence();
    return std::move(out_);
  }

  // --- JudgeContext ---
  int env_count() const override { return env_count_; }
  int baseline() const override { return baseline_; }
  const std::string& env_name(int env) const override { return names(env).name; }
  Side side(int env) override { return sides_[env]; }

  void Report(int env, FindingKind kind, Side baseline_value, Side value, int with_env = -1,
              std::string message = {}) override {
    Finding f;
    f.service = service_ ? service_->name : "";
    f.source = source_;
    f.path = FormatSteps(path_, redact_all, ev_.redactor_);
    f.env = env_name(env);
    if (with_env >= 0) f.with_env = env_name(with_env);
    f.rule = rule_->name;
    f.kind = kind;
    f.severity = rule_->severity;
    f.owner = rule_->owner.empty() ? owner_ : rule_->owner;
    f.runbook = rule_->runbook;
    f.description = rule_->description;
    bool secret = redact_all || redacting_ > 0 || SecretPath();
    Side rb = ToRaw(baseline_value), rv = ToRaw(value);
    if (rb.present()) f.baseline_value = Value(rb, secret, f.redacted);
    if (rv.present()) {
      f.value = Value(rv, secret, f.redacted);
      const Node& n = rv.doc->node(rv.node);
      f.file = rv.doc->origin();
      f.line = n.line;
      f.column = n.column;
    } else if (sides_[env].collected()) {
      f.file = ToRaw(Side{sides_[env].doc, kNoNode}).doc->origin();
    }
    // A message quoting values (semver_skew's versions) would show a secret's parts.
    if (!secret && !f.redacted) f.message = std::move(message);
    f.id = FindingId(f.service, f.source, f.path, f.env, f.rule);
    out_.push_back(std::move(f));
  }

  void DiffEqual(int env) override { Diff(side(baseline_), side(env), env); }

 private:
  // A rule whose selector can still match at or below the node being walked, with its state;
  // lists of them are in file order (active_'s), and rules that can no longer match are
  // dropped, so a node costs only the rules still alive there.
  struct Live {
    uint32_t rule;  // index into active_
    Selector::State state;
    std::string_view waiting;  // Selector::WaitingFor(state)
  };

  // The rule judging a node's values (SPEC §4 "the most specific rule judges"): the one
  // applying to it, else its nearest ancestor's. `covered`: a whole-value rule (differ,
  // present, absent) judged an ancestor, so it judges nothing more below.
  struct Judge {
    const CompiledRule* rule;
    bool covered;
  };

  const EnvNames& names(int env) const {
    return names_override.empty() ? ev_.env_names_[env] : names_override[env];
  }

  bool SecretPath() const {
    for (size_t i = source_.empty() ? 0 : 1; i < path_.size(); ++i) {
      if (path_[i].kind == StepView::Kind::kKey && IsSecretKey(path_[i].key)) return true;
      // A list_key item named like a secret (env[name=DB_PASSWORD].value).
      if (path_[i].kind == StepView::Kind::kKeyed && IsSecretKey(path_[i].value)) return true;
    }
    return false;
  }

  nlohmann::ordered_json Value(Side s, bool secret, bool& redacted) const {
    if (secret) {
      redacted = true;
      return ev_.redactor_.Fingerprint(*s.doc, s.node);
    }
    return ev_.redactor_.ToJson(*s.doc, s.node, redacted);
  }

  // A side in a normalized copy mapped back, level by level, to the snapshot it came from.
  Side ToRaw(Side s) const {
    for (size_t l = levels_used_; l-- > 0;) {
      const Level& level = *levels_[l];
      for (int e = 0; e < env_count_; ++e) {
        if (!level.normalized[e] || &level.trees[e].doc != s.doc) continue;
        if (level.filtered) return s;  // shown as filtered, ignored parts left out
        s = Side{level.trees[e].raw, s.node == kNoNode ? kNoNode : level.trees[e].origin[s.node]};
        break;
      }
    }
    return s;
  }

  void Apply(const CompiledRule& rule, std::span<const Side> sides, EnvSet envs) {
    rule_ = &rule;
    sides_.assign(sides.begin(), sides.end());
    rule.expect->Judge(*this, envs);
  }

  struct FieldCtx {
    std::span<const Side> sides;
    int64_t index;
  };
  static std::optional<std::string> FieldOf(const void* ctx, std::string_view field) {
    auto* c = static_cast<const FieldCtx*>(ctx);
    for (const Side& s : c->sides) {
      if (!s.present() || s.doc->type(s.node) != Type::kList) continue;
      auto kids = s.doc->children(s.node);
      if (c->index >= static_cast<int64_t>(kids.size())) continue;
      NodeId f = s.doc->find(kids[c->index].value, field);
      if (f != kNoNode && !s.doc->is_container(f)) return s.doc->scalar_text(f);
    }
    return std::nullopt;
  }

  // Whether a rule other than `except` may still apply somewhere below, for one of `envs`
  // (ignores count only when `ignores`).
  bool AnyAlive(std::span<const Live> live, EnvSet envs, const CompiledRule* except,
                bool ignores) const {
    for (const Live& l : live) {
      const CompiledRule* r = active_[l.rule];
      if ((r->envs & envs) && r != except && (ignores || !r->ignore)) return true;
    }
    return false;
  }

  bool Contributed(const CompiledRule* r) const {
    return std::find(chain_.begin(), chain_.end(), r) != chain_.end();
  }

  // One node of the walk, for the envs still walking here (SPEC §4 composition).
  void Walk(std::span<const Side> sides, EnvSet envs, Judge judge,
            std::span<const Live> live) {
    // 1. Ignores always win, wherever they stand in the file.
    for (const Live& l : live) {
      const CompiledRule* r = active_[l.rule];
      if (r->ignore && r->selector.Accepts(l.state)) envs &= ~r->envs;
    }
    if (!envs) return;
    // A rule saying redact: true keeps everything below it redacted, whether it judges or
    // not: adding a rule must never un-redact a value.
    bool redact = false;
    for (const Live& l : live) {
      const CompiledRule* r = active_[l.rule];
      if (r->redact && !r->ignore && (r->envs & envs) && r->selector.Accepts(l.state)) redact = true;
    }
    redacting_ += redact;
    // 2. The first rule in file order that applies to the node judges it for its envs; the
    // others keep their ancestor's judge.
    EnvSet rest = envs;
    for (size_t i = 0; i < live.size() && rest; ++i) {
      const CompiledRule* r = active_[live[i].rule];
      if (r->ignore || !r->selector.Accepts(live[i].state)) continue;
      seen_[live[i].rule] = 1;
      EnvSet g = rest & r->envs;
      if (!g) continue;
      rest &= ~g;
      Judged(sides, g, r == judge.rule ? judge : Judge{r, false}, live);
    }
    if (rest) Judged(sides, rest, judge, live);
    redacting_ -= redact;
  }

  // 3. Normalizers accumulate: a rule judging a node for the first time on this path
  // normalizes the node's subtree (both sides) before anything below is matched or judged,
  // so that deeper selectors see list_key's [name=...] items.
  void Judged(std::span<const Side> sides, EnvSet envs, Judge judge,
              std::span<const Live> live) {
    const CompiledRule* r = judge.rule;
    if (!r || r->normalizers.empty() || Contributed(r)) return Decide(sides, envs, judge, live);
    chain_.push_back(r);
    Level* level = Normalized(sides, envs, *r);
    Decide(level->sides, envs, judge, live);
    --levels_used_;
    chain_.pop_back();
  }

  void Decide(std::span<const Side> sides, EnvSet envs, Judge judge,
              std::span<const Live> live) {
    size_t depth = path_.size() - root_depth_;
    bool quiet = part_ != 0 && depth <= split_depth_;
    const CompiledRule* r = judge.rule;
    if (judge.covered) {
      // Below a whole-value judgement only another rule has anything to judge.
      if (AnyAlive(live, envs, r, false)) {
        Split split = Containers(sides, envs, false, live, r);
        Descend(sides, split.descend, split.type, judge, live);
      }
      return;
    }
    if (r->expect->judges_whole_node()) {
      if (!quiet) ApplyWhole(*r, sides, envs, live);
      if (AnyAlive(live, envs, r, false)) {
        Split split = Containers(sides, envs, false, live, r);
        Descend(sides, split.descend, split.type, Judge{r, true}, live);
      }
      return;
    }
    // Leaf by leaf: a subtree nothing else can reach below is judged at once.
    if (r->expect->judges_subtrees() && !AnyAlive(live, envs, r, true)) {
      if (!quiet) Apply(*r, sides, envs);
      return;
    }
    Split split = Containers(sides, envs, r->expect->compares_with_baseline(), live, r);
    if (split.leaf && !quiet) Apply(*r, sides, split.leaf);
    if (split.descend) Descend(sides, split.descend, split.type, judge, live);
  }

  // A whole-value judgement (differ, present, absent) of values with what ignores skip below
  // the node left out, so that an ignore wins there too.
  void ApplyWhole(const CompiledRule& r, std::span<const Side> sides, EnvSet envs,
                  std::span<const Live> live) {
    bool ignored_inside = false;
    for (int e = 0; e < env_count_ && !ignored_inside; ++e) {
      if (!(Contains(envs, e) || e == baseline_) || !sides[e].present()) continue;
      ignored_inside = sides[e].doc->is_container(sides[e].node) &&
                       Reaches(*sides[e].doc, sides[e].node, live, EnvSet{1} << e, nullptr, true);
    }
    if (!ignored_inside) return Apply(r, sides, envs);
    Level& level = AcquireLevel(sides);
    level.filtered = true;
    for (int e = 0; e < env_count_; ++e) {
      if (!(Contains(envs, e) || e == baseline_) || !sides[e].present()) continue;
      CopyWithoutIgnored(level.trees[e], *sides[e].doc, sides[e].node, live, e);
      level.sides[e] = Side{&level.trees[e].doc, level.trees[e].root};
      level.normalized[e] = 1;
    }
    Apply(r, level.sides, envs);
    --levels_used_;
  }

  // Whether a rule (other than `except`; only ignores when `ignores_only`) in force for one
  // of `envs` applies to some node strictly below `node`.
  bool Reaches(const Document& doc, NodeId node, std::span<const Live> live, EnvSet envs,
               const CompiledRule* except, bool ignores_only) const {
    if (!doc.is_container(node)) return false;
    std::vector<Live> next;
    auto kids = doc.children(node);
    for (size_t c = 0; c < kids.size(); ++c) {
      StepView step = ChildStep(doc, node, kids[c], c);
      next.clear();
      for (const Live& l : live) {
        const CompiledRule* r = active_[l.rule];
        if (r == except || !(r->envs & envs) || (ignores_only && !r->ignore)) continue;
        Selector::State st = r->selector.Step(l.state, step);
        if (!st) continue;
        if (r->selector.Accepts(st)) return true;
        next.push_back(Live{l.rule, st, {}});
      }
      if (!next.empty() && Reaches(doc, kids[c].value, next, envs, except, ignores_only))
        return true;
    }
    return false;
  }

  // The step from a container to its child `c` (a list item by index, a map entry by key, a
  // keyed item as [field=key]).
  static StepView ChildStep(const Document& doc, NodeId node, const Entry& kid, size_t c) {
    if (kid.key == kNoKey)
      return StepView{StepView::Kind::kIndex, {}, static_cast<int64_t>(c), {}, nullptr, nullptr};
    return KeyStep(doc, node, doc.key(kid.key));
  }

  // A copy of `node`'s subtree without what the ignores in force for `env` skip.
  void CopyWithoutIgnored(NormalizedTree& out, const Document& raw, NodeId node,
                          std::span<const Live> live, int env) {
    out.doc.clear();
    out.origin.clear();
    out.raw = &raw;
    out.doc.set_origin(ToRaw(Side{&raw, node}).doc->origin());
    std::vector<Live> ignores;
    for (const Live& l : live)
      if (active_[l.rule]->ignore && Contains(active_[l.rule]->envs, env)) ignores.push_back(l);
    out.root = CopyKept(out, raw, node, ignores);
    out.doc.set_root(out.root);
  }

  NodeId CopyKept(NormalizedTree& out, const Document& raw, NodeId id, std::span<const Live> ignores) {
    const Node& n = raw.node(id);
    NodeId made;
    if (!raw.is_container(id)) {
      made = out.doc.add_scalar(raw.scalar(id), n.line, n.column);
    } else {
      std::vector<Entry> kept;
      auto kids = raw.children(id);
      std::vector<Live> next;
      for (size_t c = 0; c < kids.size(); ++c) {
        StepView step = ChildStep(raw, id, kids[c], c);
        next.clear();
        bool skip = false;
        for (const Live& l : ignores) {
          Selector::State st = active_[l.rule]->selector.Step(l.state, step);
          if (!st) continue;
          skip = skip || active_[l.rule]->selector.Accepts(st);
          next.push_back(Live{l.rule, st, {}});
        }
        if (skip) continue;
        KeyId k = kids[c].key == kNoKey ? kNoKey : out.doc.intern(raw.key(kids[c].key));
        kept.push_back(Entry{k, CopyKept(out, raw, kids[c].value, next)});
      }
      made = out.doc.add_container(n.type, kept, n.line, n.column);
      if (n.flags & kKeyedList) out.doc.set_keyed(made, raw.keyed_field(id));
    }
    if (out.origin.size() <= made) out.origin.resize(made + 1, kNoNode);
    out.origin[made] = id;
    return made;
  }

  // Which envs are walked below the node (`descend`, whose containers have `type`) and which
  // are judged here (`leaf`: scalars, nodes of one side, type changes).
  struct Split {
    EnvSet descend = 0, leaf = 0;
    Type type = Type::kNull;
  };
  // `vs_baseline`: the judge compares with the baseline, so a subtree the baseline lacks (or
  // has with another type), or one the env lacks, is one finding at its root — unless a rule
  // or ignore other than `judge` reaches inside it, which then decides below.
  Split Containers(std::span<const Side> sides, EnvSet envs, bool vs_baseline,
                   std::span<const Live> live, const CompiledRule* judge) const {
    int base = baseline_;
    Side b = base >= 0 ? sides[base] : Side{};
    bool base_container = b.present() && b.doc->is_container(b.node);
    Split out;
    if (base_container) out.type = b.doc->type(b.node);
    for (int e = 0; e < env_count_ && out.type == Type::kNull; ++e)
      if (Contains(envs, e) && sides[e].present() && sides[e].doc->is_container(sides[e].node))
        out.type = sides[e].doc->type(sides[e].node);
    for (int e = 0; e < env_count_; ++e) {
      if (!Contains(envs, e)) continue;
      Side s = sides[e];
      if (!s.collected()) continue;
      EnvSet bit = EnvSet{1} << e;
      bool container = s.present() && s.doc->is_container(s.node);
      bool same_type = container && s.doc->type(s.node) == out.type;
      bool walk;
      if (!s.present()) {
        // Missing here: walked only to let a rule inside the baseline's subtree decide.
        walk = vs_baseline && base_container && e != base &&
               Reaches(*b.doc, b.node, live, bit, judge, false);
      } else if (!vs_baseline || e == base || base < 0 || (base_container && same_type)) {
        walk = same_type;
      } else {
        walk = same_type && Reaches(*s.doc, s.node, live, bit, judge, false);
      }
      (walk ? out.descend : out.leaf) |= bit;
    }
    return out;
  }

  // Normalized copies of the node in `envs` and the baseline, in a level of buffers reused
  // from node to node.
  struct Level {
    std::vector<NormalizedTree> trees;
    std::vector<Side> sides;
    std::vector<char> normalized;
    // Copies without ignored parts (ApplyWhole): findings show these values, not the raw
    // ones they came from.
    bool filtered = false;
  };
  Level& AcquireLevel(std::span<const Side> sides) {
    if (levels_used_ == levels_.size()) levels_.push_back(std::make_unique<Level>());
    Level& level = *levels_[levels_used_++];
    level.trees.resize(env_count_);
    level.sides.assign(sides.begin(), sides.end());
    level.normalized.assign(env_count_, 0);
    level.filtered = false;
    return level;
  }
  Level* Normalized(std::span<const Side> sides, EnvSet envs, const CompiledRule& r) {
    Level& level = AcquireLevel(sides);
    for (int e = 0; e < env_count_; ++e) {
      if (!(Contains(envs, e) || e == baseline_) || !sides[e].present()) continue;
      NormalizeInto(level.trees[e], *sides[e].doc, sides[e].node, r.normalizers, names(e));
      level.sides[e] = Side{&level.trees[e].doc, level.trees[e].root};
      level.normalized[e] = 1;
    }
    return &level;
  }

  void Descend(std::span<const Side> sides, EnvSet descend, Type type, Judge judge,
               std::span<const Live> live) {
    if (!descend || (type != Type::kList && type != Type::kMap)) return;
    size_t depth = path_.size() - root_depth_;
    // Children are read from every walked env and the baseline whose node is a container of
    // this type (an env missing the node is walked over the baseline's children).
    EnvSet members = 0;
    for (int e = 0; e < env_count_; ++e) {
      if (!Contains(descend, e) && e != baseline_) continue;
      Side s = sides[e];
      if (s.present() && s.doc->is_container(s.node) && s.doc->type(s.node) == type)
        members |= EnvSet{1} << e;
    }
    if (!members) return;
    Descent d{sides, live, descend, members, depth, judge, std::vector<Side>(env_count_), {}};
    d.child_live.reserve(live.size());
    if (type == Type::kList) WalkList(d);
    else WalkMap(d);
  }

  // The children of one node being walked.
  struct Descent {
    std::span<const Side> sides;
    std::span<const Live> live;  // the rules still able to match at or below the node
    EnvSet descend;  // envs walked below
    EnvSet members;  // envs whose children are read (descend and the baseline)
    size_t depth;
    Judge judge;
    std::vector<Side> child;  // one child, per env (reused)
    std::vector<Live> child_live;
  };

  // The children of the split node that this part visits (all of them elsewhere).
  std::pair<size_t, size_t> Share(size_t depth, size_t n) const {
    if (parts_ == 1 || depth != split_depth_) return {0, n};
    return {part_ * n / parts_, (part_ + 1) * n / parts_};
  }

  // Walks d.child, reached from the node by `step`.
  void Visit(Descent& d, const StepView& step) {
    d.child_live.clear();
    for (const Live& l : d.live) {
      // Most rules of a big config wait behind ** for one key: other steps change nothing.
      if (!l.waiting.empty() && (step.kind != StepView::Kind::kKey || step.key != l.waiting)) {
        d.child_live.push_back(l);
        continue;
      }
      const Selector& sel = active_[l.rule]->selector;
      if (Selector::State st = sel.Step(l.state, step))
        d.child_live.push_back(Live{l.rule, st, sel.WaitingFor(st)});
    }
    path_.push_back(PathStep{step.kind, step.key, step.index, step.value});
    Walk(d.child, d.descend, d.judge, d.child_live);
    path_.pop_back();
  }

  void WalkList(Descent& d) {
    size_t n = 0;
    for (int e = 0; e < env_count_; ++e)
      if (Contains(d.members, e)) n = std::max(n, d.sides[e].doc->children(d.sides[e].node).size());
    auto [lo, hi] = Share(d.depth, n);
    for (size_t i = lo; i < hi; ++i) {
      for (int e = 0; e < env_count_; ++e) {
        d.child[e] = Side{d.sides[e].doc, kNoNode};
        if (Contains(d.members, e)) {
          auto kids = d.sides[e].doc->children(d.sides[e].node);
          if (i < kids.size()) d.child[e].node = kids[i].value;
        }
      }
      FieldCtx fc{d.sides, static_cast<int64_t>(i)};
      Visit(d, StepView{StepView::Kind::kIndex, {}, static_cast<int64_t>(i), {}, &fc, &FieldOf});
    }
  }

  // The step to a map's child: a key, or an item of a list keyed by list_key.
  static StepView KeyStep(const Document& doc, NodeId map, std::string_view key) {
    if (doc.node(map).flags & kKeyedList)
      return StepView{StepView::Kind::kKeyed, doc.keyed_field(map), 0, key, nullptr, nullptr};
    return StepView{StepView::Kind::kKey, key, 0, {}, nullptr, nullptr};
  }

  void WalkMap(Descent& d) {
    std::span<const Side> sides = d.sides;
    // The common case: the same keys in the same order everywhere.
    int first = -1;
    bool same = true;
    for (int e = 0; e < env_count_ && same; ++e) {
      if (!Contains(d.members, e)) continue;
      if (first < 0) {
        first = e;
        continue;
      }
      auto a = sides[first].doc->children(sides[first].node);
      auto c = sides[e].doc->children(sides[e].node);
      if (a.size() != c.size()) same = false;
      for (size_t i = 0; same && i < a.size(); ++i)
        same = sides[first].doc->key(a[i].key) == sides[e].doc->key(c[i].key);
    }
    if (!same) return WalkMapUnion(d, first);
    const Document& fd = *sides[first].doc;
    auto a = fd.children(sides[first].node);
    auto [lo, hi] = Share(d.depth, a.size());
    for (size_t i = lo; i < hi; ++i) {
      for (int e = 0; e < env_count_; ++e) {
        d.child[e] = Side{sides[e].doc, kNoNode};
        if (Contains(d.members, e)) d.child[e].node = sides[e].doc->children(sides[e].node)[i].value;
      }
      Visit(d, KeyStep(fd, sides[first].node, fd.key(a[i].key)));
    }
  }

  // Keys in the first member's order (the baseline's when it is one), then the keys only
  // other envs have.
  void WalkMapUnion(Descent& d, int first) {
    std::span<const Side> sides = d.sides;
    std::vector<std::optional<MapCursor>> idx(env_count_);
    int lead = baseline_ >= 0 && Contains(d.members, baseline_) ? baseline_ : first;
    for (int e = 0; e < env_count_; ++e)
      if (Contains(d.members, e)) idx[e].emplace(*sides[e].doc, sides[e].node);
    std::vector<std::string_view> keys;
    for (const Entry& en : sides[lead].doc->children(sides[lead].node))
      keys.push_back(sides[lead].doc->key(en.key));
    size_t lead_count = keys.size();
    MapCursor lead_lookup(*sides[lead].doc, sides[lead].node);
    for (int e = 0; e < env_count_; ++e) {
      if (e == lead || !Contains(d.members, e)) continue;
      for (const Entry& en : sides[e].doc->children(sides[e].node)) {
        std::string_view k = sides[e].doc->key(en.key);
        if (lead_lookup.Find(k) != kNoNode) continue;
        if (std::find(keys.begin() + lead_count, keys.end(), k) == keys.end()) keys.push_back(k);
      }
    }
    auto [lo, hi] = Share(d.depth, keys.size());
    for (size_t ki = lo; ki < hi; ++ki) {
      std::string_view k = keys[ki];
      for (int e = 0; e < env_count_; ++e) {
        d.child[e] = Side{sides[e].doc, kNoNode};
        if (idx[e]) d.child[e].node = idx[e]->Find(k);
      }
      Visit(d, KeyStep(*sides[lead].doc, sides[lead].node, k));
    }
  }

  // `equal` below a decided node: report at the deepest differing paths.
  void Diff(Side a, Side b, int env) {
    if (!a.present() && !b.present()) return;
    if (!a.present()) return Report(env, FindingKind::kExtra, a, b, -1);
    if (!b.present()) return Report(env, FindingKind::kMissing, a, b, -1);
    const Document& da = *a.doc;
    const Document& db = *b.doc;
    Type ta = da.type(a.node), tb = db.type(b.node);
    bool num_a = ta == Type::kInt || ta == Type::kFloat;
    bool num_b = tb == Type::kInt || tb == Type::kFloat;
    if (ta != tb && !(num_a && num_b)) return Report(env, FindingKind::kType, a, b, -1);
    if (ta == Type::kList) {
      auto ka = da.children(a.node), kb = db.children(b.node);
      size_t n = std::max(ka.size(), kb.size());
      for (size_t i = 0; i < n; ++i) {
        path_.push_back(PathStep{StepView::Kind::kIndex, {}, static_cast<int64_t>(i), {}});
        Diff(Side{&da, i < ka.size() ? ka[i].value : kNoNode},
             Side{&db, i < kb.size() ? kb[i].value : kNoNode}, env);
        path_.pop_back();
      }
      return;
    }
    if (ta == Type::kMap) {
      bool keyed = (da.node(a.node).flags & kKeyedList) && (db.node(b.node).flags & kKeyedList);
      std::string_view field = keyed ? da.keyed_field(a.node) : std::string_view{};
      if (keyed && field != db.keyed_field(b.node)) keyed = false;
      auto push = [&](std::string_view k) {
        if (keyed) path_.push_back(PathStep{StepView::Kind::kKeyed, field, 0, k});
        else path_.push_back(PathStep{StepView::Kind::kKey, k, 0, {}});
      };
      auto ka = da.children(a.node), kb = db.children(b.node);
      bool same = ka.size() == kb.size();
      for (size_t i = 0; same && i < ka.size(); ++i) same = da.key(ka[i].key) == db.key(kb[i].key);
      if (same) {
        for (size_t i = 0; i < ka.size(); ++i) {
          push(da.key(ka[i].key));
          Diff(Side{&da, ka[i].value}, Side{&db, kb[i].value}, env);
          path_.pop_back();
        }
        return;
      }
      MapCursor ia(da, a.node), ib(db, b.node);
      for (const Entry& e : ka) {
        push(da.key(e.key));
        Diff(Side{&da, e.value}, Side{&db, ib.Find(da.key(e.key))}, env);
        path_.pop_back();
      }
      for (const Entry& e : kb) {
        if (ia.Find(db.key(e.key)) != kNoNode) continue;
        push(db.key(e.key));
        Diff(Side{&da, kNoNode}, Side{&db, e.value}, env);
        path_.pop_back();
      }
      return;
    }
    if (!DeepEqual(da, a.node, db, b.node)) Report(env, FindingKind::kChanged, a, b, -1);
  }

  // A `present` rule whose selector has no wildcard is checked even when the path is in no
  // env (the walk never visits it then).
  void LiteralPresence() {
    if (source_.empty()) return;
    for (size_t ri = 0; ri < active_.size(); ++ri) {
      const CompiledRule& r = *active_[ri];
      if (r.ignore || !r.selector.literal() || !r.expect->judges_missing_paths()) continue;
      if (seen_[ri]) continue;  // the walk met the path (perhaps only once normalized)
      const Path& p = r.selector.path();
      if (p.empty() || p[0].kind != PathSegment::Kind::kKey || p[0].key != source_) continue;
      bool anywhere = false;
      for (const Side& s : roots_)
        if (s.collected() && ResolvePath(*s.doc, s.doc->root(), std::span(p).subspan(1)) != kNoNode)
          anywhere = true;
      if (anywhere) continue;
      // Skipped for the envs where an ignore covers the path or an ancestor, or an earlier
      // rule applies to the path itself (SPEC §4: ignores win, then the first rule judges).
      EnvSet envs = 0;
      for (int e = 0; e < env_count_; ++e)
        if (roots_[e].collected() && Contains(r.envs, e)) envs |= EnvSet{1} << e;
      // The literal path as walk steps: for the earlier rules' selectors and the findings.
      path_.clear();
      for (const auto& seg : p) {
        path_.push_back(PathStep{seg.kind == PathSegment::Kind::kIndex   ? StepView::Kind::kIndex
                                 : seg.kind == PathSegment::Kind::kKeyed ? StepView::Kind::kKeyed
                                                                         : StepView::Kind::kKey,
                                 seg.key, seg.index, seg.value});
      }
      for (size_t oi = 0; oi < active_.size(); ++oi) {
        const CompiledRule& other = *active_[oi];
        if (oi == ri || (!other.ignore && oi > ri)) continue;
        Selector::State st = other.selector.Start();
        for (const PathStep& ps : path_) {
          st = other.selector.Step(st, StepView{ps.kind, ps.key, ps.index, ps.value, nullptr, nullptr});
          if (other.ignore && other.selector.Accepts(st)) envs &= ~other.envs;
        }
        if (other.selector.Accepts(st)) envs &= ~other.envs;
      }
      if (!envs) continue;
      std::vector<Side> absent;
      for (const Side& s : roots_) absent.push_back(Side{s.doc, kNoNode});
      Apply(r, absent, envs);
    }
  }

  const Evaluator& ev_;
  const ServiceConfig* service_;
  const std::string& owner_;
  std::string source_;
  int baseline_;
  int env_count_ = 0;
  std::vector<Side> roots_;
  size_t part_ = 0, parts_ = 1, split_depth_ = 0, root_depth_ = 0;
  std::vector<const CompiledRule*> active_;
  std::vector<PathStep> path_;
  std::vector<Finding> out_;
  // The rule being applied and its envs' sides.
  const CompiledRule* rule_ = nullptr;
  std::vector<Side> sides_;
  // The rules that normalized (or redact) the nodes on the current path, outermost first,
  // and the levels of normalized copies in use (levels_[0, levels_used_)).
  std::vector<const CompiledRule*> chain_;
  int redacting_ = 0;
  std::vector<char> seen_;  // by active_ index: the rule applied to some node of the walk
  std::vector<std::unique_ptr<Level>> levels_;
  size_t levels_used_ = 0;
};

Evaluator::Evaluator(const Config& config, const RuleSet& rules, const Redactor& redactor,
                     std::chrono::sys_days today)
    : config_(config), rules_(rules), redactor_(redactor), today_(today) {
  for (const auto& e : config.environments) {
    env_names_.push_back(EnvNames{e.name, e.aliases, e.vars, {}, {}, false});
    env_names_.back().Prepare();
  }
}

int Evaluator::BaselineFor(const ServiceConfig& service) const {
  auto runs = [&](const std::string& env) {
    return std::find(service.envs.begin(), service.envs.end(), env) != service.envs.end();
  };
  if (runs(config_.baseline)) return config_.env_index(config_.baseline);
  for (size_t i = 0; i < config_.environments.size(); ++i)
    if (runs(config_.environments[i].name)) return static_cast<int>(i);
  return -1;
}


std::vector<Finding> Evaluator::Evaluate(const ServiceConfig& service, const std::string& owner,
                                         const std::string& source,
                                         std::span<const Document* const> docs,
                                         bool redact_all) const {
  std::vector<Finding> all = Walk(service, owner, source, docs, redact_all);
  // SPEC §2.2: a discovered service the baseline has and an env lacks is missing there, one
  // finding per source at the source's root.
  for (const auto& env : service.discovery_missing) {
    // An ignore of the whole source in that env silences it, as it would any finding there.
    int e = config_.env_index(env);
    bool ignored = false;
    StepView step{StepView::Kind::kKey, source, 0, {}, nullptr, nullptr};
    for (const auto& r : rules_.rules) {
      if (!r.ignore || r.expired(today_) || !r.applies_to_service(service.name)) continue;
      if (e >= 0 && !(r.envs & (EnvSet{1} << e))) continue;
      if (r.selector.Accepts(r.selector.Step(r.selector.Start(), step))) ignored = true;
    }
    if (ignored) continue;
    Finding f;
    f.service = service.name;
    f.source = source;
    f.path = source;
    f.env = env;
    f.rule = "discovery";
    f.kind = FindingKind::kMissing;
    f.severity = config_.defaults.severity;
    f.owner = owner;
    f.message = "discover " + service.discovered_by + " found " + service.name + " in " +
                config_.baseline + " but not in " + env;
    f.id = FindingId(f.service, f.source, f.path, f.env, f.rule);
    all.push_back(std::move(f));
  }
  return all;
}

std::vector<Finding> Evaluator::Walk(const ServiceConfig& service, const std::string& owner,
                                     const std::string& source,
                                     std::span<const Document* const> docs,
                                     bool redact_all) const {
  int base = BaselineFor(service);
  auto run = [&](size_t part, size_t parts, size_t split_depth) {
    Walker w(*this, &service, owner, source, docs, base);
    w.redact_all = redact_all;
    w.Slice(part, parts, split_depth);
    return w.Run();
  };
  // Big snapshots: the walk is split below the root into parts taken by a few threads, so
  // that every core works until the end whatever env holds the drift.
  size_t nodes = 0;
  for (const Document* d : docs) nodes += d ? d->node_count() : 0;
  size_t threads = !executor_ ? 1 : threads_ ? threads_ : Executor::Cores();
  auto split = nodes >= min_parallel_nodes_ && threads > 1 ? SplitPoint(docs)
                                                           : std::pair<size_t, size_t>{0, 0};
  size_t split_depth = split.first;  // a plain variable: lambdas may capture it (clang 14)
  size_t parts = std::min(split.second, threads * 16);
  if (parts < 2) return run(0, 1, 0);
  std::vector<std::vector<Finding>> out(parts);
  executor_->ParallelFor(parts, [&](size_t i) { out[i] = run(i, parts, split_depth); }, threads);
  size_t total = 0;
  for (const auto& o : out) total += o.size();
  std::vector<Finding> all = std::move(out[0]);
  all.reserve(total);
  for (size_t i = 1; i < parts; ++i)
    all.insert(all.end(), std::make_move_iterator(out[i].begin()),
               std::make_move_iterator(out[i].end()));
  return all;
}

std::vector<Finding> DiffDocuments(const Document& a, const Document& b,
                                   const NormalizerList& normalizers, const EnvNames& env_a,
                                   const EnvNames& env_b, const Redactor& redactor) {
  static const Config kEmptyConfig;
  RuleSet rules;
  rules.defaults.name = "default";
  rules.defaults.expect = MakeEqual();
  // A rule on the root applies the normalizers to the whole documents.
  CompiledRule all;
  all.name = "default";
  all.expect = rules.defaults.expect;
  all.normalizers = normalizers;
  all.selector = *Selector::Compile("**");
  if (!normalizers.empty()) rules.rules.push_back(std::move(all));
  Evaluator ev(kEmptyConfig, rules, redactor, Today());
  const Document* docs[2] = {&a, &b};
  ServiceConfig svc;
  std::string owner;
  Walker w(ev, &svc, owner, "", docs, 0);
  w.names_override = {env_a, env_b};
  for (EnvNames& n : w.names_override) n.Prepare();
  return w.Run();
}

}  // namespace drift
