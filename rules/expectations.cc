// The built-in expectations: equal, differ, present, absent, matches, one_of, within,
// semver_skew. Each is one small class behind the Expectation interface.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>

#include "core/regex.h"
#include "core/strings.h"
#include "rules/expectation.h"

namespace drift {
namespace {

class Equal final : public Expectation {
 public:
  void Judge(JudgeContext& ctx, EnvSet envs) const override {
    if (ctx.baseline() < 0) return;  // unknown baseline: nothing to compare with
    for (int e = 0; e < ctx.env_count(); ++e) {
      if (!Contains(envs, e) || e == ctx.baseline()) continue;
      if (!ctx.side(e).collected()) continue;
      ctx.DiffEqual(e);
    }
  }
  std::string_view name() const override { return "equal"; }
};

class Differ final : public Expectation {
 public:
  void Judge(JudgeContext& ctx, EnvSet envs) const override {
    for (int j = 0; j < ctx.env_count(); ++j) {
      if (!Contains(envs, j)) continue;
      Side b = ctx.side(j);
      if (!b.present()) continue;
      for (int i = 0; i < j; ++i) {
        if (!Contains(envs, i)) continue;
        Side a = ctx.side(i);
        if (a.present() && DeepEqual(*a.doc, a.node, *b.doc, b.node))
          ctx.Report(j, FindingKind::kSame, a, b, i);
      }
    }
  }
  bool judges_subtrees() const override { return false; }
  bool judges_whole_node() const override { return true; }
  std::string_view name() const override { return "differ"; }
};

class Present final : public Expectation {
 public:
  void Judge(JudgeContext& ctx, EnvSet envs) const override {
    int base = ctx.baseline();
    Side bs = base >= 0 ? ctx.side(base) : Side{};
    for (int e = 0; e < ctx.env_count(); ++e) {
      if (!Contains(envs, e)) continue;
      Side s = ctx.side(e);
      if (s.collected() && !s.present()) ctx.Report(e, FindingKind::kMissing, bs, Side{});
    }
  }
  std::string_view name() const override { return "present"; }
  bool judges_whole_node() const override { return true; }
  bool judges_missing_paths() const override { return true; }
};

class Absent final : public Expectation {
 public:
  void Judge(JudgeContext& ctx, EnvSet envs) const override {
    for (int e = 0; e < ctx.env_count(); ++e) {
      if (!Contains(envs, e)) continue;
      Side s = ctx.side(e);
      if (s.present()) ctx.Report(e, FindingKind::kExtra, Side{}, s);
    }
  }
  std::string_view name() const override { return "absent"; }
  bool judges_whole_node() const override { return true; }
};

// Base for expectations that judge each env's value on its own (matches, one_of).
class PerValue : public Expectation {
 public:
  void Judge(JudgeContext& ctx, EnvSet envs) const override {
    int base = ctx.baseline();
    for (int e = 0; e < ctx.env_count(); ++e) {
      if (!Contains(envs, e)) continue;
      Side s = ctx.side(e);
      if (!s.present()) continue;
      if (!Holds(e, *s.doc, s.node))
        ctx.Report(e, FindingKind::kPattern, base >= 0 && base != e ? ctx.side(base) : Side{}, s);
    }
  }
  bool judges_subtrees() const override { return false; }
  bool compares_with_baseline() const override { return false; }

 protected:
  virtual bool Holds(int env, const Document& d, NodeId n) const = 0;
};

class Matches final : public PerValue {
 public:
  explicit Matches(std::vector<Regex> per_env) : per_env_(std::move(per_env)) {}
  std::string_view name() const override { return "matches"; }

 protected:
  bool Holds(int env, const Document& d, NodeId n) const override {
    if (d.is_container(n)) return false;
    return per_env_[env].FullMatch(d.scalar_text(n));
  }

 private:
  std::vector<Regex> per_env_;
};

class OneOf final : public PerValue {
 public:
  explicit OneOf(std::vector<std::string> allowed) : allowed_(std::move(allowed)) {}
  std::string_view name() const override { return "one_of"; }

 protected:
  bool Holds(int, const Document& d, NodeId n) const override {
    if (d.is_container(n)) return false;
    std::string t = d.scalar_text(n);
    for (const auto& a : allowed_)
      if (a == t) return true;
    return false;
  }

