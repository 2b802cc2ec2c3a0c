// type: exec — run a command (argv, no shell) per env and parse its stdout.
#include "collectors/builtin.h"

namespace drift {
namespace {

class ExecCollector final : public Collector {
 public:
  std::vector<std::string> argv;
  uint64_t max_size = 16ull << 20;
  CommonOptions common;
  std::string describe() const override { return argv.empty() ? "" : argv[0]; }
  Result<Document> Collect() override {
    return MakeError("the exec collector is not available in this build yet");
  }
};

}  // namespace

std::unique_ptr<Collector> MakeExecCollector(const YAML::Node& spec, const SourceContext& ctx,
                                             YamlReader& r) {
  auto c = std::make_unique<ExecCollector>();
  c->common = ReadCommonOptions(spec, ctx.config, r);
  auto cmd = Get(spec, "command");
  if (!cmd.IsDefined()) {
    r.Error(spec, "an exec source needs a command (a list: [program, arg, ...])");
    return nullptr;
  }
  auto l = r.StringList(cmd, "command");
  if (!l) return nullptr;
  if (l->empty()) {
    r.Error(cmd, "command must not be empty");
    return nullptr;
  }
  for (auto& a : *l) c->argv.push_back(ctx.expand(a));
  if (auto m = Get(spec, "max_size"); m.IsDefined()) {
    auto v = r.Int(m, "max_size (bytes)", 1, 1ll << 40);
    if (!v) return nullptr;
    c->max_size = *v;
  }
  return c;
}

}  // namespace drift
