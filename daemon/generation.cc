#include "daemon/generation.h"

#include <yaml-cpp/yaml.h>

#include <set>
#include <utility>
#include <unordered_map>

#include "core/strings.h"

namespace drift {

std::shared_ptr<Generation> BuildGeneration(std::shared_ptr<Program> program, uint64_t id,
                                            int shard_index, int shard_count,
                                            std::chrono::steady_clock::time_point now,
                                            Executor* executor) {
  auto g = std::make_shared<Generation>();
  g->id = id;
  g->program = program;
  const Config& c = program->config;
  g->evaluator = std::make_unique<Evaluator>(c, *program->rules, *program->redactor, program->today);
  g->evaluator->set_executor(executor);
  // Seeded per process and config: daemons sharing a fleet spread their first round apart.
  g->scheduler = Scheduler(static_cast<size_t>(c.defaults.max_concurrency),
                           Fnv1a64(c.path) ^ static_cast<uint64_t>(now.time_since_epoch().count()));
  for (const auto& t : program->targets) {
    if (shard_count > 1 &&
        Fnv1a64(t.service->name) % static_cast<uint64_t>(shard_count) != static_cast<uint64_t>(shard_index))
      continue;
    g->targets.push_back(&t);
    g->scheduler.Add(t.collector->common().interval, now);
    size_t gi = 0;
    for (; gi < g->groups.size(); ++gi)
      if (g->groups[gi].service == t.service && g->groups[gi].source == t.source) break;
    if (gi == g->groups.size()) {
      size_t si = static_cast<size_t>(t.service - c.services.data());
      g->groups.push_back(Generation::Group{t.service, si, t.source, {}, {}, false, false});
    }
    g->groups[gi].targets.push_back(g->targets.size() - 1);
    g->group_of.push_back(gi);
  }
  g->states.resize(g->targets.size());
  return g;
}

std::vector<size_t> CarryOver(const Generation& old, Generation& g,
                              std::chrono::steady_clock::time_point now) {
  auto key = [](const Generation& gen, size_t i) {
    const Target& t = *gen.targets[i];
    const std::string& env = gen.program->config.environments[t.env].name;
    return t.service->name + '\x1f' + t.source->name + '\x1f' + env + '\x1f' +
           YAML::Dump(t.source->For(env));
  };
  std::unordered_map<std::string, size_t> old_index;
  for (size_t i = 0; i < old.targets.size(); ++i) old_index.emplace(key(old, i), i);
  std::vector<bool> carried(g.groups.size(), false);
  for (size_t i = 0; i < g.targets.size(); ++i) {
    auto it = old_index.find(key(g, i));
    if (it == old_index.end() || !old.states[it->second].tried) continue;
    size_t j = it->second;
    g.states[i] = old.states[j];
    ++g.tried_count;
    // One that was running had its result dropped with the old generation: run it now.
    if (!old.scheduler.is_running(j))
      g.scheduler.Reschedule(i, std::min(old.scheduler.due(j),
                                         now + g.targets[i]->collector->common().interval));
    // Its group's findings stay shown until the group is evaluated again (same service and
    // source: the old target's group).
    size_t gi = g.group_of[i];
    if (!carried[gi]) g.groups[gi].findings = old.groups[old.group_of[j]].findings;
    carried[gi] = true;
  }
  std::vector<size_t> groups;
  for (size_t gi = 0; gi < carried.size(); ++gi)
    if (carried[gi]) groups.push_back(gi);
  return groups;
}

Generation::CollectOutcome Generation::Collected(size_t i, Result<Document> r,
                                                 const std::string& hash, double seconds,
                                                 const std::string& now,
                                                 std::shared_ptr<const PackedDocument> packed) {
  TargetState& st = states[i];
  CollectOutcome out;
  out.first = !st.tried;
  if (out.first) ++tried_count;
  st.tried = true;
  st.duration = seconds;
  st.last_attempt = now;
  if (r.ok() && r.value().unchanged() && !st.held())  // an invariant of the collector's digest
    r = MakeError("internal: unchanged input reported without a held snapshot");
  if (r.ok()) {
    out.error_changed = !st.last_error.empty();  // recovered: its error leaves the report
    // An unchanged input may come with a fresher digest (a file's settled stat signature).
    if (r.value().unchanged() && !r.value().raw_digest().empty())
      st.raw_digest = r.value().raw_digest();
    if (!r.value().unchanged()) {
      out.changed = hash != st.hash || !st.held();
      st.raw_digest = r.value().raw_digest();
      if (out.changed) {
        out.released = std::exchange(st.doc, std::make_shared<const Document>(std::move(r.value())));
        st.packed = std::move(packed);
        st.hash = hash;
      } else {  // other bytes, the same content (a timestamp comment): keep what is held
        out.released = std::make_shared<const Document>(std::move(r.value()));
      }
    }
    st.last_success = now;
    st.last_error.clear();
    st.unknown_since.clear();
  } else {
    std::string error = r.error().ToString();
    out.newly_failing = st.last_error.empty() || out.first;
    out.error_changed = error != st.last_error;
    st.last_error = std::move(error);
    if (st.unknown_since.empty()) st.unknown_since = now;
    out.changed = st.held() || out.first;  // it became unknown
    out.released = std::exchange(st.doc, nullptr);
    st.packed.reset();
    st.raw_digest.clear();
    st.hash.clear();
  }
  return out;
}

std::vector<std::shared_ptr<const Document>> Generation::Idle(size_t gi) {
  std::vector<std::shared_ptr<const Document>> released;
  for (size_t ti : groups[gi].targets) {
    auto& st = states[ti];
    if (st.packed && st.doc) released.push_back(std::exchange(st.doc, nullptr));
  }
  return released;
}

CheckReport Generation::Report(const std::string& service, const std::string& env,
                               const std::string& severity, const std::string& checked_at) const {
  const Config& c = program->config;
  CheckReport r;
  r.checked_at = checked_at;
  r.baseline = c.baseline;
  r.environments = c.env_names();
  for (const auto& grp : groups) {
    if (!service.empty() && grp.service->name != service) continue;
    for (const auto& f : grp.findings) {
      if (!env.empty() && f.env != env) continue;
      if (!severity.empty() && SeverityName(f.severity) != severity) continue;
      r.findings.push_back(f);
    }
  }
  SortFindings(r.findings, r.environments);
  for (size_t i = 0; i < targets.size(); ++i) {
    const Target& t = *targets[i];
    if (!service.empty() && t.service->name != service) continue;
    ++r.sources;
    if (!states[i].last_error.empty()) {
      ++r.sources_failed;
      r.errors.push_back(CollectError{t.service->name, t.source->name, c.environments[t.env].name,
                                      states[i].last_error});
    }
  }
  return r;
}

std::vector<SourceStatus> Generation::Sources() const {
  std::vector<SourceStatus> out;
  out.reserve(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    const Target& t = *targets[i];
    const auto& s = states[i];
    out.push_back(SourceStatus{t.service->name, t.source->name,
                               program->config.environments[t.env].name, s.tried, s.last_success,
                               s.last_error, s.duration, s.hash});
  }
  return out;
}

bool Generation::all_tried() const { return tried_count == states.size(); }

std::string Generation::Progress() const {
  return std::to_string(tried_count) + "/" + std::to_string(states.size()) + " sources tried" +
         (pending_evaluations ? ", evaluating" : "");
}

size_t Generation::unowned_services() const {
  std::set<std::string> shard_services;
  for (const auto* t : targets) shard_services.insert(t->service->name);
  size_t unowned = 0;
  for (const auto& o : program->ownership)
    if (o.owner.empty() && shard_services.count(o.service)) ++unowned;
  return unowned;
}

std::vector<std::vector<std::string>> Generation::source_labels() const {
  std::vector<std::vector<std::string>> out;
  for (const auto* t : targets)
    out.push_back({t->service->name, t->source->name, program->config.environments[t->env].name,
                   t->source->type});
  return out;
}

}  // namespace drift