 private:
  std::vector<std::string> allowed_;
};

// What a comparison with the baseline found wrong, with the words for the finding's message.
struct Broken {
  FindingKind kind;
  std::string message;
};

// Base for expectations that compare each env with the baseline (within, semver_skew):
// missing/extra as `equal` reports them, the values' comparison left to Compare.
class VersusBaseline : public Expectation {
 public:
  void Judge(JudgeContext& ctx, EnvSet envs) const override {
    int base = ctx.baseline();
    if (base < 0) return;
    Side b = ctx.side(base);
    for (int e = 0; e < ctx.env_count(); ++e) {
      if (!Contains(envs, e) || e == base) continue;
      Side s = ctx.side(e);
      if (!s.collected()) continue;
      if (b.present() && !s.present()) ctx.Report(e, FindingKind::kMissing, b, s);
      else if (!b.present() && s.present()) ctx.Report(e, FindingKind::kExtra, b, s);
      else if (b.present() && s.present()) {
        if (auto broken = Compare(*b.doc, b.node, *s.doc, s.node, ctx.env_name(base)))
          ctx.Report(e, broken->kind, b, s, -1, std::move(broken->message));
      }
    }
  }
  bool judges_subtrees() const override { return false; }

 protected:
  // `baseline` is the baseline env's name, for the message.
  virtual std::optional<Broken> Compare(const Document& bd, NodeId bn, const Document& ed,
                                        NodeId en, const std::string& baseline) const = 0;
};

std::optional<double> AsNumber(const Document& d, NodeId n) {
  switch (d.type(n)) {
    case Type::kInt: return static_cast<double>(d.node(n).i);
    case Type::kFloat: return d.node(n).f;
    case Type::kString: {
      std::string_view t = Trim(d.str(n));
      double v;
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (!t.empty() && ec == std::errc() && p == t.data() + t.size()) return v;
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

class Within final : public VersusBaseline {
 public:
  Within(double amount, bool percent) : amount_(amount), percent_(percent) {}
  std::string_view name() const override { return "within"; }

 protected:
  std::optional<Broken> Compare(const Document& bd, NodeId bn, const Document& ed, NodeId en,
                                const std::string& baseline) const override {
    auto b = AsNumber(bd, bn);
    auto v = AsNumber(ed, en);
    if (!b || !v)
      return Broken{FindingKind::kType, std::string(!v ? "not a number" : baseline + "'s value is not a number")};
    double limit = percent_ ? std::fabs(*b) * amount_ / 100.0 : amount_;
    double diff = std::fabs(*v - *b);
    // A tiny tolerance so that 10% of 0.3 is not lost to binary rounding.
    if (diff <= limit * (1 + 1e-12) + 1e-12) return std::nullopt;
    std::string msg = Num(*v) + " vs " + baseline + "'s " + Num(*b) + ": differs by ";
    if (percent_) {
      msg += *b == 0 ? Num(diff) : Num(diff / std::fabs(*b) * 100) + "%";
      msg += ", more than " + Num(amount_) + "%";
    } else {
      msg += Num(diff) + ", more than " + Num(amount_);
    }
    return Broken{FindingKind::kChanged, std::move(msg)};
  }

 private:
  double amount_;
  bool percent_;
};

struct Version {
  long long part[3] = {0, 0, 0};
  int count = 0;  // components written: 2 or 3
  std::string text() const {
    // Appended piece by piece ("." + std::to_string(...) trips GCC 12's -Wrestrict).
    std::string t = std::to_string(part[0]);
    for (int i = 1; i < count; ++i) {
      t += '.';
      t += std::to_string(part[i]);
    }
    return t;
  }
};

// The first MAJOR.MINOR[.PATCH] in the string (image tags, "v1.4.2-build7", "release-2.3").
std::optional<Version> FindVersion(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) continue;
    if (i > 0 && (std::isdigit(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == '.')) continue;
    Version v;
    size_t j = i;
    while (v.count < 3) {
      size_t start = j;
      long long n = 0;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])) && j - start < 18)
        n = n * 10 + (s[j++] - '0');
      if (j == start) break;
      v.part[v.count++] = n;
      if (j < s.size() && s[j] == '.' && j + 1 < s.size() &&
          std::isdigit(static_cast<unsigned char>(s[j + 1])))
        ++j;
      else
        break;
    }
    if (v.count >= 2) return v;
  }
  return std::nullopt;
}

