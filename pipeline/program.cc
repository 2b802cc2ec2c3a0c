#include "pipeline/program.h"

#include "core/secrets.h"

#include <functional>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <span>
#include <thread>

#include <nlohmann/json.hpp>

#include "collectors/builtin.h"
#include "collectors/runtime.h"
#include "core/interpolate.h"
#include "core/yaml_reader.h"
#include "state/store.h"

namespace drift {

namespace {

void CheckSecretRefs(const YAML::Node& n, const Placeholders& ph, const Config& config,
                     YamlReader& r) {
  if (n.IsScalar()) {
    for (const auto& ref : SecretRefs(ExpandPlaceholders(n.Scalar(), ph))) {
      if (ref.is_file) {
        std::string p = config.Resolve(ref.name);
        if (!std::filesystem::exists(p))
          r.Warning(n, "secret file " + p + " does not exist here (env " + ph.env + ")");
      } else if (!std::getenv(ref.name.c_str())) {
        r.Warning(n, "environment variable " + ref.name + " is not set here (env " + ph.env + ")");
      }
    }
  } else if (n.IsSequence() || n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it)
      CheckSecretRefs(n.IsMap() ? it->second : *it, ph, config, r);
  }
}

}  // namespace

size_t CheckWorkers(const Config& c) {
  // Blocking collectors (commands, SQL, files) mostly wait: twice the cores, within the
  // collection concurrency.
  return static_cast<size_t>(std::clamp<int>(static_cast<int>(Executor::Cores()) * 2, 2,
                                             c.defaults.max_concurrency));
}

std::string SnapshotHash(const Document& d) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(ContentHash(d, d.root())));
  return buf;
}

std::string RedactedDocument(const Document& d, const Program& program, const Target& target) {
  constexpr size_t kMaxStoredNodes = 100'000;
  if (d.node_count() > kMaxStoredNodes) return "";
  const Redactor& redactor = *program.redactor;
  if (target.collector->redact_all())
    return DumpJson(nlohmann::ordered_json(redactor.Fingerprint(d, d.root())));
  Redactor::RuleScope scope;
  StepView source{StepView::Kind::kKey, target.source->name, 0, {}, nullptr, nullptr};
  for (const auto& r : program.rules->rules) {
    if (!r.redact || r.ignore || !r.applies_to_service(target.service->name) ||
        !(r.envs & (EnvSet{1} << target.env)))
      continue;
    if (auto st = r.selector.Step(r.selector.Start(), source))
      scope.selectors.emplace_back(&r.selector, st);
  }
  bool redacted = false;
  return DumpJson(redactor.SnapshotJson(d, scope, redacted));
}

namespace {

std::string KeyFilePath(const Config& c) {
  std::string dir = c.dir;
  if (!c.state_path.empty()) {
    auto parent = std::filesystem::path(c.state_path).parent_path().string();
    dir = parent.empty() ? "." : parent;
  }
  return dir + "/drift-fingerprint.key";
}

}  // namespace

std::unique_ptr<Program> LoadProgram(const std::string& path, Diagnostics& diags,
                                     const LoadOptions& options) {
  auto config = LoadConfig(path, diags);
  if (!config) return nullptr;
  auto program = std::make_unique<Program>();
  program->config = std::move(*config);
  program->today = options.today;
  const Config& c = program->config;
  program->rules = CompileRules(c, diags, options.today);
  YamlReader reader(c.path, diags);
  {
    Diagnostics ownership_warnings;
    program->ownership = ResolveAllOwnership(c, ownership_warnings);
    program->ownership_warnings = ownership_warnings.Sorted();
  }
  for (const auto& svc : c.services) {
    for (const auto& src : svc.sources) {
      if (src.type.empty()) continue;
      if (!FindCollectorType(src.type)) {  // said once, not once per env
        reader.Error(src.spec["type"], UnknownCollectorType(src.type));
        continue;
      }
      for (const auto& env : svc.envs) {
        SourceContext ctx{c, svc, src, env};
        auto collector = MakeCollector(ctx, reader);
        if (options.check_secret_refs)
          CheckSecretRefs(src.For(env), Placeholders{env, svc.name, src.name}, c, reader);
        if (collector)
          program->targets.push_back(Target{&svc, &src, c.env_index(env), std::move(collector)});
      }
    }
  }
  if (diags.has_errors()) return nullptr;

  std::string key;
  if (!c.fingerprint_key.empty()) {
    auto k = ResolveSecretRefs(c.fingerprint_key, c.dir);
    if (!k.ok() && options.check_secret_refs) {
      // drift validate runs where the secrets may not be (CI, a laptop): like the other
      // secret references, a warning there.
      diags.Warning(c.fingerprint_key_where, "secrets.fingerprint_key: " + k.error().message);
      key = "validate-only";
    } else if (!k.ok()) {
      diags.Error(c.fingerprint_key_where, "secrets.fingerprint_key: " + k.error().message);
      return nullptr;
    } else {
      key = *k;
    }
  } else if (options.create_key) {
    std::string warning;
    auto k = LoadFingerprintKey("", KeyFilePath(c), warning);
    if (!warning.empty()) program->warnings.push_back(warning);
    key = *k;
  } else {
    key = "validate-only";
  }
  program->redactor = std::make_unique<Redactor>(key);
  return program;
}