class SemverSkew final : public VersusBaseline {
 public:
  SemverSkew(long long max_major, long long max_minor, long long max_patch,
             std::optional<Regex> pattern)
      : max_{max_major, max_minor, max_patch}, pattern_(std::move(pattern)) {}
  std::string_view name() const override { return "semver_skew"; }

 protected:
  std::optional<Version> Parse(std::string_view text) const {
    if (!pattern_) return FindVersion(text);
    std::string group;
    if (!pattern_->Search(text, &group)) return std::nullopt;
    return FindVersion(group);
  }

  std::optional<Broken> Compare(const Document& bd, NodeId bn, const Document& ed, NodeId en,
                                const std::string& baseline) const override {
    std::string bt = bd.scalar_text(bn), et = ed.scalar_text(en);
    auto b = Parse(bt), v = Parse(et);
    if (!b || !v) {
      // No version to compare: plain equality.
      if (DeepEqual(bd, bn, ed, en)) return std::nullopt;
      return Broken{FindingKind::kChanged,
                    std::string("no version ") + (pattern_ ? "matching the pattern " : "") +
                        "in " + (!v ? "this value" : baseline + "'s value") +
                        ", so the values must be equal"};
    }
    static constexpr const char* kLevel[3] = {"major", "minor", "patch"};
    for (int i = 0; i < 3; ++i) {
      if (b->part[i] == v->part[i]) continue;
      long long apart = std::llabs(b->part[i] - v->part[i]);
      if (apart <= max_[i]) return std::nullopt;
      return Broken{FindingKind::kSkew, "version " + v->text() + " vs " + baseline + "'s " +
                                            b->text() + ": " + kLevel[i] + " " +
                                            std::to_string(apart) + " apart, max_" + kLevel[i] +
                                            " is " + std::to_string(max_[i])};
    }
    return std::nullopt;
  }

 private:
  long long max_[3];
  std::optional<Regex> pattern_;
};

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

}  // namespace

std::unique_ptr<Expectation> MakeEqual() { return std::make_unique<Equal>(); }

namespace {

using ExpectationPtr = std::unique_ptr<Expectation>;
using Envs = std::vector<std::string>;

template <typename T>
ExpectationPtr MakePlain(const YAML::Node&, YamlReader&, const Envs&) {
  return std::make_unique<T>();
}

ExpectationPtr MakeMatches(const YAML::Node& arg, YamlReader& r, const Envs& envs) {
  auto pat = r.String(arg, "matches");
  if (!pat) return nullptr;
  std::vector<Regex> per_env;
  std::vector<std::string> patterns;
  for (const auto& e : envs) patterns.push_back(ReplaceAll(*pat, "{env}", Regex::Escape(e)));
  if (envs.empty()) patterns.push_back(*pat);
  for (const auto& p : patterns) {
    auto re = Regex::Compile(p);
    if (!re) {
      r.Error(arg, re.error().message);
      return nullptr;
    }
    per_env.push_back(std::move(*re));
  }
  return std::make_unique<Matches>(std::move(per_env));
}

ExpectationPtr MakeOneOf(const YAML::Node& arg, YamlReader& r, const Envs&) {
  auto l = r.StringList(arg, "one_of");
  if (!l) return nullptr;
  if (l->empty()) {
    r.Error(arg, "one_of needs at least one value");
    return nullptr;
  }
  return std::make_unique<OneOf>(std::move(*l));
}

ExpectationPtr MakeWithin(const YAML::Node& arg, YamlReader& r, const Envs&) {
  auto s = r.String(arg, "within");
  if (!s) return nullptr;
  std::string t(Trim(*s));
  bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  double v;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size() || v < 0 || !std::isfinite(v)) {
    r.Error(arg, "within must be a non-negative number or percentage (e.g. 5 or 10%), got '" + *s +
                     "'");
    return nullptr;
  }
  return std::make_unique<Within>(v, percent);
}

ExpectationPtr MakeSemverSkew(const YAML::Node& arg, YamlReader& r, const Envs&) {
  if (!r.ExpectMap(arg, "semver_skew")) return nullptr;
  r.CheckKeys(arg, {"max_major", "max_minor", "max_patch", "pattern"}, "semver_skew");
  // Levels above the most specific one given default to 0; levels below to unlimited.
  constexpr long long kAny = std::numeric_limits<long long>::max();
  std::optional<long long> lim[3];
  const char* keys[3] = {"max_major", "max_minor", "max_patch"};
  bool ok = true;
  for (int i = 0; i < 3; ++i) {
    if (auto v = Get(arg, keys[i]); v.IsDefined()) {
      lim[i] = r.Int(v, keys[i], 0, 1'000'000);
      ok = ok && lim[i].has_value();
    }
  }
  std::optional<Regex> pattern;
  if (auto p = Get(arg, "pattern"); p.IsDefined()) {
    auto text = r.String(p, "pattern");
    if (!text) return nullptr;
    auto re = Regex::Compile(*text);
    if (!re) {
      r.Error(p, re.error().message);
      return nullptr;
    }
    pattern = std::move(*re);
  }
  if (!ok) return nullptr;
  int deepest = -1;
  for (int i = 0; i < 3; ++i)
    if (lim[i]) deepest = i;
  if (deepest < 0) {
    r.Error(arg, "semver_skew needs at least one of max_major, max_minor, max_patch");
    return nullptr;
  }
  long long out[3];
  for (int i = 0; i < 3; ++i) out[i] = lim[i] ? *lim[i] : (i < deepest ? 0 : kAny);
  return std::make_unique<SemverSkew>(out[0], out[1], out[2], std::move(pattern));
}

constexpr ExpectationType kExpectations[] = {
    {"equal", false, "every env's value equals the baseline's", &MakePlain<Equal>},
    {"differ", false, "no two envs share a value (secrets, credentials)", &MakePlain<Differ>},
    {"present", false, "the path exists in every env", &MakePlain<Present>},
    {"absent", false, "the path exists in no env", &MakePlain<Absent>},
    {"matches", true, "the value matches an RE2 regex ({env}: the env's name)", &MakeMatches},
    {"one_of", true, "the value is one of a list", &MakeOneOf},
    {"within", true, "numbers within N or N% of the baseline's", &MakeWithin},
    {"semver_skew", true, "versions at most max_major/max_minor/max_patch apart", &MakeSemverSkew},
};

}  // namespace

std::span<const ExpectationType> BuiltinExpectations() { return kExpectations; }

std::unique_ptr<Expectation> MakeExpectation(const YAML::Node& node, YamlReader& r,
                                             const std::vector<std::string>& envs) {
  std::vector<std::string_view> names;
  std::string plain;  // the ones written as a bare name
  for (const auto& t : kExpectations) {
    names.push_back(t.name);
    if (!t.takes_argument) plain += (plain.empty() ? "" : ", ") + std::string(t.name);
  }
  bool has_arg = node.IsMap() && node.size() == 1;
  if (!has_arg && !node.IsScalar()) {
    r.Error(node, "expect must be a name (" + plain + ") or a one-key map");
    return nullptr;
  }
  // (Bound once each: yaml-cpp's Node::operator= writes through.)
  const YAML::Node name_node = has_arg ? node.begin()->first : node;
  const YAML::Node arg = has_arg ? node.begin()->second : YAML::Node();
  const std::string& name = name_node.Scalar();
  const ExpectationType* type = nullptr;
  for (const auto& t : kExpectations)
    if (t.name == name) type = &t;
  if (!type) {
    r.Error(name_node, "unknown expectation '" + name + "'" + DidYouMean(name, names));
    return nullptr;
  }
  if (has_arg && !type->takes_argument) {
    r.Error(name_node, "expect: " + name + " takes no arguments");
    return nullptr;
  }
  if (!has_arg && type->takes_argument) {
    r.Error(name_node, "expect: " + name + " needs an argument, e.g. {" + name + ": ...}");
    return nullptr;
  }
  return type->make(arg, r, envs);
}

}  // namespace drift