CheckReport RunCheck(const Program& p, const CheckOptions& options) {
  const Config& c = p.config;
  CheckReport report;
  report.checked_at = FormatTime(options.now);
  report.baseline = c.baseline;
  report.environments = c.env_names();
  // The caller's executor, or one for this check.
  std::unique_ptr<Executor> own_executor;
  if (!options.executor) own_executor = std::make_unique<Executor>(CheckWorkers(c));
  Executor& executor = options.executor ? *options.executor : *own_executor;
  Evaluator evaluator(c, *p.rules, *p.redactor, p.today);
  evaluator.set_executor(&executor);

  auto wanted = [](const std::vector<std::string>& filter, const std::string& name) {
    return filter.empty() || std::find(filter.begin(), filter.end(), name) != filter.end();
  };
  std::vector<const Target*> todo;
  for (const auto& t : p.targets) {
    if (!wanted(options.services, t.service->name)) continue;
    int base = evaluator.BaselineFor(*t.service);
    if (!wanted(options.envs, c.environments[t.env].name) && t.env != base) continue;
    todo.push_back(&t);
  }

  auto t0 = std::chrono::steady_clock::now();
  // Collect concurrently: every target is independent.
  std::vector<const Collector*> collectors;
  for (const Target* t : todo) collectors.push_back(t->collector.get());
  Runtime runtime(c.defaults.max_concurrency, c.defaults.max_per_host, executor);
  std::vector<std::optional<Result<Document>>> results;
  for (auto& r : CollectAll(runtime, collectors, c.defaults.max_concurrency))
    results.emplace_back(std::move(r));
  report.sources = todo.size();
  auto t1 = std::chrono::steady_clock::now();
  report.collect_seconds = std::chrono::duration<double>(t1 - t0).count();

  // Group snapshots by (service, source) and evaluate each group.
  struct Group {
    const ServiceConfig* service;
    size_t service_index;
    const SourceConfig* source;
    std::vector<const Document*> docs;
    bool redact_all = false;
  };
  std::vector<Group> groups;
  for (size_t i = 0; i < todo.size(); ++i) {
    const Target& t = *todo[i];
    auto& r = *results[i];
    if (!r.ok()) {
      report.errors.push_back(CollectError{t.service->name, t.source->name,
                                           c.environments[t.env].name,
                                           MaskSecretsInText(r.error().ToString())});
      continue;
    }
    Group* g = nullptr;
    for (auto& x : groups)
      if (x.service == t.service && x.source == t.source) g = &x;
    if (!g) {
      size_t si = static_cast<size_t>(t.service - c.services.data());
      groups.push_back(Group{t.service, si, t.source,
                             std::vector<const Document*>(c.environments.size(), nullptr)});
      g = &groups.back();
    }
    g->docs[t.env] = &r.value();
    g->redact_all = g->redact_all || t.collector->redact_all();
  }
  report.sources_failed = report.errors.size();

  std::vector<std::vector<Finding>> per_group(groups.size());
  executor.ParallelFor(groups.size(), [&](size_t i) {
    const Group& g = groups[i];
    per_group[i] = evaluator.Evaluate(*g.service, p.ownership[g.service_index].owner, g.source->name,
                                      g.docs, g.redact_all);
  });

  report.evaluate_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  // The findings of all groups in one list; group i's are [offsets[i], offsets[i + 1]).
  std::vector<size_t> offsets{0};
  size_t total = 0;
  for (const auto& fs : per_group) total += fs.size();
  report.findings.reserve(total);
  for (auto& fs : per_group) {
    for (auto& f : fs)
      if (wanted(options.envs, f.env)) report.findings.push_back(std::move(f));
    offsets.push_back(report.findings.size());
  }
  // With a state store, first_seen is real: kept from the first time a finding was seen.
  // A check limited to some envs does not record (it would resolve the others).
  auto t2 = std::chrono::steady_clock::now();
  std::unique_ptr<Store> store;
  if (!c.state_path.empty() && options.envs.empty()) {
    if (auto opened = Store::Open(c.state_path); opened.ok()) store = std::move(*opened);
    else report.warnings.push_back(opened.error().message);
  }
  // Findings the store did not date (no store, or it failed) were first seen now.
  auto date_the_rest = [&] {
    for (auto& f : report.findings)
      if (f.first_seen.empty()) f.first_seen = report.checked_at;
  };
  if (!store) {
    SortFindings(report.findings, report.environments);
    date_the_rest();
  } else {
    // One transaction for the whole check: a commit per evaluation made a large check wait
    // on the disk thousands of times.
    if (auto st = store->Begin(); !st.ok()) report.warnings.push_back(st.error().message);
    // Hashing and redacting the snapshots reads every node: done on all cores.
    std::vector<std::optional<SnapshotRecord>> records(todo.size());
    executor.ParallelFor(todo.size(), [&](size_t i) {
      const Target& t = *todo[i];
      if (!results[i]->ok()) return;
      const Document& d = results[i]->value();
      records[i] = SnapshotRecord{t.service->name, t.source->name, c.environments[t.env].name,
                                  SnapshotHash(d), RedactedDocument(d, p, t), report.checked_at};
    });
    // Reading the open records (first_seen, what changed) runs beside sorting the report:
    // the planner writes only first_seen, the sort reads only what it sorts by.
    std::vector<FindingPlan> plans;
    std::vector<std::string> plan_warnings;
    std::vector<uint32_t> order;
    executor.ParallelFor(2, [&](size_t half) {
      if (half == 1) {
        order = SortedOrder(report.findings, report.environments);
        return;
      }
      for (size_t i = 0; i < groups.size(); ++i) {
        const Group& g = groups[i];
        std::span<Finding> span(report.findings.data() + offsets[i], offsets[i + 1] - offsets[i]);
        auto plan = store->PlanFindings(g.service->name, g.source->name,
                                        ResolvableEnvs(evaluator, *g.service, g.docs), span,
                                        report.checked_at);
        if (plan.ok()) plans.push_back(std::move(*plan));
        else plan_warnings.push_back(plan.error().message);
      }
    });
    report.warnings.insert(report.warnings.end(), plan_warnings.begin(), plan_warnings.end());
    // The plans point at the findings: follow them to their sorted places.
    std::vector<uint32_t> moved_to(order.size());
    for (uint32_t i = 0; i < order.size(); ++i) moved_to[order[i]] = i;
    ApplyOrder(report.findings, order);
    date_the_rest();
    Finding* base = report.findings.data();
    for (auto& plan : plans)
      for (auto& row : plan.rows) row.finding = base + moved_to[row.finding - base];
    // The writes only read the findings, which `drift check` renders meanwhile (it must not
    // change them before FinishRecording).
    auto write = [store = std::move(store), records = std::move(records),
                  plans = std::move(plans)]() mutable -> CheckReport::Recorded {
      auto start = std::chrono::steady_clock::now();
      CheckReport::Recorded out;
      for (const auto& rec : records) {
        if (!rec) continue;
        if (auto r = store->RecordSnapshot(*rec); !r.ok()) out.warnings.push_back(r.error().message);
      }
      for (const auto& plan : plans)
        if (auto st = store->ApplyFindings(plan); !st.ok()) out.warnings.push_back(st.error().message);
      if (auto st = store->Commit(); !st.ok()) out.warnings.push_back(st.error().message);
      store.reset();  // closing checkpoints the WAL: part of the work, timed with it
      out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return out;
    };
    if (options.record_in_background && options.executor) {
      auto task = std::make_shared<std::packaged_task<CheckReport::Recorded()>>(std::move(write));
      report.recording = std::make_unique<CheckReport::Recording>();
      report.recording->done = task->get_future();
      executor.Post([task] { (*task)(); });
    } else {
      auto r = write();
      report.warnings.insert(report.warnings.end(), r.warnings.begin(), r.warnings.end());
    }
  }
  if (!c.state_path.empty() && options.envs.empty())
    report.record_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
  std::stable_sort(report.errors.begin(), report.errors.end(),
                   [&](const CollectError& a, const CollectError& b) {
                     return std::tie(a.service, a.source) < std::tie(b.service, b.source) ||
                            (std::tie(a.service, a.source) == std::tie(b.service, b.source) &&
                             c.env_index(a.env) < c.env_index(b.env));
                   });
  return report;
}

}  // namespace drift
